#!/usr/bin/env node
'use strict'
// vectored bench: correctness pass, then interleaved timed rounds, then a
// table, raw JSON and an HTML chart. Method and figures: docs/benchmark.md.
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { parseCli, HELP } = require('./lib/cli')
const { variants: allVariants } = require('./lib/variants')
const { detectPeers, installPeers } = require('./lib/peers')
const { pinning } = require('./lib/pin')
const { clockTicks, procAvailable } = require('./lib/proc')
const { machineInfo } = require('./lib/machine')
const { resolveNode, LineError } = require('../scripts/node-lines')
const { correctnessPass, timingPass, key } = require('./lib/measure')
const { AutocannonLoad, WrkLoad } = require('./lib/loadgen')
const { finalize } = require('./lib/summarize')
const { BUDGET_S, QUICK, estimate, fitBudget, sizeOf } = require('./lib/plan')
const { byName: scenariosByName } = require('./lib/scenarios')
const { table } = require('./lib/report')
const { chartHtml } = require('./lib/chart')
const { FILE_NAME, fileBytes } = require('./servers/payloads')
const progress = require('./lib/progress')

const RESULTS = path.join(__dirname, 'results')

async function main () {
  const argv = process.argv.slice(2).filter((a) => a !== '--') // pnpm passes a literal --
  let cfg
  try { cfg = parseCli(argv) } catch (err) {
    process.stderr.write(`${err.message}\n\n${HELP}`)
    process.exit(2)
  }
  if (cfg.help) { process.stdout.write(HELP); return }
  if (!procAvailable()) throw new Error('/proc is not readable: the bench needs Linux to measure server CPU and RSS')

  // The Node the servers run on: --node (fetched when missing), else this one.
  let node = { version: process.versions.node, bin: process.execPath, source: 'running' }
  if (cfg.node) {
    // a relative path: from where pnpm was started (INIT_CWD: the workspace root for `pnpm bench`), not bench/
    const spec = cfg.node.includes('/') ? path.resolve(process.env.INIT_CWD || process.cwd(), cfg.node) : cfg.node
    try { node = resolveNode(spec, { install: true, log: progress.log }) } catch (err) {
      if (!(err instanceof LineError)) throw err
      process.stderr.write(`--node ${cfg.node}: ${err.message}\n`)
      process.exit(1)
    }
    progress.log(`Node servers run on node ${node.version} (${node.bin}); the bench${cfg.loadgen === 'autocannon' ? ' and autocannon' : ''} on ${process.version}`)
  }

  if (cfg.installPeers) for (const note of installPeers(progress.log)) progress.log(note)
  const peers = detectPeers()
  const pin = pinning()
  progress.log(pin.note)
  const loadAtStart = os.loadavg().map((x) => Math.round(x * 100) / 100)
  if (loadAtStart[0] > 0.5) progress.log(`note: load average ${loadAtStart[0]} before the run: other processes are using the machine, expect wide min..max`)

  let loadgen
  if (cfg.loadgen === 'wrk') {
    if (!peers.wrk) throw new Error('--loadgen wrk: wrk is not installed (Debian package wrk; or run with --install-peers)')
    loadgen = new WrkLoad(peers.wrk.path)
  } else loadgen = new AutocannonLoad()
  // latency-fixed's paced client runs in an autocannon worker (lib/paced.js), whatever --loadgen says
  const pacer = loadgen instanceof AutocannonLoad ? loadgen : new AutocannonLoad()

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vectored-bench-'))
  const file = path.join(tmp, FILE_NAME)
  fs.writeFileSync(file, fileBytes())
  const ctx = { ...cfg, allVariants, peers, file, node, pacer }
  if (cfg.budget) progress.log(`quick run: sized to about ${BUDGET_S} s in all; rounds and windows are set after the correctness pass`)

  const cells = new Map()
  for (const s of cfg.scenarios) {
    for (const v of cfg.variants) cells.set(key(v.name, s.name), { scenario: s.name, variant: v.name, status: 'pending', reason: null, samples: [] })
  }

  const date = new Date().toISOString()
  let estimated
  try {
    await correctnessPass(ctx, cells)
    const pending = () => [...cells.values()].filter((c) => c.status === 'pending')
    for (const c of pending()) {
      const why = scenariosByName[c.scenario].loadgens?.[loadgen.name]
      if (why) Object.assign(c, { status: 'skipped', reason: why })
    }
    // The quick run keeps a quick: 'if-fits' row only when the budget has room
    // for it at the quick run's full rounds (the other rows keep 3 rounds).
    const optional = cfg.scenarios.filter((s) => s.quick === 'if-fits') // left out in this order: post-json-1k first
    const room = (plan) => plan.fits && plan.rounds === QUICK.rounds
    let sizes = sizeOf(pending(), scenariosByName)
    while (cfg.budget && optional.length && !room(fitBudget({ ...sizes, elapsed: process.uptime() }, loadgen))) {
      const s = optional.shift()
      const left = pending().filter((c) => c.scenario === s.name)
      for (const c of left) Object.assign(c, { status: 'skipped', reason: `left out of this quick run: its ${BUDGET_S} s budget has no room for it at ${QUICK.rounds} rounds with this many variants (--scenario ${s.name} runs it)` })
      if (left.length) progress.log(`quick run: ${s.name} left out, the budget has no room for it (--scenario ${s.name} runs it)`)
      sizes = sizeOf(pending(), scenariosByName)
    }
    let note = ''
    if (cfg.budget) {
      const plan = fitBudget({ ...sizes, elapsed: process.uptime() }, loadgen)
      Object.assign(ctx, { rounds: plan.rounds, duration: plan.duration, warmup: plan.warmup })
      estimated = plan.estimate
      note = plan.fits ? ` (quick run, budget ${BUDGET_S} s)` : ` (quick run: over its ${BUDGET_S} s budget even at its shortest; --scenario or --variant narrow it)`
    } else estimated = Math.ceil(process.uptime() + estimate({ ...sizes, rounds: ctx.rounds, duration: ctx.duration, warmup: ctx.warmup }, loadgen))
    const total = pending().length * ctx.rounds
    let n = 0
    progress.log(`timing ${pending().length} cells x ${ctx.rounds} rounds, ${ctx.warmup} s warm-up + ${ctx.duration} s window each: about ${estimated} s in all${note}`)
    await loadgen.start()
    await timingPass(ctx, cells, loadgen, (s, v, round) => {
      n++
      progress.step(`[${n}/${total}] ${s.name} round ${round}/${ctx.rounds}: ${v.name}`, v === ctx.variants.find((x) => cells.get(key(x.name, s.name)).status === 'pending'))
    })
  } finally {
    await loadgen.close()
    if (pacer !== loadgen) await pacer.close()
    fs.rmSync(tmp, { recursive: true, force: true })
    progress.done()
  }
  finalize(cells, scenariosByName)

  const result = {
    date,
    seconds: Math.round(process.uptime() * 10) / 10, // wall time of the whole run
    estimatedSeconds: estimated,
    machine: machineInfo({ peers, pinning: pin, clockTicks: clockTicks(), argv, loadAtStart, node, nodeRequested: cfg.node }),
    config: { mode: cfg.mode, budgetSeconds: cfg.budget ? BUDGET_S : null, rounds: ctx.rounds, duration: ctx.duration, warmup: ctx.warmup, loadgen: loadgen.name, connectionsOverride: cfg.connections ?? null },
    scenarios: cfg.scenarios.map((s) => ({ name: s.name, kind: s.kind ?? 'load', desc: s.desc, route: s.route, requests: s.requests?.map((r) => `${r.method} ${r.path}`), connections: cfg.connections ?? s.connections, pipelining: s.pipelining, levels: s.levels, peak: ctx.peaks?.[s.name] })),
    variants: cfg.variants.map((v) => ({ name: v.name, desc: v.desc })),
    cells: [...cells.values()]
  }

  process.stdout.write(table(result) + '\n')
  fs.mkdirSync(RESULTS, { recursive: true })
  const stamp = date.replace(/:/g, '-').replace(/\.\d+Z$/, 'Z')
  const json = JSON.stringify(result, (k, v) => (typeof v === 'number' && !Number.isFinite(v)) ? null : v, 2) + '\n'
  const html = chartHtml(result)
  for (const name of [stamp, 'latest']) {
    fs.writeFileSync(path.join(RESULTS, `${name}.json`), json)
    fs.writeFileSync(path.join(RESULTS, `${name}.html`), html)
  }
  process.stdout.write(`\nWall time ${result.seconds} s (estimated ${estimated} s). Raw samples: bench/results/${stamp}.json, chart: bench/results/${stamp}.html (also latest.json, latest.html)\n`)
  const failed = result.cells.filter((c) => c.status === 'failed')
  if (failed.length) {
    process.stdout.write(`FAILED: ${failed.map((c) => `${c.variant}/${c.scenario}`).join(', ')}\n`)
    process.exitCode = 1
  }
}

main().catch((err) => { progress.done(); console.error(err.stack || err.message); process.exit(1) })
