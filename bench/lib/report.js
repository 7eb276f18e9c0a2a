'use strict'
// The terminal table: one block per scenario.
const f = require('./format')

function pad (cells, widths, right) {
  return cells.map((c, i) => right[i] ? String(c).padStart(widths[i]) : String(c).padEnd(widths[i])).join('  ')
}

function table (result) {
  const lines = []
  const m = result.machine
  const bench = f.benchNode(m, result.config)
  lines.push(`vectored bench (${result.config.mode}) on Node ${m.node}: ${result.config.rounds} rounds x ${result.config.duration} s, ${result.config.warmup} s warm-up, load: ${result.config.loadgen}`)
  lines.push(`${m.cpuModel}, ${m.cores} cores, Node servers on ${m.node}${bench ? ` (${bench})` : ''}, Fastify ${m.fastify}; ${m.pinning}; load average ${m.loadAverageAtStart[0]} at start, ${m.loadAverageAtEnd[0]} at end`)
  lines.push('req/s and CPU: median (min..max) over rounds; ratios: median vs stock fastify in this run (req/s higher is better, CPU/req lower is better)')
  const head = ['variant', 'req/s', 'p50 ms', 'p99 ms', 'CPU us/req', 'peak RSS', 'errors', 'req/s x', 'CPU/req x']
  const right = [false, true, true, true, true, true, true, true, true]
  for (const scenario of result.scenarios) {
    const rows = result.cells.filter((c) => c.scenario === scenario.name)
    if (!rows.length) continue
    lines.push('')
    lines.push(`${scenario.name}: ${scenario.desc}, ${scenario.connections} connections${scenario.pipelining > 1 ? `, pipelining ${scenario.pipelining}` : ''}`)
    const body = rows.map((c) => {
      if (c.status === 'ok') {
        const s = c.summary
        return [c.variant, f.range(s.rps, f.num), f.ms(s.p50.median), f.ms(s.p99.median), f.range(s.cpuPerRequest, f.us), f.mib(s.peakRss), s.errors, f.ratio(c.ratio?.rps), f.ratio(c.ratio?.cpuPerRequest)]
      }
      return [c.variant, `${c.status.toUpperCase()}: ${c.reason}`]
    })
    const widths = head.map((h, i) => Math.max(h.length, ...body.filter((r) => r.length > 2).map((r) => String(r[i]).length)))
    lines.push('  ' + pad(head, widths, right))
    for (const r of body) lines.push('  ' + (r.length > 2 ? pad(r, widths, right) : `${r[0].padEnd(widths[0])}  ${r[1]}`))
    for (const c of rows.filter((c) => c.warning)) lines.push(`  note: ${c.variant}: ${c.warning}`)
  }
  return lines.join('\n')
}

module.exports = { table }
