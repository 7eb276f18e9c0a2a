/**
 * A client that pipelines thousands of requests and reads nothing. Stock
 * Node stops parsing such a connection once its output backs up
 * (lib/_http_server.js parserOnIncoming: "stop reading so that we don't
 * become overwhelmed by a flood of pipelined requests"), so the server
 * holds a bounded number of responses. The vectored paths must stop as
 * well: the writer's queue is as unsent as Node's, and every response
 * here is a fresh 64 KiB Buffer, so a server that kept parsing would hold
 * 64 KiB more per request. Then the client reads: every response arrives,
 * whole and in request order.
 *
 * The four servers (stock, the plugin with vectored's connections and with
 * node:http's, the transport) run the same app in this process; how many
 * requests each handled while the client did not read is reported, and the
 * vectored ones are held to a bound (kernel socket buffers take a share
 * that depends on the machine, the same for all four).
 */
import t from 'tap'
import * as net from 'node:net'
import Fastify, { type FastifyInstance } from 'fastify'
import { vectored, vectoredServer } from '@vectored/server'
import { parse } from './helpers/http'
import { sleep, until } from './helpers/common'

const REQUESTS = 20_000
const BODY = 16 * 1024
// 20,000 x 16 KiB = 312 MiB if nothing stopped the parser.
const HANDLED_BOUND = 6000

type Mode = 'stock' | 'vectored' | 'node-connections' | 'transport'

async function build(mode: Mode): Promise<{ app: FastifyInstance; handled: () => number }> {
  const app = mode === 'transport' ? Fastify({ serverFactory: vectoredServer() }) : Fastify()
  if (mode !== 'stock') await app.register(vectored, mode === 'node-connections' ? { connections: 'node' } : {})
  let handled = 0
  app.addHook('onRequest', async () => {
    handled++
  })
  app.get('/flood/:i', async (req, reply) => {
    const i = Number((req.params as { i: string }).i)
    const body = Buffer.alloc(BODY, i & 255)
    body.writeUInt32BE(i, 0)
    return reply.type('application/octet-stream').send(body)
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  return { app, handled: () => handled }
}

for (const mode of ['stock', 'vectored', 'node-connections', 'transport'] as Mode[]) {
  t.test(`${mode}: ${REQUESTS} pipelined requests, the client not reading`, async (t) => {
    const { app, handled } = await build(mode)
    t.teardown(() => app.close())
    const port = (app.server.address() as net.AddressInfo).port
    const socket = net.connect(port, '127.0.0.1')
    t.teardown(() => socket.destroy())
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject))
    socket.pause()
    let requests = ''
    for (let i = 0; i < REQUESTS; i++) requests += `GET /flood/${i} HTTP/1.1\r\nHost: x\r\n\r\n`
    socket.write(requests)

    // Let the server go as far as it will: until the count stops moving.
    let last = -1
    while (handled() !== last) {
      last = handled()
      await sleep(300)
    }
    const held = handled()
    t.comment(`${mode}: handled ${held} of ${REQUESTS} while the client did not read`)
    if (mode !== 'stock') t.ok(held <= HANDLED_BOUND, `parsing stopped: ${held} handled, bound ${HANDLED_BOUND}`)
    t.ok(held < REQUESTS, 'the server did not take every request while the client did not read')

    // Now read everything: all responses, whole, in order.
    let responses = 0
    let pending: Buffer = Buffer.alloc(0)
    const order: number[] = []
    let bad = 0
    socket.on('data', (d: Buffer) => {
      pending = pending.length === 0 ? d : Buffer.concat([pending, d])
      const { responses: got, used } = parse(pending)
      pending = pending.subarray(used)
      for (const r of got) {
        const i = r.body.readUInt32BE(0)
        order.push(i)
        if (r.status !== 200 || r.body.length !== BODY || r.body[BODY - 1] !== (i & 255)) bad++
      }
      responses += got.length
    })
    socket.resume()
    await until(() => responses === REQUESTS, 60_000, `${REQUESTS} responses`)
    t.equal(bad, 0, 'every body whole, with its own bytes')
    t.ok(order.every((v, k) => v === k), 'responses in request order')
    t.equal(pending.length, 0, 'no bytes after the last response')
  })
}
