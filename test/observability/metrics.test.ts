/**
 * fastify-metrics (prom-client) on real requests in the plugin's default
 * mode, with { connections: 'node' } and on the transport: the counts of
 * http_request_duration_seconds and http_request_summary_seconds per route,
 * method and status read from /metrics equal stock Fastify's. And the recipe
 * of docs/observability.md: app.vectored.stats() exported through a
 * prom-client registry, its values equal to stats() after real requests.
 */
import t from 'tap'
import type { AddressInfo } from 'node:net'
import client from 'prom-client'
import fastifyMetrics from 'fastify-metrics'
import type { FastifyInstance } from 'fastify'
import { MODES, type Mode, appFor, send } from '../helpers/consumer-child'

const N = 20
const REQUESTS: [string, string, number][] = [
  ['GET', '/hello', 200], ['GET', '/users/7', 200], ['GET', '/users/8', 200], ['POST', '/created', 201], ['GET', '/error', 500],
]

async function routes(app: FastifyInstance): Promise<number> {
  app.get('/hello', async () => ({ hello: 'world' }))
  app.get('/users/:id', async (req) => ({ id: (req.params as { id: string }).id }))
  app.post('/created', async (_req, reply) => { reply.code(201); return { made: true } })
  app.get('/error', async () => { throw new Error('route failed') })
  await app.listen({ port: 0, host: '127.0.0.1' })
  return (app.server.address() as AddressInfo).port
}

/** The `<name>_count{...} n` samples of a /metrics text, labels as written. */
function counts(text: string, name: string): Record<string, number> {
  const out: Record<string, number> = {}
  for (const line of text.split('\n')) {
    const m = new RegExp(`^${name}_count(\\{[^}]*\\})? (\\S+)$`).exec(line)
    if (m) out[m[1] ?? ''] = Number(m[2])
  }
  return out
}

const seen = new Map<Mode, unknown>()

for (const mode of MODES) {
  t.test(`${mode}: fastify-metrics' request counts per route and status`, async (t) => {
    const app = await appFor(mode)
    await app.register(fastifyMetrics, { endpoint: '/metrics', clearRegisterOnInit: true, defaultMetrics: { enabled: false } })
    t.teardown(() => app.close())
    const port = await routes(app)
    for (let i = 0; i < N; i++) {
      for (const [method, path, status] of REQUESTS) {
        const reply = await send(port, method, path)
        if (reply.status !== status) t.fail(`${method} ${path} answered ${reply.status}, not ${status}`)
      }
    }
    const text = (await send(port, 'GET', '/metrics')).body
    const histogram = counts(text, 'http_request_duration_seconds')
    const summary = counts(text, 'http_request_summary_seconds')
    const expected = {
      '{method="GET",route="/hello",status_code="200"}': N,
      '{method="GET",route="/users/:id",status_code="200"}': 2 * N,
      '{method="POST",route="/created",status_code="201"}': N,
      '{method="GET",route="/error",status_code="500"}': N,
    }
    t.same(histogram, expected, `http_request_duration_seconds_count per route and status after ${N} rounds`)
    t.same(summary, expected, 'http_request_summary_seconds_count the same')
    seen.set(mode, { histogram, summary })
    if (mode !== 'stock') {
      t.ok(seen.has('stock'), 'stock ran first')
      t.same(seen.get(mode), seen.get('stock'), 'the same counts as stock Fastify')
    }
  })
}

// The recipe, as docs/observability.md gives it.
function exportVectoredStats(app: FastifyInstance, registry: client.Registry): void {
  const totals = {
    responses: 'Responses that went through the writer',
    directWrites: 'writev calls that wrote at least one byte',
    shortWrites: 'writev or sendfile calls that took fewer bytes than offered',
    eagainWaits: 'Waits for writability after EAGAIN or a short write',
    batchedResponses: 'Responses that shared a writev with the one before them',
    earlyWrites: 'Pipelined responses queued behind the response ahead of them',
    files: 'File bodies sent with sendfile',
    lengthMismatches: 'Bodies that contradicted their Content-Length',
    bytes: 'Bytes written by writev',
    sendfileBytes: 'Bytes written by sendfile',
  } as const
  for (const [key, help] of Object.entries(totals) as [keyof typeof totals, string][]) {
    const name = `vectored_${key.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase())}_total`
    new client.Counter({
      name, help, registers: [registry],
      collect() { this.reset(); this.inc(app.vectored.stats()[key]) },
    })
  }
  new client.Counter({
    name: 'vectored_fallbacks_total', help: 'Responses served by the stock path, by reason', labelNames: ['reason'], registers: [registry],
    collect() {
      this.reset()
      for (const [reason, n] of Object.entries(app.vectored.stats().fallbacks)) this.inc({ reason }, n)
    },
  })
}

for (const mode of ['plugin', 'node-connections', 'transport'] as const) {
  t.test(`${mode}: app.vectored.stats() through a prom-client registry`, async (t) => {
    const app = await appFor(mode)
    const registry = new client.Registry()
    exportVectoredStats(app, registry)
    t.teardown(() => app.close())
    const port = await routes(app)
    const before = app.vectored.stats()
    for (let i = 0; i < N; i++) for (const [method, path] of REQUESTS) await send(port, method, path)
    const text = await registry.metrics()
    const after = app.vectored.stats()
    t.ok(after.responses - before.responses >= N * REQUESTS.length, `stats() counted the ${N * REQUESTS.length} responses`)
    t.ok(after.bytes > before.bytes, 'and their bytes')
    const sample = (name: string) => {
      const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text)
      return m ? Number(m[1]) : undefined
    }
    t.equal(sample('vectored_responses_total'), after.responses, 'vectored_responses_total is stats().responses')
    t.equal(sample('vectored_direct_writes_total'), after.directWrites, 'vectored_direct_writes_total is stats().directWrites')
    t.equal(sample('vectored_bytes_total'), after.bytes, 'vectored_bytes_total is stats().bytes')
    t.equal(sample('vectored_short_writes_total'), after.shortWrites, 'vectored_short_writes_total is stats().shortWrites')
    t.equal(sample('vectored_batched_responses_total'), after.batchedResponses, 'vectored_batched_responses_total')
    t.equal(sample('vectored_sendfile_bytes_total'), after.sendfileBytes, 'vectored_sendfile_bytes_total')
    const fallbacks: Record<string, number> = {}
    for (const m of text.matchAll(/^vectored_fallbacks_total\{reason="([^"]*)"\} (\S+)$/gm)) fallbacks[m[1]!] = Number(m[2])
    t.same(fallbacks, after.fallbacks, 'vectored_fallbacks_total by reason is stats().fallbacks')
    // A second scrape reads stats() again: the values move with it.
    await send(port, 'GET', '/hello')
    const again = await registry.metrics()
    t.equal(Number(/^vectored_responses_total (\S+)$/m.exec(again)?.[1]), app.vectored.stats().responses, 'the next scrape has the next request')
    t.ok(Number(/^vectored_responses_total (\S+)$/m.exec(again)?.[1]) > after.responses, 'and it is higher')
  })
}
