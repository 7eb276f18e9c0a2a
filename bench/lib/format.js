'use strict'
// Number formatting shared by the table and the chart.
function num (x, digits = 1) {
  if (!Number.isFinite(x)) return '-'
  if (Math.abs(x) >= 1e6) return `${(x / 1e6).toFixed(2)}M`
  if (Math.abs(x) >= 1e4) return `${(x / 1e3).toFixed(1)}k`
  if (Math.abs(x) >= 1e3) return `${(x / 1e3).toFixed(2)}k`
  return x.toFixed(digits)
}
const ms = (x) => Number.isFinite(x) ? Number.isInteger(x) ? String(x) : (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2)) : '-'
const us = (x) => Number.isFinite(x) ? (x >= 1000 ? x.toFixed(0) : x >= 100 ? x.toFixed(1) : x.toFixed(2)) : '-'
const bytes = (b) => Number.isFinite(b) ? (Math.abs(b) >= 10240 ? `${(b / 1024).toFixed(1)} KiB` : `${Math.round(b)} B`) : '-'
const mib = (b) => Number.isFinite(b) ? `${(b / 2 ** 20).toFixed(0)} MiB` : '-'
const ratio = (r) => Number.isFinite(r) ? `${r.toFixed(2)}x` : '-'
const range = (s, f) => `${f(s.median)} (${f(s.min)}..${f(s.max)})`
// When --node ran the servers on another Node than the bench's own: where the bench ran.
const benchNode = (m, cfg) => m.benchNode && m.benchNode !== m.node ? `bench${cfg.loadgen === 'autocannon' ? ' and autocannon' : ''} on Node ${m.benchNode}` : null

module.exports = { num, ms, us, bytes, mib, ratio, range, benchNode }
