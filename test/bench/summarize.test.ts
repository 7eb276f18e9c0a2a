// bench/lib/summarize.js: which wrk socket errors a connection-close cell may
// leave out (a server that closes without saying so, docs/benchmark.md) and
// which still fail it.
import t from 'tap'

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { finalize } = require('../../bench/lib/summarize.js')

const closeRow = { name: 'connection-close', connections: 64, closes: true }
const helloRow = { name: 'hello', connections: 64 }

interface Window { requests: number; errors: number; readErrors: number }

function sample(round: number, w: Window, warm: Window) {
  return {
    round,
    rps: w.requests / 5,
    p50: 1,
    p99: 2,
    cpuPerRequest: 30,
    non2xx: 0,
    timeouts: 0,
    ...w,
    warmup: { non2xx: 0, timeouts: 0, ...warm },
  }
}

function cell(variant: string, scenario: string, headers: [string, string][], windows: Window[]) {
  return {
    variant,
    scenario,
    status: 'pending',
    correctness: { ok: true, problems: [], headers },
    samples: windows.map((w, i) => sample(i + 1, w, { requests: 1000, errors: 0, readErrors: 0 })),
  }
}

const said: [string, string][] = [['Content-Type', 'application/json'], ['Connection', 'close']]
const silent: [string, string][] = [['Content-Type', 'application/json'], ['Content-Length', '17']]
const clean = { requests: 50000, errors: 0, readErrors: 0 }

function run(scenario: typeof closeRow | typeof helloRow, headers: [string, string][], windows: Window[]) {
  const cells = new Map<string, any>()
  cells.set(`fastify\t${scenario.name}`, cell('fastify', scenario.name, said, [clean, clean]))
  cells.set(`bun-serve\t${scenario.name}`, cell('bun-serve', scenario.name, headers, windows))
  finalize(cells, { [scenario.name]: scenario })
  return cells.get(`bun-serve\t${scenario.name}`)
}

t.test('a silent close: one read error per response is taken out, with a note', async (t) => {
  const c = run(closeRow, silent, [{ requests: 50000, errors: 49990, readErrors: 49990 }, { requests: 48000, errors: 48064, readErrors: 48064 }])
  t.equal(c.status, 'ok')
  t.equal(c.summary.errors, 0)
  t.equal(c.summary.errorDetail.excusedReads, 49990 + 48064)
  t.match(c.warning, /without a Connection: close header.*98054 read errors/)
  t.equal(c.samples[0].errors, 49990, 'the raw samples keep them')
  t.ok(c.ratio && c.ratio.rps > 0, 'ratios against stock as for any cell')
})

t.test('the same errors fail the cell when the response said Connection: close', async (t) => {
  const c = run(closeRow, said, [{ requests: 50000, errors: 49990, readErrors: 49990 }])
  t.equal(c.status, 'failed')
  t.match(c.reason, /49990 socket errors/)
})

t.test('a connect or write error fails the cell', async (t) => {
  const c = run(closeRow, silent, [{ requests: 50000, errors: 49991, readErrors: 49990 }])
  t.equal(c.status, 'failed')
})

t.test('more read errors than responses plus connections fail the cell', async (t) => {
  const c = run(closeRow, silent, [{ requests: 50000, errors: 50065, readErrors: 50065 }])
  t.equal(c.status, 'failed')
  t.match(c.reason, /50065 socket errors/)
})

t.test('a read error in the warm-up counts as in the window', async (t) => {
  const cells = new Map<string, any>()
  const c = cell('bun-serve', 'connection-close', silent, [{ requests: 50000, errors: 0, readErrors: 0 }])
  c.samples[0].warmup = { requests: 10, errors: 500, readErrors: 500, non2xx: 0, timeouts: 0 }
  cells.set('bun-serve\tconnection-close', c)
  finalize(cells, { 'connection-close': closeRow })
  t.equal(c.status, 'failed', '500 reads after 10 responses on 64 connections')
})

t.test('on a keep-alive row read errors always fail the cell', async (t) => {
  const c = run(helloRow, silent, [{ requests: 50000, errors: 10, readErrors: 10 }])
  t.equal(c.status, 'failed')
})
