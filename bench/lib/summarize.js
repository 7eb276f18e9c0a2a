'use strict'
// From raw samples to the figures reported: medians, ranges, errors, and
// ratios against stock Fastify measured in the same run.
const { summary } = require('./stats')

// Fewer completed requests than this in a window makes its figures coarse.
const MIN_REQUESTS = 50

// excused: read errors not counted (silentCloseReads); the samples keep them.
function summarizeCell (cell, excused = 0) {
  const s = cell.samples
  const errors = s.reduce((n, x) => n + x.non2xx + x.errors + x.timeouts + x.warmup.non2xx + x.warmup.errors + x.warmup.timeouts, 0) - excused
  const out = {
    rps: summary(s.map((x) => x.rps)),
    p50: summary(s.map((x) => x.p50)),
    p99: summary(s.map((x) => x.p99)),
    cpuPerRequest: summary(s.map((x) => x.cpuPerRequest)),
    peakRss: cell.peakRss ?? NaN,
    errors,
    errorDetail: {
      non2xx: s.reduce((n, x) => n + x.non2xx + x.warmup.non2xx, 0),
      socket: s.reduce((n, x) => n + x.errors + x.warmup.errors, 0) - excused,
      excusedReads: excused,
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

// latency-fixed: the figures of each rate (samples carry their level).
function summarizeLevels (cell, levels) {
  return levels.map((level) => {
    const s = cell.samples.filter((x) => x.level === level)
    return {
      level,
      targetRps: s[0]?.targetRps ?? NaN,
      rps: summary(s.map((x) => x.rps)),
      p50: summary(s.map((x) => x.p50)),
      p99: summary(s.map((x) => x.p99)),
      cpuPerRequest: summary(s.map((x) => x.cpuPerRequest)),
      outstandingAtEnd: Math.max(0, ...s.map((x) => x.outstandingAtEnd ?? 0))
    }
  })
}

// idle-10k: bytes of RSS per held connection; a connection not held (no
// correct response, or closed before the RSS was read) is an error.
function finalizeIdle (cell) {
  const s = cell.samples
  const lost = s.reduce((n, x) => n + x.connections - x.held, 0)
  cell.summary = {
    bytesPerConnection: summary(s.map((x) => x.bytesPerConnection)),
    rssBefore: summary(s.map((x) => x.rssBefore)),
    rssAfter: summary(s.map((x) => x.rssAfter)),
    held: Math.min(...s.map((x) => x.held)),
    fdLimit: Math.min(...s.map((x) => x.fdLimit)),
    peakRss: cell.peakRss ?? NaN,
    errors: lost
  }
  if (!s.length) Object.assign(cell, { status: 'failed', reason: 'no samples' })
  else if (lost) Object.assign(cell, { status: 'failed', reason: `${lost} connections not held over ${s.length} rounds: ${[...new Set(s.flatMap((x) => x.problems))].join('; ') || 'closed by the server while idle'}${cell.summary.fdLimit < s[0].connections ? ` (the server's open file limit is ${cell.summary.fdLimit})` : ''}` })
  else cell.status = 'ok'
}

const ratioRange = (cell, base, pick) => {
  const a = pick(cell.summary)
  const b = pick(base.summary).median
  return { median: a.median / b, min: a.min / b, max: a.max / b }
}

// connection-close: a server that closes after its response without a
// `Connection: close` header (RFC 9112 section 9.6: it SHOULD send one;
// Bun.serve does not) leaves wrk believing the connection kept alive: wrk
// writes its next request on it, reads the close and counts a read error,
// then reconnects. Those reads are wrk's, one per connection the server
// closed, so at most one per response (plus one per connection at the
// window's end); the responses are whole (the correctness pass checked the
// bytes and the close). Taken out of the errors with a note on the cell, and
// only then: any other socket error, or more reads than that, still fails it.
function silentCloseReads (cell, scenario) {
  const said = cell.correctness?.headers?.some(([k, v]) => k.toLowerCase() === 'connection' && /\bclose\b/i.test(v))
  if (!scenario.closes || !cell.correctness?.ok || said !== false) return 0
  const windows = cell.samples.flatMap((x) => [x, x.warmup])
  const fits = (w) => w.errors === (w.readErrors ?? -1) && w.readErrors <= w.requests + scenario.connections
  if (!windows.every(fits)) return 0
  return windows.reduce((n, w) => n + w.readErrors, 0)
}

// kinds: scenario name -> { kind, levels } (scenarios.js).
function finalize (cells, kinds = {}) {
  for (const cell of cells.values()) {
    if (cell.status !== 'pending') continue
    const kind = kinds[cell.scenario] ?? {}
    if (kind.kind === 'idle') { finalizeIdle(cell); continue }
    const closeReads = silentCloseReads(cell, kind)
    cell.summary = summarizeCell(cell, closeReads)
    if (closeReads > 0) cell.warning = `closes each connection without a Connection: close header (RFC 9112 9.6 says it SHOULD send one): wrk wrote its next request on the closing connection and counted ${closeReads} read errors, one per connection at most, taken out of the errors`
    if (kind.kind === 'latency') {
      cell.summary.levels = summarizeLevels(cell, kind.levels)
      const short = cell.summary.levels.filter((l) => l.rps.median < 0.95 * l.targetRps)
      if (short.length) cell.warning = `did not keep up with ${short.map((l) => `${Math.round(l.level * 100)}% (${Math.round(l.targetRps)} req/s asked, ${Math.round(l.rps.median)} done, ${l.outstandingAtEnd} due and unanswered at the end)`).join(', ')}: its latency there includes a backlog (or a stall of the host)`
    }
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
    const kind = kinds[cell.scenario]?.kind
    if (kind === 'idle') { cell.ratio = { bytesPerConnection: ratioRange(cell, base, (x) => x.bytesPerConnection) }; continue }
    if (kind === 'latency') {
      cell.ratio = {
        levels: cell.summary.levels.map((l, i) => {
          const b = base.summary.levels[i]
          const r = (pick) => ratioRange({ summary: l }, { summary: b }, pick)
          return { level: l.level, p50: r((x) => x.p50), p99: r((x) => x.p99), cpuPerRequest: r((x) => x.cpuPerRequest) }
        })
      }
      continue
    }
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
