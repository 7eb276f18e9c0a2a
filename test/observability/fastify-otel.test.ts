/**
 * @fastify/otel on top of @opentelemetry/instrumentation-http, in a child
 * process that registers both before fastify is required
 * (test/observability/consumers/fastify-otel.js): the request, hook and
 * handler spans and their parents for real requests in the plugin's default
 * mode, with { connections: 'node' } and on the transport, against stock
 * Fastify's on the running line.
 */
import t from 'tap'
import { MODES, type Mode, send, startConsumer } from '../helpers/consumer-child'

interface Span { name: string; kind: number; parent: string | null; traceOfParent: boolean | null; route: string | null; status: number | null; url: string | null; errorStatus: number }

const REQUESTS: [string, string, number][] = [
  ['GET', '/hello', 200], ['GET', '/users/7?x=1', 200], ['GET', '/error', 500], ['GET', '/missing', 404],
]
// Fastify names a root instance's plugin context after every plugin
// registered on it with fastify-plugin, so @fastify/otel's handler span reads
// 'handler - fastify -> @vectored/server -> @fastify/otel' with the plugin
// registered (@fastify/cors or any other such plugin shows the same way).
const OWN_NAME = ' -> @vectored/server'

const seen = new Map<Mode, Span[]>()

for (const mode of MODES) {
  t.test(`${mode}: @fastify/otel's spans under the http server span`, async (t) => {
    const consumer = await startConsumer('fastify-otel.js', mode)
    t.teardown(() => consumer.kill())
    for (const [method, path, status] of REQUESTS) {
      t.equal((await send(consumer.port, method, path)).status, status, `${method} ${path} answered ${status}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
    const spans = await consumer.report<Span[]>()
    const named = (name: string) => spans.filter((s) => s.name === name)
    t.equal(spans.length, 16, '16 spans: 4 server, 4 request, 4 onRequest, 1 preHandler, 3 route handlers')
    t.equal(spans.filter((s) => s.kind === 1).length, 4, 'a server span per request')
    t.same(spans.filter((s) => s.kind === 1).map((s) => s.name), ['GET /hello', 'GET /users/:id', 'GET /error', 'GET'],
      'the server span named after the route @fastify/otel gave it (none for the 404)')
    t.same(named('request').map((s) => [s.parent, s.route, s.status, s.url]), [
      ['GET /hello', '/hello', 200, '/hello'], ['GET /users/:id', '/users/:id', 200, '/users/7?x=1'],
      ['GET /error', '/error', 500, '/error'], ['GET', null, 404, '/missing'],
    ], "a request span under each server span, with route, status and url")
    t.equal(named('onRequest - tagRequest').length, 4, 'the onRequest hook span for each request')
    t.same(named('preHandler - loadUser').map((s) => s.route), ['/users/:id'], 'the route preHandler hook span')
    const handlers = spans.filter((s) => s.name.startsWith('handler - '))
    t.equal(handlers.length, 3, 'a handler span per matched route')
    t.same(handlers.map((s) => s.errorStatus), [0, 0, 2], 'the failed handler is an ERROR span')
    t.ok(spans.every((s) => s.kind === 1 ? s.parent === null : s.parent !== null && s.traceOfParent === true),
      'every span but the server spans has a parent in its trace')
    if (mode === 'stock') t.ok(handlers.every((s) => s.name === 'handler - fastify -> @fastify/otel'), 'the handler spans\' names')
    else t.ok(handlers.every((s) => s.name === `handler - fastify${OWN_NAME} -> @fastify/otel`), 'the handler spans name the plugin context, @vectored/server in it')
    const normalised = spans.map((s) => ({ ...s, name: s.name.replace(OWN_NAME, '') }))
    seen.set(mode, normalised)
    if (mode !== 'stock') {
      t.ok(seen.has('stock'), 'stock ran first')
      t.same(normalised, seen.get('stock'), 'the same spans as stock Fastify (names, kinds, parents, routes, statuses), in the same order')
    }
  })
}
