/**
 * The differential corpus (test/differential/corpus.ts) against the plugin
 * with `connections: 'node'`: node:http parses the requests and builds a
 * VectoredResponse per request, whose bytes go through vectored's writer.
 * The bytes must match stock Fastify's exactly (Date masked), and so must
 * whether the server closed the connection.
 */
import type * as http from 'node:http'
import t, { type Test } from 'tap'
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import vectored from '@vectored/server'
import { differential } from './differential/harness'
import { routes } from './differential/corpus'
import { maskDates, rawRequest } from './helpers/raw-http'

const { list, appsFor, compareAll } = differential(t, { label: 'node-connections', plugin: { connections: 'node' } })

t.test('node:http keeps the connections and the writer writes', async (t) => {
  const { ours } = await appsFor('default')
  t.match(ours.vectored.reason, /node:http connections \(the connections: 'node' option\)$/)
  t.ok(list.length >= 200, `${list.length} scenarios`)
})

t.test('every scenario: same bytes as stock Fastify, Date masked', async (t) => {
  compareAll(t)
})

t.test('the plugin app actually wrote directly', async (t) => {
  const stats = (await appsFor('default')).ours.vectored.stats()
  t.ok(stats.responses > 100, `${stats.responses} responses through the writer`)
  t.ok(stats.earlyWrites > 0, `${stats.earlyWrites} pipelined responses queued before their turn`)
})

/**
 * Stock Fastify and the plugin with `connections: 'node'` on the same
 * Fastify options and routes, each request answered by both over a raw
 * socket: the same bytes (Date masked), and no timeout on our side.
 */
async function compareWith(t: Test, fastifyOptions: FastifyServerOptions & { http?: http.ServerOptions }, register: (app: FastifyInstance) => void, requests: [string, string, number][]): Promise<void> {
  const build = async (ours: boolean) => {
    const app = Fastify({ ...fastifyOptions, logger: false } as FastifyServerOptions)
    if (ours) await app.register(vectored, { connections: 'node' })
    register(app)
    await app.listen({ port: 0, host: '127.0.0.1' })
    t.teardown(() => app.close())
    return (app.server.address() as { port: number }).port
  }
  const stockPort = await build(false)
  const oursPort = await build(true)
  for (const [name, request, responses] of requests) {
    const methods = Array(responses).fill('GET')
    const [stock, ours] = await Promise.all([rawRequest(stockPort, request, responses, methods, 10000), rawRequest(oursPort, request, responses, methods, 10000)])
    t.equal(stock.responses, responses, `${name}: stock answered`)
    t.notOk(ours.timedOut, `${name}: no timeout`)
    t.equal(maskDates(ours.bytes).toString('latin1'), maskDates(stock.bytes).toString('latin1'), `${name}: the same bytes as stock`)
  }
}

const get = (p: string) => `GET ${p} HTTP/1.1\r\nHost: t\r\n\r\n`

t.test('streams under a socket high-water mark below the writer\'s: framed and drained as stock', async (t) => {
  // Node 24 buffers the chunks a corked response writes (write_: kChunkedBuffer)
  // and says false once writableLength reaches the socket's mark, here 16 KiB,
  // while the writer's own mark is 64 KiB: 'drain' must come anyway, and each
  // chunk must be what Node gathered between cork and uncork.
  await compareWith(t, { http: { highWaterMark: 16384 } }, routes, [
    ['chunked stream', get('/stream/100000'), 1],
    ['stream with a content-length', get('/stream-cl/100000'), 1],
    ['web stream', get('/webstream/100000'), 1],
    ['1 MiB stream', get('/stream/1048576'), 1],
    ['pipelined streams', get('/stream/70000') + get('/json-sync') + get('/stream-cl/65537'), 3],
  ])
})

t.test('a handler that corks reply.raw: end() uncorks the socket as Node\'s end() does', async (t) => {
  await compareWith(t, {}, (app) => {
    app.get('/corked', (_req, reply) => {
      reply.raw.cork()
      reply.send({ hello: 'world' })
    })
    app.get('/corked-twice', (_req, reply) => {
      reply.raw.cork()
      reply.raw.cork()
      reply.header('content-type', 'text/plain').send('corked twice')
    })
  }, [
    ['corked once', get('/corked'), 1],
    ['corked twice', get('/corked-twice'), 1],
    ['pipelined behind a corked one', get('/corked') + get('/corked-twice') + get('/corked'), 3],
  ])
})
