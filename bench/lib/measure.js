'use strict'
// The two passes: correctness (raw socket, byte for byte) and timing
// (interleaved rounds, warm-up, server CPU and peak RSS from /proc).
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { startServer, freePort } = require('./server-process')
const { nginxProxySpec } = require('./nginx')
const { LOAD_CORE } = require('./pin')
const { checkScenario } = require('./correctness')
const { cpuMicros, peakRss } = require('./proc')
const { IdleClient, measureIdle, FD_MARGIN } = require('./idle')
const { median } = require('./stats')
const progress = require('./progress')

const key = (v, s) => `${v}\t${s}`

// Start a variant's server (for a scenario with a front: behind it), or say why it cannot run.
async function launch (variant, ctx, scenario) {
  if (scenario?.front === 'nginx-unix') return launchBehindNginx(variant, ctx)
  const port = await freePort()
  const prep = variant.prepare(ctx.peers, port, ctx)
  if (!prep.ok) return { status: 'skipped', reason: prep.reason }
  const spec = { ...prep.spec, env: { ...prep.spec.env, BENCH_FILE: ctx.file } }
  if (ctx.serverConnections) spec.nofile = ctx.serverConnections + FD_MARGIN // idle-10k: raised by sh's ulimit when lower
  const r = await startServer(spec, port)
  const cleanup = () => prep.spec.cleanup?.()
  if (r.status === 'unavailable') { cleanup(); return { status: 'skipped', reason: r.reason } }
  if (r.status !== 'ready') { cleanup(); return { status: 'failed', reason: `server did not start: ${r.reason}` } }
  return { ...r, stop: async () => { await r.stop(); cleanup() } }
}

// The app on a unix socket (LISTEN_PATH), nginx in front on a loopback port,
// pinned to the load generator's core so the app has its core alone. The
// measured pid is the app's; the load goes to nginx.
async function launchBehindNginx (variant, ctx) {
  if (!variant.listensOnPath) return { status: 'skipped', reason: 'n/a: this scenario compares the Fastify variants on a unix socket' }
  if (!ctx.peers.nginx) return { status: 'skipped', reason: 'nginx not installed (apt-get install -y nginx, or run with --install-peers)' }
  const prep = variant.prepare(ctx.peers, 0, ctx)
  if (!prep.ok) return { status: 'skipped', reason: prep.reason }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vb-unix-'))
  const sock = path.join(dir, 'app.sock')
  const removeDir = () => fs.rmSync(dir, { recursive: true, force: true })
  const app = await startServer({ ...prep.spec, env: { ...prep.spec.env, BENCH_FILE: ctx.file, LISTEN_PATH: sock } }, 0)
  if (app.status === 'unavailable') { removeDir(); return { status: 'skipped', reason: app.reason } }
  if (app.status !== 'ready') { removeDir(); return { status: 'failed', reason: `server did not start on a unix socket: ${app.reason}` } }
  const port = await freePort()
  const spec = nginxProxySpec(ctx.peers.nginx.path, port, sock)
  const front = await startServer({ ...spec, core: LOAD_CORE }, port)
  if (front.status !== 'ready') {
    spec.cleanup()
    await app.stop()
    removeDir()
    return { status: 'failed', reason: `nginx did not start: ${front.reason}` }
  }
  return {
    ...app,
    port,
    stop: async () => {
      await front.stop()
      spec.cleanup()
      await app.stop()
      removeDir()
    }
  }
}

// cells: Map key(variant, scenario) -> { variant, scenario, status, reason, ... }
async function correctnessPass (ctx, cells) {
  const references = new Map()
  // stock Fastify first: its responses are the reference for the others
  const order = [...ctx.allVariants.filter((v) => v.name === 'fastify'), ...ctx.variants.filter((v) => v.name !== 'fastify')]
  for (const variant of order) {
    progress.step(`correctness: ${variant.name}`)
    const srv = await launch(variant, ctx)
    progress.step(`correctness: ${variant.name}: ${srv.status === 'ready' ? 'checking' : `${srv.status}: ${srv.reason}`}`, true)
    for (const scenario of ctx.scenarios) {
      const cell = cells.get(key(variant.name, scenario.name))
      if (srv.status !== 'ready') {
        if (cell) Object.assign(cell, { status: srv.status, reason: srv.reason })
        continue
      }
      const why = variant.unsupported?.[scenario.name] ?? srv.missing.get(scenario.route)
      if (why) { if (cell) Object.assign(cell, { status: 'skipped', reason: why }); continue }
      progress.step(`correctness: ${variant.name} ${scenario.name}`)
      // A scenario with a front gets its own server behind it.
      const target = scenario.front ? await launch(variant, ctx, scenario) : srv
      if (target.status !== 'ready') {
        if (cell) Object.assign(cell, { status: target.status, reason: target.reason })
        continue
      }
      const ref = variant.name === 'fastify' ? null : references.get(scenario.name)
      const r = await checkScenario(target.port, scenario, ref, variant.strictHeaders)
      if (scenario.front) await target.stop()
      if (variant.name === 'fastify' && r.ok) references.set(scenario.name, r.samples)
      if (cell) {
        cell.correctness = { ok: r.ok, problems: r.problems, headers: r.sample?.headers }
        if (!r.ok) Object.assign(cell, { status: 'failed', reason: `incorrect response: ${r.problems.join('; ')}` })
      }
      if (!r.ok) progress.log(`correctness FAILED: ${variant.name} ${scenario.name}: ${r.problems.join('; ')}`)
    }
    if (srv.status === 'ready') await srv.stop()
  }
}

// One measured window of a load (loadgen.run), as the sample the JSON keeps.
async function measureWindow (ctx, srv, load, loadgen, label) {
  let cpu0 = NaN
  const mark = () => { try { cpu0 = cpuMicros(srv.pid) } catch {} }
  // a server that died in the warm-up shows at the read after the window
  let r = await loadgen.run({ ...load, warmup: ctx.warmup, duration: ctx.duration }, mark)
  let retried = false
  if (r.requests === 0 && !r.errors && !r.non2xx && !r.timeouts && !srv.exited() && !load.rate) {
    // A short window (the quick run's 0.5 s) can fall entirely inside
    // a stall of the shared host with slow responses (4 MiB bodies):
    // once, the window runs again, four times longer. A server that
    // completes nothing then either is FAILED as before.
    retried = true
    progress.log(`${label}: no request completed in ${ctx.duration} s; measuring this window again for ${Math.max(2, ctx.duration * 4)} s`)
    r = await loadgen.run({ ...load, warmup: ctx.warmup, duration: Math.max(2, ctx.duration * 4) }, mark)
  }
  const cpu1 = cpuMicros(srv.pid)
  return {
    retried,
    ...r,
    rps: r.requests / r.seconds,
    cpuMicros: cpu1 - cpu0,
    cpuPerRequest: r.requests ? (cpu1 - cpu0) / r.requests : NaN,
    rssSoFar: peakRss(srv.pid)
  }
}

const failure = (srv, err) => ({ status: 'failed', reason: `${srv.exited() ? 'the server exited' : `measurement failed: ${err.message}`}${srv.stderr() ? ` (server: ${srv.stderr().trim().split('\n').pop()})` : ''}` })

// The latency-fixed scenario's rates are fractions of stock Fastify's peak
// req/s on hello in this run: the hello scenario's (when it was timed in
// this run with the same connections), else measured here first, with the
// run's load generator, on this scenario's stock server.
async function peakRate (ctx, scenario, servers, loadgen, connections) {
  const hello = ctx.helloPeak
  if (hello && hello.connections === connections) return { ...hello, source: 'the hello scenario of this run' }
  const srv = servers.get('fastify')
  if (!srv) return null
  const samples = []
  for (let round = 1; round <= ctx.rounds; round++) {
    progress.step(`${scenario.name}: stock fastify's peak, round ${round}/${ctx.rounds}`, round === 1)
    const r = await measureWindow(ctx, srv, { port: srv.port, route: scenario.route, connections, pipelining: 1 }, loadgen, `${scenario.name} peak`)
    if (r.errors || r.non2xx || r.timeouts || !r.requests) return null
    samples.push(r.rps)
  }
  return { rps: median(samples), samples, loadgen: loadgen.name, connections, source: `measured in this scenario (${ctx.rounds} windows of stock fastify on ${scenario.route})` }
}

async function timingPass (ctx, cells, loadgen, onWindow) {
  ctx.peaks = {}
  for (const scenario of ctx.scenarios) {
    const runnable = ctx.variants.filter((v) => cells.get(key(v.name, scenario.name)).status === 'pending')
    if (!runnable.length) continue
    const connections = ctx.connections ?? scenario.connections
    if (scenario.kind === 'idle') { await idleRounds(ctx, cells, scenario, runnable, connections, onWindow); continue }
    const servers = new Map()
    const launched = await Promise.all(runnable.map((v) => launch(v, ctx, scenario)))
    runnable.forEach((v, i) => {
      const srv = launched[i]
      if (srv.status === 'ready') servers.set(v.name, srv)
      else Object.assign(cells.get(key(v.name, scenario.name)), { status: srv.status, reason: srv.reason })
    })
    let rates = [null]
    if (scenario.kind === 'latency') {
      const peak = await peakRate(ctx, scenario, servers, loadgen, connections)
      if (!peak) {
        for (const v of runnable) Object.assign(cells.get(key(v.name, scenario.name)), { status: 'failed', reason: 'no peak rate of stock fastify to set the rates from (stock did not run, or its peak window had errors)' })
      } else {
        ctx.peaks[scenario.name] = peak
        rates = scenario.levels.map((level) => ({ level, rps: Math.round(peak.rps * level) }))
        if (!ctx.pacer.child) await ctx.pacer.start()
      }
    }
    const base = { route: scenario.route, connections, pipelining: scenario.pipelining, requests: scenario.requests }
    for (let round = 1; round <= ctx.rounds; round++) {
      for (const v of runnable) {
        const srv = servers.get(v.name)
        const cell = cells.get(key(v.name, scenario.name))
        if (!srv || cell.status !== 'pending') continue
        onWindow(scenario, v, round)
        try {
          for (const rate of rates) {
            const load = rate ? { ...base, port: srv.port, rate: rate.rps } : { ...base, port: srv.port }
            const sample = await measureWindow(ctx, srv, load, rate ? ctx.pacer : loadgen, `${v.name} ${scenario.name} round ${round}`)
            cell.samples.push(rate ? { round, level: rate.level, ...sample } : { round, ...sample })
          }
        } catch (err) {
          Object.assign(cell, failure(srv, err))
        }
      }
    }
    if (scenario.name === 'hello') {
      const stock = cells.get(key('fastify', 'hello'))
      const ok = stock?.samples.length && stock.samples.every((x) => x.requests && !x.errors && !x.non2xx && !x.timeouts)
      if (ok && stock.status === 'pending') ctx.helloPeak = { rps: median(stock.samples.map((x) => x.rps)), samples: stock.samples.map((x) => x.rps), loadgen: loadgen.name, connections }
    }
    for (const [name, srv] of servers) {
      const cell = cells.get(key(name, scenario.name))
      try { cell.peakRss = peakRss(srv.pid) } catch {}
      await srv.stop()
    }
  }
}

// idle-10k: fresh servers every round (RSS does not come back after the
// connections close), the variants one after the other within a round.
async function idleRounds (ctx, cells, scenario, runnable, count, onWindow) {
  const client = new IdleClient()
  await client.start(count)
  const sctx = { ...ctx, serverConnections: count } // nginx: worker_connections
  try {
    for (let round = 1; round <= ctx.rounds; round++) {
      const pending = runnable.filter((v) => cells.get(key(v.name, scenario.name)).status === 'pending')
      const launched = await Promise.all(pending.map((v) => launch(v, sctx, scenario)))
      for (const [i, v] of pending.entries()) {
        const srv = launched[i]
        const cell = cells.get(key(v.name, scenario.name))
        if (srv.status !== 'ready') { Object.assign(cell, { status: srv.status, reason: srv.reason }); continue }
        onWindow(scenario, v, round)
        try {
          cell.samples.push({ round, ...await measureIdle(srv, scenario, count, client) })
          cell.peakRss = Math.max(cell.peakRss ?? 0, peakRss(srv.pid))
        } catch (err) {
          Object.assign(cell, failure(srv, err))
        }
      }
      await Promise.all(launched.filter((s) => s.status === 'ready').map((s) => s.stop()))
    }
  } finally {
    await client.close()
  }
}

module.exports = { correctnessPass, timingPass, key }
