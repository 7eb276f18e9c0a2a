/**
 * The plugin's differential corpus (test/differential/corpus.ts) against the
 * transport: the same app built on stock Fastify and on
 * `Fastify({ serverFactory: vectoredServer() })` answers every scenario over
 * raw sockets; the bytes must match exactly (Date masked), and so must
 * whether the server closed the connection.
 */
import t from 'tap'
import Fastify, { type FastifyInstance } from 'fastify'
import vectored, { vectoredServer } from '@vectored/server'
import { configs, routes, scenarios, removeFiles, type Scenario } from '../differential/corpus'
import { maskDates, rawRequest, type RawResult } from '../helpers/raw-http'

type Pair = { stock: FastifyInstance; ours: FastifyInstance; stockPort: number; oursPort: number }
// Promises, so that concurrent workers share one pair of apps per config.
const apps = new Map<string, Promise<Pair>>()

async function build(transport: boolean, config: keyof typeof configs): Promise<FastifyInstance> {
  const app = Fastify({ ...configs[config], logger: false, ...(transport ? { serverFactory: vectoredServer() } : {}) })
  if (transport) await app.register(vectored)
  routes(app)
  await app.listen({ port: 0, host: '127.0.0.1' })
  return app
}

function appsFor(config: keyof typeof configs): Promise<Pair> {
  let pair = apps.get(config)
  if (pair === undefined) {
    pair = Promise.all([build(false, config), build(true, config)]).then(([stock, ours]) => {
      const port = (a: FastifyInstance) => (a.server.address() as { port: number }).port
      return { stock, ours, stockPort: port(stock), oursPort: port(ours) }
    })
    apps.set(config, pair)
  }
  return pair
}

function firstDifference(a: Buffer, b: Buffer): string {
  const n = Math.min(a.length, b.length)
  let i = 0
  while (i < n && a[i] === b[i]) i++
  const at = (x: Buffer) => JSON.stringify(x.toString('latin1', Math.max(0, i - 60), Math.min(x.length, i + 60)))
  return `lengths ${a.length} vs ${b.length}, first difference at byte ${i}:\n  transport: ${at(a)}\n  stock:     ${at(b)}`
}

const list = scenarios()
const results = new Map<string, { stock: RawResult; ours: RawResult }>()

t.before(async () => {
  let next = 0
  const worker = async () => {
    while (next < list.length) {
      const s = list[next++]!
      const pair = await appsFor(s.config)
      const [stock, ours] = await Promise.all([
        rawRequest(pair.stockPort, s.request, s.responses, s.methods, 20000, { halfClose: s.halfClose === true }),
        rawRequest(pair.oursPort, s.request, s.responses, s.methods, 20000, { halfClose: s.halfClose === true }),
      ])
      results.set(s.name, { stock, ours })
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

t.test('the transport serves the apps', async (t) => {
  const pair = await appsFor('default')
  t.equal(pair.ours.server.constructor.name, 'TransportServer')
  t.ok(list.length >= 200, `${list.length} scenarios`)
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
