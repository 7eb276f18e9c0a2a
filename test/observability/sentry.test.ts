/**
 * @sentry/node in a child process that initialises it before fastify is
 * required (test/observability/consumers/sentry.js), with an in-memory
 * transport: an error thrown in a route is captured with its request's
 * method and URL, and two overlapping requests each carry their own scope
 * (a tag set in an onRequest hook), in the plugin's default mode, with
 * { connections: 'node' } and on the transport, against stock Fastify's.
 */
import t from 'tap'
import { MODES, type Mode, send, startConsumer } from '../helpers/consumer-child'

interface Captured {
  message: string | null; type: string | null; handled: boolean | null
  request: { method: string; url: string; query: string | null; tagHeader: string | null } | null
  tags: Record<string, string>; extra: Record<string, unknown>; transaction: string | null
}

const seen = new Map<Mode, Captured[]>()

for (const mode of MODES) {
  t.test(`${mode}: route errors captured with their request and their own scope`, async (t) => {
    const consumer = await startConsumer('sentry.js', mode)
    t.teardown(() => consumer.kill())
    const base = `http://127.0.0.1:${consumer.port}`
    // 'slow' starts first and ends last: its hook runs before 'fast' sets its tag, its handler after.
    const replies = await Promise.all([
      send(consumer.port, 'GET', '/fail?wait=150', { 'x-request-tag': 'slow' }),
      new Promise((resolve) => setTimeout(resolve, 20)).then(() => send(consumer.port, 'GET', '/fail?wait=0', { 'x-request-tag': 'fast' })),
      send(consumer.port, 'GET', '/hello', { 'x-request-tag': 'fine' }),
    ])
    t.same(replies.map((r) => r.status), [500, 500, 200], 'two 500s and a 200')
    const events = await consumer.report<Captured[]>()
    t.equal(events.length, 2, 'two error events, none for the 200')
    const byTag = new Map(events.map((e) => [e.tags['request-tag'], e]))
    for (const tag of ['slow', 'fast']) {
      const e = byTag.get(tag)
      t.ok(e, `an event tagged ${tag}`)
      t.equal(e?.message, `route failed for ${tag}`, `${tag}: the error its own request threw`)
      t.equal(e?.type, 'Error', `${tag}: exception type`)
      t.equal(e?.handled, false, `${tag}: unhandled, from the Fastify error handler`)
      t.equal(e?.request?.method, 'GET', `${tag}: request method`)
      const wait = tag === 'slow' ? 150 : 0
      t.equal(e?.request?.url, `${base}/fail?wait=${wait}`, `${tag}: request URL`)
      t.equal(e?.request?.query, `wait=${wait}`, `${tag}: query string`)
      t.equal(e?.request?.tagHeader, tag, `${tag}: its own request headers`)
      t.equal(e?.extra['tag-in-handler'], tag, `${tag}: the handler read its own tag from the isolation scope`)
      t.equal(e?.transaction, 'GET /fail', `${tag}: transaction name`)
    }
    const normalised = events.map((e) => ({ ...e, request: e.request && { ...e.request, url: e.request.url.replace(base, 'BASE') } }))
      .sort((a, b) => String(a.message).localeCompare(String(b.message)))
    seen.set(mode, normalised)
    if (mode !== 'stock') {
      t.ok(seen.has('stock'), 'stock ran first')
      t.same(normalised, seen.get('stock'), 'the same events as stock Fastify')
    }
  })
}
