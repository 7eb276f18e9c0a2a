'use strict'
// A self-contained HTML page with SVG bar charts: each variant's req/s and
// server CPU per request relative to stock Fastify, scenario by scenario.
const f = require('./format')

const COLORS = {
  fastify: '#7f7f7f',
  'node-http': '#1f77b4',
  'fastify-vectored': '#d62728',
  'fastify-vectored-node': '#f19c99',
  'vectored-transport': '#9467bd',
  'fastify-bun': '#ff7f0e',
  'bun-serve': '#e6a800',
  nginx: '#2ca02c'
}
const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c])
const clip = (s, n) => s.length > n ? s.slice(0, n - 1) + '…' : s

// What each panel draws: the scenarios it takes, and for an ok cell its bars,
// [{ label, r (ratio of medians), lo, hi (min..max relative to stock's median), abs }].
const MAX_RATIO = 6
const pct = (level) => `${Math.round(level * 100)}%`
const bar = (label, r, abs) => ({ label, r: r?.median ?? r, lo: r?.min, hi: r?.max, abs })
const PANELS = {
  rps: {
    title: 'Requests per second relative to stock Fastify (higher is better)',
    kind: 'load',
    bars: (c) => [{ r: c.ratio?.rps, lo: c.ratio?.rpsMin, hi: c.ratio?.rpsMax, abs: `${f.num(c.summary.rps.median)} req/s` }]
  },
  cpu: {
    title: 'Server CPU time per request relative to stock Fastify (lower is better)',
    kind: 'load',
    bars: (c) => [{ r: c.ratio?.cpuPerRequest, lo: c.ratio?.cpuMin, hi: c.ratio?.cpuMax, abs: `${f.us(c.summary.cpuPerRequest.median)} µs/req` }]
  },
  latency: {
    title: 'p99 latency at fixed rates relative to stock Fastify at the same rate (lower is better)',
    kind: 'latency',
    bars: (c) => c.summary.levels.map((l, i) => bar(`${c.variant} ${pct(l.level)}`, c.ratio?.levels?.[i].p99, `p99 ${f.ms(l.p99.median)} ms · p50 ${f.ms(l.p50.median)} ms · ${f.num(l.targetRps)} req/s`))
  },
  idle: {
    title: 'RSS per idle keep-alive connection relative to stock Fastify (lower is better)',
    kind: 'idle',
    bars: (c) => [bar(null, c.ratio?.bytesPerConnection, `${f.bytes(c.summary.bytesPerConnection.median)}/conn`)]
  }
}

function panel (result, variants, metric) {
  const spec = PANELS[metric]
  const scenarios = result.scenarios.filter((s) => (s.kind ?? 'load') === spec.kind)
  const W = 1100
  const labelW = 150
  const plotW = 640
  const rowH = 20
  const groupGap = 16
  const top = 56
  const inPanel = result.cells.filter((c) => c.status === 'ok' && scenarios.some((s) => s.name === c.scenario))
  if (!inPanel.length && !result.cells.some((c) => scenarios.some((s) => s.name === c.scenario))) return ''
  let max = 1.5
  for (const c of inPanel) for (const b of spec.bars(c)) if (Number.isFinite(b.hi ?? b.r)) max = Math.max(max, b.hi ?? b.r)
  // the axis stops at MAX_RATIO: a longer bar (a backlog at a fixed rate can
  // make a p99 hundreds of times stock's) is clipped there, its label says the value
  max = Math.min(MAX_RATIO, Math.ceil(max * 4) / 4)
  const x = (r) => labelW + (Math.min(r, max) / max) * plotW

  const parts = []
  let y = top
  for (const s of scenarios) {
    const rows = variants.map((v) => result.cells.find((c) => c.scenario === s.name && c.variant === v)).filter(Boolean)
    if (!rows.length) continue
    parts.push(`<text x="8" y="${y + 14}"><tspan class="scen">${esc(s.name)}</tspan><tspan class="small" dx="10">${esc(`${s.desc} · ${s.connections} connections${s.pipelining > 1 ? ` · pipelining ${s.pipelining}` : ''}`)}</tspan></text>`)
    y += 20
    for (const c of rows) {
      const color = COLORS[c.variant] || '#444'
      const bars = c.status === 'ok' ? spec.bars(c) : [{ label: null }]
      for (const b of bars) {
        const cy = y + 3
        parts.push(`<text x="${labelW - 8}" y="${cy + 12}" class="vname" text-anchor="end">${esc(b.label ?? c.variant)}</text>`)
        if (c.status === 'ok' && Number.isFinite(b.r)) {
          parts.push(`<rect x="${labelW}" y="${cy}" width="${(x(b.r) - labelW).toFixed(1)}" height="${rowH - 6}" fill="${color}"/>`)
          if (Number.isFinite(b.lo) && Number.isFinite(b.hi)) {
            parts.push(`<line x1="${x(b.lo).toFixed(1)}" x2="${x(b.hi).toFixed(1)}" y1="${cy + 7}" y2="${cy + 7}" class="whisker"/>`)
          }
          parts.push(`<text x="${(Math.max(x(b.r), Number.isFinite(b.hi) ? x(b.hi) : 0) + 6).toFixed(1)}" y="${cy + 12}" class="val">${b.r.toFixed(2)}x · ${esc(b.abs)}</text>`)
        } else if (c.status === 'ok') {
          parts.push(`<text x="${labelW + 4}" y="${cy + 12}" class="note">no baseline: ${esc(b.abs)}</text>`)
        } else {
          const cls = c.status === 'failed' ? 'failed' : 'skipped'
          parts.push(`<text x="${labelW + 4}" y="${cy + 12}" class="${cls}">${esc(c.status.toUpperCase())}: ${esc(clip(c.reason || '', 110))}</text>`)
        }
        y += rowH
      }
    }
    parts.push(`<line x1="0" x2="${W}" y1="${y + groupGap / 2}" y2="${y + groupGap / 2}" class="sep"/>`)
    y += groupGap
  }
  const H = y + 10
  const ticks = []
  const step = max > 3 ? 1 : 0.25
  for (let t = 0; t <= max + 1e-9; t += step) {
    ticks.push(`<line x1="${x(t).toFixed(1)}" x2="${x(t).toFixed(1)}" y1="${top - 6}" y2="${H - 10}" class="${Math.abs(t - 1) < 1e-9 ? 'one' : 'grid'}"/>`)
    ticks.push(`<text x="${x(t).toFixed(1)}" y="${top - 10}" class="tick" text-anchor="middle">${t.toFixed(step < 1 ? 2 : 0)}x</text>`)
  }
  const title = spec.title
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">
<text x="8" y="22" class="title">${esc(title)}</text>
${ticks.join('\n')}
${parts.join('\n')}
</svg>`
}

function tableHtml (result) {
  const rows = []
  for (const s of result.scenarios) {
    for (const c of result.cells.filter((c) => c.scenario === s.name)) {
      if (c.status === 'ok' && s.kind === 'idle') {
        const m = c.summary
        rows.push(`<tr><td>${esc(s.name)}</td><td>${esc(c.variant)}</td><td colspan="8">${f.range(m.bytesPerConnection, f.bytes)} RSS per connection (${m.held} held; ${f.mib(m.rssBefore.median)} before, ${f.mib(m.rssAfter.median)} after); ${f.ratio(c.ratio?.bytesPerConnection?.median)} vs fastify</td></tr>`)
      } else if (c.status === 'ok' && s.kind === 'latency') {
        const m = c.summary
        rows.push(`<tr><td>${esc(s.name)}</td><td>${esc(c.variant)}</td><td colspan="8">${m.levels.map((l, i) => `${pct(l.level)} (${f.num(l.targetRps)} req/s): p50 ${f.ms(l.p50.median)} ms, p99 ${f.ms(l.p99.median)} ms, ${f.us(l.cpuPerRequest.median)} µs/req${c.ratio ? ` (p99 ${f.ratio(c.ratio.levels[i].p99.median)})` : ''}`).join('; ')}</td></tr>`)
      } else if (c.status === 'ok') {
        const m = c.summary
        rows.push(`<tr><td>${esc(s.name)}</td><td>${esc(c.variant)}</td><td>${f.range(m.rps, f.num)}</td><td>${f.ms(m.p50.median)}</td><td>${f.ms(m.p99.median)}</td><td>${f.range(m.cpuPerRequest, f.us)}</td><td>${f.mib(m.peakRss)}</td><td>${m.errors}</td><td>${f.ratio(c.ratio?.rps)}</td><td>${f.ratio(c.ratio?.cpuPerRequest)}</td></tr>`)
      } else {
        rows.push(`<tr class="${c.status}"><td>${esc(s.name)}</td><td>${esc(c.variant)}</td><td colspan="8">${esc(c.status.toUpperCase())}: ${esc(c.reason || '')}</td></tr>`)
      }
    }
  }
  return `<table><thead><tr><th>scenario</th><th>variant</th><th>req/s median (min..max)</th><th>p50 ms</th><th>p99 ms</th><th>CPU µs/req median (min..max)</th><th>peak RSS</th><th>errors</th><th>req/s vs fastify</th><th>CPU/req vs fastify</th></tr></thead><tbody>${rows.join('\n')}</tbody></table>`
}

function chartHtml (result) {
  const m = result.machine
  const cfg = result.config
  // variants with at least one cell that is not skipped get bars; the rest a note
  const shown = []
  const skippedNotes = []
  for (const v of result.variants) {
    const cells = result.cells.filter((c) => c.variant === v.name)
    if (cells.some((c) => c.status !== 'skipped')) shown.push(v.name)
    else if (cells.length) skippedNotes.push(`<li><b>${esc(v.name)}</b>: ${esc([...new Set(cells.map((c) => c.reason))].join('; '))}</li>`)
  }
  const bench = f.benchNode(m, cfg)
  const legend = shown.map((n) => `<span class="key"><i style="background:${COLORS[n] || '#444'}"></i>${esc(n)}</span>`).join(' ')
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>vectored bench ${esc(result.date)}, Node ${esc(m.node)}</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 20px; color: #222; max-width: 1120px; }
h1 { font-size: 20px; margin: 0 0 4px; } p { margin: 4px 0; }
.meta { color: #555; font-size: 13px; }
.key { margin-right: 14px; white-space: nowrap; } .key i { display: inline-block; width: 12px; height: 12px; margin-right: 5px; vertical-align: -1px; }
svg { display: block; margin: 16px 0 8px; }
svg text { font-family: system-ui, sans-serif; }
.title { font-size: 16px; font-weight: 600; } .scen { font-size: 14px; font-weight: 600; } .small { font-size: 12px; fill: #666; }
.vname { font-size: 12px; } .val { font-size: 12px; } .tick { font-size: 11px; fill: #666; }
.note { font-size: 12px; fill: #666; } .skipped { font-size: 12px; fill: #888; font-style: italic; } .failed { font-size: 12px; fill: #c00; font-weight: 600; }
.scen, .small, .val { paint-order: stroke; stroke: #fff; stroke-width: 4px; stroke-linejoin: round; }
.grid { stroke: #e4e4e4; } .one { stroke: #333; stroke-dasharray: 4 3; } .sep { stroke: #ddd; } .whisker { stroke: #000; stroke-width: 1.5; }
table { border-collapse: collapse; font-size: 12px; margin-top: 12px; } td, th { border: 1px solid #ddd; padding: 3px 6px; text-align: right; } td:nth-child(-n+2), th { text-align: left; }
tr.failed td { color: #c00; } tr.skipped td { color: #888; }
</style></head><body>
<h1>vectored vs stock Fastify and peers on Node ${esc(m.node)}</h1>
<p class="meta">${esc(result.date)} · ${esc(m.cpuModel)}, ${m.cores} cores · Node ${esc(m.node)}${bench ? ` (servers; ${esc(bench)})` : ''} · Fastify ${esc(m.fastify)}${m.bun ? ` · Bun ${esc(m.bun)}` : ''}${m.nginx ? ` · nginx ${esc(m.nginx)}` : ''} · load: ${esc(cfg.loadgen)} · ${cfg.rounds} interleaved rounds × ${cfg.duration} s (+${cfg.warmup} s warm-up) · ${esc(m.pinning)}</p>
<p class="meta">Command: <code>${esc(m.command)}</code>${m.commit ? ` · commit ${esc(m.commit)}` : ''}</p>
<p class="meta">Bars: ratio of medians against stock Fastify in this same run; black whisker: min..max over rounds (relative to Fastify's median); dashed line: stock Fastify (1.00x). Absolute numbers swing between runs on shared machines: only the ratios compare.</p>
${result.scenarios.filter((s) => s.peak).map((s) => `<p class="meta">${esc(s.name)}: rates ${esc(s.levels.map((l) => `${pct(l)} = ${f.num(Math.round(s.peak.rps * l))}`).join(', '))} req/s of stock Fastify's peak ${esc(f.num(s.peak.rps))} req/s on hello (${esc(s.peak.loadgen)}, ${esc(s.peak.source)}); paced client, latency from each request's due time.</p>`).join('\n')}
<p>${legend}</p>
${panel(result, shown, 'rps')}
${panel(result, shown, 'cpu')}
${panel(result, shown, 'latency')}
${panel(result, shown, 'idle')}
${skippedNotes.length ? `<p><b>Skipped variants</b></p><ul>${skippedNotes.join('')}</ul>` : ''}
${tableHtml(result)}
</body></html>
`
}

module.exports = { chartHtml }
