'use strict'
// Start one variant's server pinned to the server core, wait until it
// listens, and stop it again.
const { spawn } = require('node:child_process')
const net = require('node:net')
const { pinned, SERVER_CORE } = require('./pin')
const { withNofile } = require('./proc')

// A free loopback port (bound then released), never one handed out before
// in this run: servers of one scenario start in parallel.
const handedOut = new Set()
async function freePort () {
  for (;;) {
    const port = await new Promise((resolve, reject) => {
      const s = net.createServer()
      s.once('error', reject)
      s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)) })
    })
    if (!handedOut.has(port)) { handedOut.add(port); return port }
  }
}

function canConnect (port) {
  return new Promise((resolve) => {
    const c = net.connect(port, '127.0.0.1')
    c.once('connect', () => { c.destroy(); resolve(true) })
    c.once('error', () => resolve(false))
  })
}

/**
 * spec: { cmd, args, env, cwd, readyBy: 'stdout' | 'connect', core (default: the server core),
 *         nofile (optional: the open file limit to raise the server's to, proc.js withNofile) }
 * resolves { status: 'ready', pid, port, missing: Map<route, reason>, stop() }
 *       or { status: 'unavailable' | 'failed', reason }
 */
async function startServer (spec, port, { timeoutMs = 15000 } = {}) {
  const [cmd, args] = spec.nofile ? withNofile(spec.nofile, ...pinned(spec.core ?? SERVER_CORE, spec.cmd, spec.args)) : pinned(spec.core ?? SERVER_CORE, spec.cmd, spec.args)
  const child = spawn(cmd, args, {
    cwd: spec.cwd,
    env: { ...process.env, ...spec.env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let stderr = ''
  child.stderr.on('data', (d) => { stderr = (stderr + d).slice(-4000) })
  const missing = new Map()
  let exited = false
  const exit = new Promise((resolve) => child.once('close', (code, sig) => { exited = true; resolve({ code, sig }) }))
  const spawnError = new Promise((resolve) => child.once('error', (err) => resolve(err)))

  const stop = async () => {
    if (exited) return
    child.kill('SIGTERM')
    const t = setTimeout(() => child.kill('SIGKILL'), 3000)
    await exit
    clearTimeout(t)
  }

  const outcome = await new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ status: 'failed', reason: `not ready after ${timeoutMs} ms` }), timeoutMs)
    const done = (v) => { clearTimeout(timer); resolve(v) }
    let buf = ''
    child.stdout.on('data', (d) => {
      buf += d
      let i
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i).trim()
        buf = buf.slice(i + 1)
        const [word, ...rest] = line.split(' ')
        if (word === 'missing') missing.set(rest[0], rest.slice(1).join(' '))
        else if (word === 'unavailable') done({ status: 'unavailable', reason: rest.join(' ') })
        else if (word === 'ready' && spec.readyBy !== 'connect') done({ status: 'ready' })
      }
    })
    spawnError.then((err) => done({ status: 'failed', reason: `cannot start ${spec.cmd}: ${err.message}` }))
    exit.then(({ code, sig }) => done({ status: 'failed', reason: `exited (${sig || code}) before ready: ${stderr.trim().split('\n').slice(-3).join(' | ')}` }))
    if (spec.readyBy === 'connect') {
      const poll = async () => {
        while (!exited) {
          if (await canConnect(port)) return done({ status: 'ready' })
          await new Promise((resolve) => setTimeout(resolve, 50))
        }
      }
      poll()
    }
  })

  if (outcome.status !== 'ready') { await stop(); return outcome }
  return { status: 'ready', pid: child.pid, port, missing, stop, stderr: () => stderr, exited: () => exited }
}

module.exports = { startServer, freePort }
