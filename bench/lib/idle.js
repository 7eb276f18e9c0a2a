'use strict'
// The idle-10k scenario: RSS per idle keep-alive connection. A client child
// (idle-client.js, pinned to the load core) opens the connections, one
// request each, and holds them; the server's RSS (VmRSS) is read before
// and after. Method and limits: docs/benchmark.md.
const path = require('node:path')
const { spawn } = require('node:child_process')
const { pinned, LOAD_CORE } = require('./pin')
const { rss, fdLimit, withNofile } = require('./proc')
const { setTimeout: sleep } = require('node:timers/promises')

const WARM = 200 // connections opened and closed first, so that first-use costs are in the "before"
const SETTLE_MS = 1000 // after the last response, before RSS is read
const FD_MARGIN = 200 // fds a process needs beyond its connections

class IdleClient {
  async start (count) {
    const [cmd, args] = withNofile(count + FD_MARGIN, ...pinned(LOAD_CORE, process.execPath, [path.join(__dirname, 'idle-client.js')]))
    this.child = spawn(cmd, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    await this.reply('ready')
  }

  reply (type) {
    return new Promise((resolve, reject) => {
      const onExit = (code) => reject(new Error(`idle client exited (${code})`))
      this.child.once('exit', onExit)
      const onMessage = (m) => {
        if (m.type !== type) return
        this.child.off('message', onMessage)
        this.child.off('exit', onExit)
        resolve(m)
      }
      this.child.on('message', onMessage)
    })
  }

  ask (msg, type) { this.child.send(msg); return this.reply(type) }

  async close () {
    if (!this.child || this.child.exitCode !== null) return
    this.child.kill()
    await new Promise((resolve) => this.child.once('exit', resolve))
  }
}

// One measurement on a running server (srv: server-process.js's). Returns the sample.
async function measureIdle (srv, scenario, count, client) {
  const limit = fdLimit(srv.pid)
  const open = (n) => client.ask({ type: 'open', port: srv.port, route: scenario.route, count: n, expect: scenario.body().toString('latin1') }, 'opened')
  await open(WARM)
  await client.ask({ type: 'close' }, 'closed')
  await sleep(500)
  const rssBefore = rss(srv.pid)
  const o = await open(count)
  await sleep(SETTLE_MS)
  const rssAfter = rss(srv.pid)
  const still = await client.ask({ type: 'check' }, 'checked')
  await client.ask({ type: 'close' }, 'closed')
  const held = Math.min(o.open, still.open)
  return {
    connections: count,
    held, // connections open with a correct response when RSS was read, and still open after
    problems: o.problems,
    openSeconds: o.seconds,
    rssBefore,
    rssAfter,
    bytesPerConnection: held ? (rssAfter - rssBefore) / held : NaN,
    fdLimit: limit.soft,
    fdLimitHard: limit.hard,
    clientFdLimit: count + FD_MARGIN
  }
}

module.exports = { IdleClient, measureIdle, FD_MARGIN }
