/**
 * Differential harness: the same app, built once with the plugin and once
 * without, answers every scenario of test/differential/corpus.ts over raw
 * sockets; the bytes must match exactly (Date masked), and so must whether
 * the server closed the connection.
 */
import t from 'tap'
import Fastify, { type FastifyInstance } from 'fastify'
import vectored from '@vectored/server'
import { configs, routes, scenarios, removeFiles, type Scenario } from './differential/corpus'
import { maskDates, rawRequest, type RawResult } from './helpers/raw-http'

interface Pair { stock: FastifyInstance; ours: FastifyInstance; stockPort: number; oursPort: number }
const apps = new Map<string, Promise<Pair>>()

async function build(withPlugin: boolean, config: keyof typeof configs): Promise<FastifyInstance> {
  const app = Fastify({ ...configs[config], logger: false })
  if (withPlugin) await app.register(vectored)
  routes(app)
  await app.listen({ port: 0, host: '127.0.0.1' })
  return app
}

function appsFor(config: keyof typeof configs): Promise<Pair> {
  let pair = apps.get(config)
  if (pair === undefined) {
    pair = (async () => {
      const stock = await build(false, config)
      const ours = await build(true, config)
      const port = (a: FastifyInstance) => (a.server.address() as { port: number }).port
      return { stock, ours, stockPort: port(stock), oursPort: port(ours) }
    })()
    apps.set(config, pair)
  }
  return pair
}

function firstDifference(a: Buffer, b: Buffer): string {
  const n = Math.min(a.length, b.length)
  let i = 0
  while (i < n && a[i] === b[i]) i++
  const at = (x: Buffer) => JSON.stringify(x.toString('latin1', Math.max(0, i - 60), Math.min(x.length, i + 60)))
  return `lengths ${a.length} vs ${b.length}, first difference at byte ${i}:\n  ours:  ${at(a)}\n  stock: ${at(b)}`
}

const list = scenarios()
const results = new Map<string, { stock: RawResult; ours: RawResult }>()

t.before(async () => {
  // Run the scenarios a few at a time; each gets its own connections.
  let next = 0
  const worker = async () => {
    while (next < list.length) {
      const s = list[next++]!
      const pair = await appsFor(s.config)
      const began = Date.now()
      const [stock, ours] = await Promise.all([
        rawRequest(pair.stockPort, s.request, s.responses, s.methods, 20000, { halfClose: s.halfClose === true }),
        rawRequest(pair.oursPort, s.request, s.responses, s.methods, 20000, { halfClose: s.halfClose === true }),
      ])
      results.set(s.name, { stock, ours })
      if (process.env.DIFF_TIMES) console.error(Date.now() - began, s.name) // the slow ones: DIFF_TIMES=1
    }
  }
  await Promise.all(Array.from({ length: 6 }, worker))
})

t.teardown(async () => {
  for (const pair of apps.values()) {
    const { stock, ours } = await pair
    await Promise.all([stock.close(), ours.close()])
  }
  removeFiles()
})

t.test('the corpus holds at least 200 scenarios with distinct names', async (t) => {
  t.ok(list.length >= 200, `${list.length} scenarios`)
  t.equal(new Set(list.map((s: Scenario) => s.name)).size, list.length)
})

t.test('every scenario: same bytes as stock Fastify, Date masked', async (t) => {
  for (const s of list) {
    const r = results.get(s.name)!
    const stock = maskDates(r.stock.bytes)
    const ours = maskDates(r.ours.bytes)
    t.equal(r.stock.responses, s.responses, `${s.name}: stock answered ${s.responses} response(s)`)
    t.notOk(r.ours.timedOut, `${s.name}: no timeout`)
    if (stock.equals(ours)) t.pass(`${s.name}: ${ours.length} identical bytes`)
    else t.fail(`${s.name}: ${firstDifference(ours, stock)}`)
    t.equal(r.ours.closed, r.stock.closed, `${s.name}: connection ${r.stock.closed ? 'closed' : 'kept open'} as stock`)
  }
})

t.test('the plugin app actually wrote directly', async (t) => {
  const stats = (await appsFor('default')).ours.vectored.stats()
  t.ok(stats.directWrites > 100, `${stats.directWrites} direct writes`)
  t.ok(stats.responses > 100, `${stats.responses} responses through the writer`)
  t.ok(stats.sendfileBytes > 16 << 20, `${stats.sendfileBytes} bytes by sendfile`)
  t.ok(stats.earlyWrites > 0, `${stats.earlyWrites} pipelined responses queued before their turn`)
  t.ok(stats.batchedResponses > 0, `${stats.batchedResponses} responses shared a writev`)
})
