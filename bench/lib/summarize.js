'use strict'
// From raw samples to the figures reported: medians, ranges, errors, and
// ratios against stock Fastify measured in the same run.
const { summary } = require('./stats')

// Fewer completed requests than this in a window makes its figures coarse.
const MIN_REQUESTS = 50

function summarizeCell (cell) {
  const s = cell.samples
  const errors = s.reduce((n, x) => n + x.non2xx + x.errors + x.timeouts + x.warmup.non2xx + x.warmup.errors + x.warmup.timeouts, 0)
  const out = {
    rps: summary(s.map((x) => x.rps)),
    p50: summary(s.map((x) => x.p50)),
    p99: summary(s.map((x) => x.p99)),
    cpuPerRequest: summary(s.map((x) => x.cpuPerRequest)),
    peakRss: cell.peakRss ?? NaN,
    errors,
    errorDetail: {
      non2xx: s.reduce((n, x) => n + x.non2xx + x.warmup.non2xx, 0),
      socket: s.reduce((n, x) => n + x.errors + x.warmup.errors, 0),
      timeouts: s.reduce((n, x) => n + x.timeouts + x.warmup.timeouts, 0)
    }
  }
  return out
}

/** ' (statuses 400 x1; errors ECONNRESET x1)' from the samples' details (autocannon), or ''. */
function errorKinds (samples) {
  const statuses = {}
  const errors = {}
  for (const x of samples) {
    for (const [k, n] of Object.entries(x.detail?.statuses ?? {})) statuses[k] = (statuses[k] ?? 0) + n
    for (const [k, n] of Object.entries(x.detail?.errors ?? {})) errors[k] = (errors[k] ?? 0) + n
  }
  const list = (m) => Object.entries(m).map(([k, n]) => `${k} x${n}`).join(', ')
  const parts = []
  if (Object.keys(statuses).length > 0) parts.push(`statuses ${list(statuses)}`)
  if (Object.keys(errors).length > 0) parts.push(`errors ${list(errors)}`)
  return parts.length > 0 ? ` (${parts.join('; ')})` : ''
}

function finalize (cells) {
  for (const cell of cells.values()) {
    if (cell.status !== 'pending') continue
    cell.summary = summarizeCell(cell)
    if (cell.summary.errors > 0) {
      const d = cell.summary.errorDetail
      cell.status = 'failed'
      cell.reason = `errors during load: ${d.non2xx} non-2xx, ${d.socket} socket errors, ${d.timeouts} timeouts${errorKinds(cell.samples)}`
    } else if (cell.samples.length === 0) {
      cell.status = 'failed'
      cell.reason = 'no samples'
    } else if (cell.samples.some((x) => x.requests === 0)) {
      cell.status = 'failed'
      cell.reason = `a measured window completed no request (rounds ${cell.samples.filter((x) => x.requests === 0).map((x) => x.round).join(', ')})`
    } else {
      cell.status = 'ok'
      const fewest = Math.min(...cell.samples.map((x) => x.requests))
      if (fewest < MIN_REQUESTS) cell.warning = `only ${fewest} requests in a window: imprecise, use a longer --duration`
    }
  }
  // ratios against stock fastify, scenario by scenario
  for (const cell of cells.values()) {
    if (cell.status !== 'ok') continue
    const base = cells.get(`fastify\t${cell.scenario}`)
    if (!base || base.status !== 'ok') { cell.ratio = null; continue }
    cell.ratio = {
      rps: cell.summary.rps.median / base.summary.rps.median,
      rpsMin: cell.summary.rps.min / base.summary.rps.median,
      rpsMax: cell.summary.rps.max / base.summary.rps.median,
      cpuPerRequest: cell.summary.cpuPerRequest.median / base.summary.cpuPerRequest.median,
      cpuMin: cell.summary.cpuPerRequest.min / base.summary.cpuPerRequest.median,
      cpuMax: cell.summary.cpuPerRequest.max / base.summary.cpuPerRequest.median
    }
  }
}

module.exports = { finalize }
