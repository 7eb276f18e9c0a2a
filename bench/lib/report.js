'use strict'
// The terminal table: one block per scenario.
const f = require('./format')

function pad (cells, widths, right) {
  return cells.map((c, i) => right[i] ? String(c).padStart(widths[i]) : String(c).padEnd(widths[i])).join('  ')
}

const pct = (level) => `${Math.round(level * 100)}%`

// Each kind of scenario's columns: { head, cells(cell) -> values after the variant, notes }.
const COLUMNS = {
  load: () => ({
    head: ['variant', 'req/s', 'p50 ms', 'p99 ms', 'CPU us/req', 'peak RSS', 'errors', 'req/s x', 'CPU/req x'],
    cells: (c) => {
      const s = c.summary
      return [f.range(s.rps, f.num), f.ms(s.p50.median), f.ms(s.p99.median), f.range(s.cpuPerRequest, f.us), f.mib(s.peakRss), s.errors, f.ratio(c.ratio?.rps), f.ratio(c.ratio?.cpuPerRequest)]
    }
  }),
  idle: (scenario, result) => {
    const limits = result.cells.filter((c) => c.scenario === scenario.name && c.samples?.length).map((c) => `${c.variant} ${c.samples[0].fdLimit ?? 'unlimited'}`)
    return {
      head: ['variant', 'held', 'RSS before', 'RSS after', 'bytes/conn', 'bytes/conn x'],
      cells: (c) => {
        const s = c.summary
        return [s.held, f.mib(s.rssBefore.median), f.mib(s.rssAfter.median), f.range(s.bytesPerConnection, f.bytes), f.ratio(c.ratio?.bytesPerConnection?.median)]
      },
      notes: [
        'RSS (VmRSS) of the server before and after opening the connections, median (min..max) over rounds, a fresh server each round; bytes/conn x: vs stock fastify (lower is better)',
        limits.length ? `open file limit (soft, /proc/PID/limits) of the servers: ${limits.join(', ')} (Node raises its own to the hard limit, the servers inherit the bench's; sh's ulimit raises it where still below ${scenario.connections} + 200)` : null
      ].filter(Boolean)
    }
  },
  latency: (scenario) => {
    const levels = scenario.levels ?? []
    const peak = scenario.peak
    return {
      head: ['variant', ...levels.map((l) => `${pct(l)} p50/p99 ms`), 'p99 x', 'p50 x', `CPU us/req @${pct(levels.at(-1))}`, 'CPU/req x'],
      cells: (c) => {
        const L = c.summary.levels
        const R = c.ratio?.levels
        const each = (pick) => R ? R.map((r) => pick(r).median.toFixed(2)).join('/') : '-'
        return [...L.map((l) => `${f.ms(l.p50.median)}/${f.ms(l.p99.median)}`), each((r) => r.p99), each((r) => r.p50), f.us(L.at(-1).cpuPerRequest.median), f.ratio(R?.at(-1).cpuPerRequest.median)]
      },
      notes: peak
        ? [`rates: ${levels.map((l) => `${pct(l)} = ${f.num(Math.round(peak.rps * l))}`).join(', ')} req/s of stock fastify's peak ${f.num(peak.rps)} req/s (${peak.loadgen}, ${peak.source}); paced client (bench/lib/paced.js), latency from each request's due time; x: vs stock at the same rate (${levels.map(pct).join('/')}), lower is better`]
        : []
    }
  }
}

function table (result) {
  const lines = []
  const m = result.machine
  const bench = f.benchNode(m, result.config)
  lines.push(`vectored bench (${result.config.mode}) on Node ${m.node}: ${result.config.rounds} rounds x ${result.config.duration} s, ${result.config.warmup} s warm-up, load: ${result.config.loadgen}`)
  lines.push(`${m.cpuModel}, ${m.cores} cores, Node servers on ${m.node}${bench ? ` (${bench})` : ''}, Fastify ${m.fastify}; ${m.pinning}; load average ${m.loadAverageAtStart[0]} at start, ${m.loadAverageAtEnd[0]} at end`)
  lines.push('req/s and CPU: median (min..max) over rounds; ratios: median vs stock fastify in this run (req/s higher is better, CPU/req lower is better)')
  for (const scenario of result.scenarios) {
    const rows = result.cells.filter((c) => c.scenario === scenario.name)
    if (!rows.length) continue
    lines.push('')
    lines.push(`${scenario.name}: ${scenario.desc}, ${scenario.connections} connections${scenario.pipelining > 1 ? `, pipelining ${scenario.pipelining}` : ''}`)
    const { head, cells, notes = [] } = (COLUMNS[scenario.kind] ?? COLUMNS.load)(scenario, result)
    for (const n of notes) lines.push(`  ${n}`)
    const right = head.map((_, i) => i > 0)
    const body = rows.map((c) => c.status === 'ok' ? [c.variant, ...cells(c)] : [c.variant, `${c.status.toUpperCase()}: ${c.reason}`])
    const widths = head.map((h, i) => Math.max(h.length, ...body.filter((r) => r.length > 2).map((r) => String(r[i]).length)))
    lines.push('  ' + pad(head, widths, right))
    for (const r of body) lines.push('  ' + (r.length > 2 ? pad(r, widths, right) : `${r[0].padEnd(widths[0])}  ${r[1]}`))
    for (const c of rows.filter((c) => c.warning)) lines.push(`  note: ${c.variant}: ${c.warning}`)
  }
  return lines.join('\n')
}

module.exports = { table }
