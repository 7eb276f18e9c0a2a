#!/usr/bin/env node
'use strict'
// Throughput with 1 and 2 server processes, stock Fastify against the
// vectored plugin (default mode), measured with wrk: the numbers of
// docs/processes.md.
//
//   node scripts/processes-bench.js [--node PATH] [--rounds 5] [--seconds 5] [--connections 64]
//
// Servers are test/production/cluster-worker.js: 1 process alone, pinned to
// core 0 (wrk on core 1); or a node:cluster primary with 2 workers (the
// default SCHED_RR), server and wrk sharing cores 0-1. Variants alternate
// within each round (stock-1, vectored-1, stock-2, vectored-2, ...), each on
// a fresh server with a 1 s warm-up. Per run: requests/s from wrk and the
// server's CPU (utime + stime of the primary and its workers, from
// /proc/PID/stat) per request. A run with non-2xx responses or socket errors
// is reported as failed; every run's processes must count no fallbacks.
const cp = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')

const args = process.argv.slice(2)
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`)
  return i === -1 ? fallback : args[i + 1]
}
const NODE = opt('node', process.execPath)
const ROUNDS = Number(opt('rounds', 5))
const SECONDS = Number(opt('seconds', 5))
const CONNECTIONS = Number(opt('connections', 64))
const SCRIPT = path.join(__dirname, '..', 'test', 'production', 'cluster-worker.js')
const TICK_US = 1e6 / Number(cp.execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim())

const VARIANTS = [
  { name: 'stock, 1 process', mode: 'stock', workers: 0, cores: '0', wrkCores: '1' },
  { name: 'vectored, 1 process', mode: 'plugin', workers: 0, cores: '0', wrkCores: '1' },
  { name: 'stock, 2 processes', mode: 'stock', workers: 2, cores: '0,1', wrkCores: '0,1' },
  { name: 'vectored, 2 processes', mode: 'plugin', workers: 2, cores: '0,1', wrkCores: '0,1' },
]

function start(v) {
  const child = cp.spawn('taskset', ['-c', v.cores, NODE, SCRIPT], {
    cwd: path.dirname(SCRIPT),
    env: { ...process.env, MODE: v.mode, WORKERS: String(v.workers), NODE_CLUSTER_SCHED_POLICY: 'rr' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${v.name}: the server exited with ${code}`)))
    child.on('message', (m) => { if (m.type === 'ready') resolve({ child, port: m.port, pids: v.workers === 0 ? m.pids : [child.pid, ...m.pids] }) })
  })
}

function stats(child) {
  return new Promise((resolve) => {
    const on = (m) => { if (m.type === 'stats') { child.off('message', on); resolve(m.workers) } }
    child.on('message', on)
    child.send({ type: 'stats' })
  })
}

function cpuUs(pids) {
  let ticks = 0
  for (const pid of pids) {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1')
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ') // fields from 3 (state) on
    ticks += Number(f[11]) + Number(f[12]) // utime, stime: fields 14 and 15
  }
  return ticks * TICK_US
}

/** wrk's run, with its own CPU: the cutime + cstime of the shell that waited for it. */
function wrk(v, port, seconds) {
  const command = `taskset -c ${v.wrkCores} wrk -t1 -c${CONNECTIONS} -d${seconds}s http://127.0.0.1:${port}/hello; echo; cat /proc/$$/stat`
  const out = cp.execFileSync('sh', ['-c', command], { encoding: 'utf8' })
  const num = (re) => Number((re.exec(out) || [])[1] || 0)
  const shell = out.trimEnd().split('\n').pop()
  const f = shell.slice(shell.lastIndexOf(')') + 2).split(' ')
  return {
    wrkCpuUs: (Number(f[13]) + Number(f[14])) * TICK_US, // cutime, cstime: fields 16 and 17
    requests: num(/(\d+) requests in/),
    rps: num(/Requests\/sec:\s+([\d.]+)/),
    errors: num(/Non-2xx or 3xx responses: (\d+)/) + [...out.matchAll(/(?:connect|read|write|timeout) (\d+)/g)].reduce((a, m) => a + Number(m[1]), 0),
  }
}

async function run(v) {
  const server = await start(v)
  try {
    const res = await fetch(`http://127.0.0.1:${server.port}/hello`)
    const body = await res.text()
    if (res.status !== 200 || body !== '{"hello":"world"}') throw new Error(`${v.name}: /hello answered ${res.status} ${body}`)
    wrk(v, server.port, 1) // warm-up
    const before = cpuUs(server.pids)
    const t0 = process.hrtime.bigint()
    const r = wrk(v, server.port, SECONDS)
    const wall = Number(process.hrtime.bigint() - t0) / 1000
    const cpu = cpuUs(server.pids) - before
    const reports = await stats(server.child)
    const fallbacks = reports.reduce((a, w) => a + Object.values(w.stats?.fallbacks ?? {}).reduce((x, y) => x + y, 0), 0)
    if (v.mode !== 'stock' && (fallbacks > 0 || reports.some((w) => !w.active))) throw new Error(`${v.name}: ${fallbacks} fallbacks`)
    return { ...r, usPerRequest: cpu / r.requests, serverCores: cpu / wall, wrkCores: r.wrkCpuUs / wall, perProcess: reports.map((w) => w.stats?.responses ?? null) }
  } finally {
    server.child.removeAllListeners('exit')
    server.child.kill('SIGTERM')
    await new Promise((resolve) => (server.child.exitCode !== null ? resolve() : server.child.once('exit', resolve)))
  }
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2 }

async function main() {
  const version = cp.execFileSync(NODE, ['-p', 'process.version'], { encoding: 'utf8' }).trim()
  process.stdout.write(`node ${version}, wrk -t1 -c${CONNECTIONS} -d${SECONDS}s, ${ROUNDS} rounds, GET /hello\n`)
  const results = new Map(VARIANTS.map((v) => [v.name, []]))
  for (let round = 1; round <= ROUNDS; round++) {
    for (const v of VARIANTS) {
      const r = await run(v)
      results.get(v.name).push(r)
      process.stdout.write(`round ${round} ${v.name}: ${r.rps.toFixed(0)} req/s, ${r.usPerRequest.toFixed(1)} us CPU/req, cores busy: server ${r.serverCores.toFixed(2)} wrk ${r.wrkCores.toFixed(2)}, ${r.errors} errors, responses per process (stats) ${r.perProcess.every((x) => x === null) ? '-' : r.perProcess.join('/')}\n`)
    }
  }
  process.stdout.write('\n| server | req/s median (min..max) | server CPU us/req median | cores busy: server / wrk | vs stock, same process count |\n|---|---|---|---|---|\n')
  const med = (name, key) => median(results.get(name).map((r) => r[key]))
  for (const v of VARIANTS) {
    const rs = results.get(v.name)
    const failed = rs.filter((r) => r.errors > 0).length
    const stock = v.name.replace('vectored', 'stock')
    const ratio = v.mode === 'stock' ? '1.00x / 1.00x' : `${(med(v.name, 'rps') / med(stock, 'rps')).toFixed(2)}x req/s / ${(med(v.name, 'usPerRequest') / med(stock, 'usPerRequest')).toFixed(2)}x CPU`
    const rps = rs.map((r) => r.rps)
    process.stdout.write(`| ${v.name} | ${(med(v.name, 'rps') / 1000).toFixed(1)}k (${(Math.min(...rps) / 1000).toFixed(1)}k..${(Math.max(...rps) / 1000).toFixed(1)}k) | ${med(v.name, 'usPerRequest').toFixed(1)} | ${med(v.name, 'serverCores').toFixed(2)} / ${med(v.name, 'wrkCores').toFixed(2)} | ${ratio}${failed ? `, ${failed} failed runs` : ''} |\n`)
  }
}

main().catch((err) => { process.stderr.write(`${err.stack}\n`); process.exit(1) })
