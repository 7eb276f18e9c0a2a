/**
 * Fastify's pino logger (its request and reply serializers) writing to a
 * stream: the 'incoming request' and 'request completed' lines of real
 * requests in the plugin's default mode, with { connections: 'node' } and on
 * the transport, field for field against stock Fastify's.
 */
import t from 'tap'
import { Writable } from 'node:stream'
import type { AddressInfo } from 'node:net'
import { MODES, type Mode, appFor, send } from '../helpers/consumer-child'

interface Line { msg: string; level: number; reqId?: string; req?: Record<string, unknown>; res?: Record<string, unknown>; responseTime?: number; err?: { message?: string } }

const REQUESTS: [string, string, number][] = [
  ['GET', '/hello', 200], ['GET', '/users/7?x=1', 200], ['POST', '/created', 201], ['GET', '/error', 500], ['GET', '/missing', 404],
]

const seen = new Map<Mode, unknown[]>()

for (const mode of MODES) {
  t.test(`${mode}: the request log lines`, async (t) => {
    const lines: Line[] = []
    const stream = new Writable({ write(chunk: Buffer, _enc, done) { for (const l of chunk.toString().split('\n')) if (l !== '') lines.push(JSON.parse(l) as Line); done() } })
    const app = await appFor(mode, { logger: { level: 'info', stream } })
    app.get('/hello', async () => ({ hello: 'world' }))
    app.get('/users/:id', async (req) => ({ id: (req.params as { id: string }).id }))
    app.post('/created', async (_req, reply) => { reply.code(201); return { made: true } })
    app.get('/error', async () => { throw new Error('route failed') })
    await app.listen({ port: 0, host: '127.0.0.1' })
    t.teardown(() => app.close())
    const port = (app.server.address() as AddressInfo).port
    for (const [method, path, status] of REQUESTS) t.equal((await send(port, method, path)).status, status, `${method} ${path} answered ${status}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
    const incoming = lines.filter((l) => l.msg === 'incoming request')
    const completed = lines.filter((l) => l.msg === 'request completed')
    t.equal(incoming.length, REQUESTS.length, "an 'incoming request' line per request")
    t.equal(completed.length, REQUESTS.length, "a 'request completed' line per request")
    t.same(incoming.map((l) => [l.req?.method, l.req?.url]), REQUESTS.map(([m, p]) => [m, p]), 'req.method and req.url of each')
    t.ok(incoming.every((l) => l.req?.host === `127.0.0.1:${port}` && l.req?.remoteAddress === '127.0.0.1' && typeof l.req?.remotePort === 'number'),
      'req.host, req.remoteAddress and req.remotePort')
    t.same(completed.map((l) => l.res?.statusCode), REQUESTS.map(([, , s]) => s), 'res.statusCode of each')
    t.ok(completed.every((l) => typeof l.responseTime === 'number' && l.responseTime >= 0), 'responseTime present, a number')
    t.same(completed.map((l) => l.reqId), incoming.map((l) => l.reqId), 'each completed line has its incoming line\'s reqId')
    t.equal(new Set(incoming.map((l) => l.reqId)).size, REQUESTS.length, 'a reqId per request')
    t.equal(lines.filter((l) => l.err?.message === 'route failed').length, 1, 'the route error logged once')
    // What can differ between runs: times, the port and the client's port.
    const normalised = lines.filter((l) => l.reqId !== undefined).map((l) => {
      const { time: _t, pid: _p, hostname: _h, responseTime, ...rest } = l as Line & { time?: number; pid?: number; hostname?: string }
      const req = rest.req && { ...rest.req, host: 'HOST', remotePort: 'PORT' }
      const err = rest.err && { ...rest.err, stack: 'STACK' }
      return { ...rest, ...(req ? { req } : {}), ...(err ? { err } : {}), ...(responseTime !== undefined ? { responseTime: 'number' } : {}) }
    })
    seen.set(mode, normalised)
    if (mode !== 'stock') {
      t.ok(seen.has('stock'), 'stock ran first')
      t.same(normalised, seen.get('stock'), 'the same request lines as stock Fastify, field for field')
    }
  })
}
