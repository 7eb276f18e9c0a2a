/**
 * @opentelemetry/instrumentation-http (sdk-trace-node, SimpleSpanProcessor,
 * InMemorySpanExporter) in a child process that registers it before fastify
 * is required (test/observability/consumers/otel-http.js): the server spans
 * of real requests in the plugin's default mode, with { connections: 'node' }
 * and on the transport, against stock Fastify's on the running line.
 */
import t from 'tap'
import * as http from 'node:http'
import type { AddressInfo } from 'node:net'
import Fastify from 'fastify'
import vectored, { vectoredServer } from '@vectored/server'
import { MODES, type Mode, send, startConsumer } from '../helpers/consumer-child'

interface Span { kind: string | number; name: string; status: number; attributes: Record<string, unknown>; ended: boolean }

const REQUESTS: [string, string, number][] = [
  ['GET', '/hello', 200], ['GET', '/users/7?x=1', 200], ['POST', '/created', 201],
  ['GET', '/error', 500], ['GET', '/missing', 404], ['HEAD', '/hello', 200],
]

const seen = new Map<Mode, Span[]>()

for (const mode of MODES) {
  t.test(`${mode}: a server span per request, with its method, status and url`, async (t) => {
    const consumer = await startConsumer('otel-http.js', mode)
    t.teardown(() => consumer.kill())
    for (const [method, path, status] of REQUESTS) {
      const reply = await send(consumer.port, method, path)
      t.equal(reply.status, status, `${method} ${path} answered ${status}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
    const spans = await consumer.report<Span[]>()
    const server = spans.filter((s) => s.kind === 'server')
    t.equal(server.length, REQUESTS.length, `${REQUESTS.length} server spans`)
    t.ok(server.every((s) => s.ended), 'every one ended')
    t.same(server.map((s) => [s.attributes['http.request.method'], s.attributes['url.path'], s.attributes['http.response.status_code']]),
      REQUESTS.map(([m, p, s]) => [m, p.split('?')[0], s]), 'method, url.path and status code of each, in order')
    t.same(server.map((s) => s.status), REQUESTS.map(([, , s]) => (s >= 500 ? 2 : 0)), 'span status ERROR for the 500 only')
    t.equal(server[1]?.attributes['url.query'], 'x=1', 'url.query')
    t.ok(server.every((s) => s.attributes['server.port'] === consumer.port && s.attributes['network.protocol.version'] === '1.1'), 'server.port and protocol version')
    const normalised = server.map((s) => ({ ...s, attributes: { ...s.attributes, 'server.port': 'port' } }))
    seen.set(mode, normalised)
    if (mode !== 'stock') {
      t.ok(seen.has('stock'), 'stock ran first')
      t.same(normalised, seen.get('stock'), 'the same spans as stock Fastify, attribute for attribute (http.route included)')
    }
  })
}

// What the transport gives instrumentation-http to see: its server's events
// go through http.Server.prototype.emit as it is at each call (the library
// wraps that method), and an emit set on the instance still comes first.
t.test('transport: a wrapper on http.Server.prototype.emit sees each request', async (t) => {
  const original = http.Server.prototype.emit
  const wrapped: string[] = []
  http.Server.prototype.emit = function (this: http.Server, event: string | symbol, ...args: unknown[]) {
    if (event === 'request') wrapped.push(`${(args[0] as http.IncomingMessage).method} ${(args[0] as http.IncomingMessage).url}`)
    return Reflect.apply(original, this, [event, ...args])
  } as typeof original
  t.teardown(() => { http.Server.prototype.emit = original })
  const app = Fastify({ logger: false, serverFactory: vectoredServer() })
  await app.register(vectored)
  app.get('/hello', async () => 'hi')
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => app.close())
  const port = (app.server.address() as AddressInfo).port
  t.equal((await send(port, 'GET', '/hello?a=1')).body, 'hi', 'answered through the wrapper')
  t.same(wrapped, ['GET /hello?a=1'], 'the wrapper saw the request')
  const own: string[] = []
  const protoEmit = app.server.emit
  app.server.emit = function (this: http.Server, event: string | symbol, ...args: unknown[]) {
    if (event === 'request') own.push('own')
    return Reflect.apply(protoEmit, this, [event, ...args])
  } as typeof protoEmit
  t.equal((await send(port, 'GET', '/hello')).status, 200, 'answered through both')
  t.same([own, wrapped.length], [['own'], 2], 'the instance\'s emit, then the prototype\'s wrapper')
  http.Server.prototype.emit = original
  t.equal((await send(port, 'GET', '/hello')).status, 200, 'unwrapped again, still answered')
  t.equal(wrapped.length, 2, 'the removed wrapper sees nothing')
})
