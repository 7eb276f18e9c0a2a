/**
 * The differential harness: the app of corpus.ts built once on stock Fastify
 * and once with vectored answers every scenario over raw sockets; the bytes
 * must match exactly (Date masked), and so must whether the server closed
 * the connection. Used by test/differential.test.ts (the plugin),
 * test/differential-node-connections.test.ts (the plugin with
 * `connections: 'node'`) and test/transport/differential.test.ts (the plugin
 * on the transport).
 */
import type { Test } from 'tap'
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import vectored, { type VectoredOptions } from '@vectored/server'
import { configs, routes, scenarios, removeFiles, type Scenario } from './corpus'
import { maskDates, rawRequest, type RawResult } from '../helpers/raw-http'

export interface Pair { stock: FastifyInstance; ours: FastifyInstance; stockPort: number; oursPort: number }

export interface HarnessOptions {
  /** What the vectored side is called where bytes differ ("ours", "transport"). */
  label: string
  /** Fastify options of the vectored side on top of the scenario's config, made anew for each app. */
  options?: () => FastifyServerOptions
  /** The plugin's options on the vectored side. */
  plugin?: VectoredOptions
}

export interface Harness {
  /** Every scenario of the corpus. */
  list: Scenario[]
  /** The two apps of a config, built on first use and shared after. */
  appsFor(config: keyof typeof configs): Promise<Pair>
  /** The assertions of every scenario: stock's response count, no timeout, same bytes, same close. */
  compareAll(t: Test): void
}

function firstDifference(label: string, a: Buffer, b: Buffer): string {
  const n = Math.min(a.length, b.length)
  let i = 0
  while (i < n && a[i] === b[i]) i++
  const at = (x: Buffer) => JSON.stringify(x.toString('latin1', Math.max(0, i - 60), Math.min(x.length, i + 60)))
  const width = Math.max(label.length, 'stock'.length) + 2
  return `lengths ${a.length} vs ${b.length}, first difference at byte ${i}:\n  ${`${label}:`.padEnd(width)}${at(a)}\n  ${'stock:'.padEnd(width)}${at(b)}`
}

/**
 * Sets up the harness on the root test: a before hook that runs every
 * scenario against both apps, and a teardown that closes the apps and
 * removes the corpus's files.
 */
export function differential(t: Test, options: HarnessOptions): Harness {
  // Promises, so that concurrent workers share one pair of apps per config.
  const apps = new Map<string, Promise<Pair>>()

  async function build(ours: boolean, config: keyof typeof configs): Promise<FastifyInstance> {
    const app = Fastify({ ...configs[config], logger: false, ...(ours ? options.options?.() : {}) })
    if (ours) await app.register(vectored, options.plugin ?? {})
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

  function compareAll(t: Test): void {
    for (const s of list) {
      const r = results.get(s.name)!
      const stock = maskDates(r.stock.bytes)
      const ours = maskDates(r.ours.bytes)
      t.equal(r.stock.responses, s.responses, `${s.name}: stock answered ${s.responses} response(s)`)
      t.notOk(r.ours.timedOut, `${s.name}: no timeout`)
      if (stock.equals(ours)) t.pass(`${s.name}: ${ours.length} identical bytes`)
      else t.fail(`${s.name}: ${firstDifference(options.label, ours, stock)}`)
      t.equal(r.ours.closed, r.stock.closed, `${s.name}: connection ${r.stock.closed ? 'closed' : 'kept open'} as stock`)
    }
  }

  return { list, appsFor, compareAll }
}
