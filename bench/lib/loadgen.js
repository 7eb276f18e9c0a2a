'use strict'
// Load generators, pinned to the load core: autocannon (a long-lived child
// process using it as a library; warm-up and window in one run) or wrk (one
// process for the warm-up, one for the window).
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { spawn } = require('node:child_process')
const { pinned, LOAD_CORE } = require('./pin')
const { rawRequest } = require('./http-raw')

class AutocannonLoad {
  constructor () {
    this.name = 'autocannon'
    this.overheadS = 0.15 // per window: a new run, its connections, the stop check every 100 ms
  }

  seconds (s) { return s }

  async start () {
    const [cmd, args] = pinned(LOAD_CORE, process.execPath, [path.join(__dirname, 'autocannon-worker.js')])
    this.child = spawn(cmd, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    await new Promise((resolve, reject) => {
      this.child.once('message', (m) => m.type === 'ready' ? resolve() : reject(new Error('bad worker')))
      this.child.once('exit', (code) => reject(new Error(`autocannon worker exited (${code})`)))
    })
  }

  // { port, route, requests, connections, pipelining, warmup, duration }:
  // one warm-up then one measured window; onMark() runs between them.
  // requests (optional): [{ method, path, headers, body }] in turn per
  // connection instead of GET route. With rate (req/s, optional): the paced
  // client of paced.js instead of autocannon (the latency-fixed scenario).
  run (options, onMark) {
    return new Promise((resolve, reject) => {
      const onMessage = (m) => {
        if (m.type === 'mark') return onMark()
        this.child.off('message', onMessage)
        m.error ? reject(new Error(m.error)) : resolve(m.result)
      }
      this.child.on('message', onMessage)
      this.child.send({ type: 'load', options: { ...options, requests: options.requests?.map((r) => ({ ...r, body: r.body?.toString('latin1') })) } })
    })
  }

  async close () {
    if (!this.child || this.child.exitCode !== null) return
    this.child.kill()
    await new Promise((resolve) => this.child.once('exit', resolve))
  }
}

function toMs (s) {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(s)
  if (!m) return NaN
  return Number(m[1]) * { us: 1e-3, ms: 1, s: 1e3, m: 6e4 }[m[2]]
}

function parseWrk (out) {
  const num = (re) => { const m = re.exec(out); return m ? Number(m[1]) : 0 }
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out)
  const p = (q) => { const m = new RegExp(`^\\s+${q}%\\s+(\\S+)`, 'm').exec(out); return m ? toMs(m[1]) : NaN }
  const m = /(\d+) requests in ([\d.]+)(us|ms|s|m),/.exec(out)
  if (!m) throw new Error(`cannot parse wrk output: ${out.slice(0, 300)}`)
  return {
    requests: Number(m[1]),
    seconds: toMs(m[2] + m[3]) / 1000,
    p50: p(50),
    p99: p(99),
    non2xx: num(/Non-2xx or 3xx responses: (\d+)/),
    errors: sock ? Number(sock[1]) + Number(sock[2]) + Number(sock[3]) : 0,
    readErrors: sock ? Number(sock[2]) : 0, // of errors: see silentCloseReads in summarize.js
    timeouts: sock ? Number(sock[4]) : 0
  }
}

class WrkLoad {
  constructor (wrkPath) {
    this.name = 'wrk'
    this.path = wrkPath
    this.overheadS = 0.25 // per window: two processes and their connections
  }

  seconds (s) { return Math.max(1, Math.round(s)) } // wrk -d takes whole seconds
  async start () {}
  async close () {}

  async run (o, onMark) {
    const w = await this.once({ ...o, duration: o.warmup })
    onMark()
    const r = await this.once(o)
    return { ...r, warmup: { requests: w.requests, non2xx: w.non2xx, errors: w.errors, readErrors: w.readErrors, timeouts: w.timeouts } }
  }

  once (o) {
    const args = ['-t1', `-c${o.connections}`, `-d${this.seconds(o.duration)}s`, '--latency', '--timeout', '10s']
    let script = []
    let file = null
    if (o.requests) {
      // the raw requests in a file, read by wrk-requests.lua
      const raw = o.requests.map((r) => rawRequest(r, `127.0.0.1:${o.port}`))
      file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'vb-wrk-')), 'requests')
      fs.writeFileSync(file, Buffer.concat(raw))
      args.push('-s', path.join(__dirname, 'wrk-requests.lua'))
      script = ['--', file, raw.map((b) => b.length).join(',')]
    } else if (o.pipelining > 1) {
      args.push('-s', path.join(__dirname, 'wrk-pipeline.lua'))
      script = ['--', String(o.pipelining)]
    }
    args.push(`http://127.0.0.1:${o.port}${o.route}`, ...script)
    const [cmd, a] = pinned(LOAD_CORE, this.path, args)
    const removeFile = () => { if (file) fs.rmSync(path.dirname(file), { recursive: true, force: true }) }
    return new Promise((resolve, reject) => {
      const child = spawn(cmd, a, { stdio: ['ignore', 'pipe', 'pipe'] })
      let out = ''
      child.stdout.on('data', (d) => { out += d })
      child.stderr.on('data', (d) => { out += d })
      child.once('error', (err) => { removeFile(); reject(err) })
      child.once('close', (code) => {
        removeFile()
        if (code !== 0) return reject(new Error(`wrk exited ${code}: ${out.slice(0, 300)}`))
        try { resolve(parseWrk(out)) } catch (err) { reject(err) }
      })
    })
  }
}

module.exports = { AutocannonLoad, WrkLoad, parseWrk }
