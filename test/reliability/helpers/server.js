'use strict'
// A Fastify app with the vectored plugin, run as a child process by the
// reliability tests (soak, never-reading clients) so its fds and RSS can be
// read from /proc/<pid> and a crash is seen as an exit. Every body is a
// slice of one deterministic pattern, so clients check bytes exactly.
//   node --expose-gc server.js   (env: CONNECTION_TIMEOUT ms, default 0 = none;
//   SEND_BUFFER bytes: SO_SNDBUF of every accepted socket, default the kernel's
//   autotuning; VECTORED_ENABLED=0: stock Fastify, the plugin registered disabled;
//   BACKLOG: listen backlog, default Node's 511)
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { Readable } = require('node:stream')
const Fastify = require('fastify')
const vectored = require('@vectored/server').default

const PATTERN = Buffer.alloc(16 << 20)
for (let i = 0; i < PATTERN.length; i++) PATTERN[i] = (i * 31 + 7) & 255

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vectored-server-'))
  const file = path.join(dir, 'pattern.bin')
  fs.writeFileSync(file, PATTERN.subarray(0, 4 << 20))
  const app = Fastify({ logger: false, connectionTimeout: Number(process.env.CONNECTION_TIMEOUT || 0), keepAliveTimeout: 5000 })
  await app.register(vectored, { enabled: process.env.VECTORED_ENABLED !== '0' })
  app.get('/small', async () => ({ hello: 'world' }))
  app.get('/vector/:n', (req, reply) => {
    const n = Math.min(Number(req.params.n), PATTERN.length)
    const pieces = []
    for (let at = 0, step = Math.ceil(n / 8) || 1; at < n; at += step) pieces.push(PATTERN.subarray(at, Math.min(n, at + step)))
    reply.sendVector(pieces)
  })
  app.get('/stream/:n', (req, reply) => {
    const n = Math.min(Number(req.params.n), PATTERN.length)
    let at = 0
    reply.type('application/octet-stream').send(
      new Readable({
        read() {
          if (at >= n) return this.push(null)
          const end = Math.min(n, at + 65536)
          this.push(PATTERN.subarray(at, end))
          at = end
        },
      })
    )
  })
  // Like /stream, but every chunk is a fresh copy: without backpressure a
  // client that does not read would make this grow the heap without bound.
  app.get('/fresh/:n', (req, reply) => {
    const n = Math.min(Number(req.params.n), PATTERN.length)
    let at = 0
    reply.type('application/octet-stream').send(
      new Readable({
        read() {
          if (at >= n) return this.push(null)
          const end = Math.min(n, at + 65536)
          this.push(Buffer.from(PATTERN.subarray(at, end)))
          at = end
        },
      })
    )
  })
  app.get('/file', (req, reply) => reply.sendFile(file))
  app.get('/__stats', async () => {
    global.gc?.()
    await new Promise((r) => setTimeout(r, 50))
    global.gc?.()
    const m = process.memoryUsage()
    const status = fs.readFileSync('/proc/self/status', 'latin1')
    const kb = (name) => Number((new RegExp(`${name}:\\s+(\\d+) kB`).exec(status) || [])[1]) * 1024
    return {
      rss: m.rss,
      heapTotal: m.heapTotal,
      heapUsed: m.heapUsed,
      external: m.external,
      arrayBuffers: m.arrayBuffers,
      rssAnon: kb('RssAnon'),
      rssFile: kb('RssFile'),
      fds: fs.readdirSync('/proc/self/fd').length,
      active: app.vectored.active,
      stats: app.vectored.stats(),
    }
  })
  if (process.env.HEAP_SNAPSHOTS) {
    // Diagnosis: write a V8 heap snapshot (after gc) into that directory.
    let n = 0
    app.get('/__snapshot', async () => {
      global.gc?.()
      const f = require('node:v8').writeHeapSnapshot(path.join(process.env.HEAP_SNAPSHOTS, `server-${process.pid}-${n++}.heapsnapshot`))
      return { file: f }
    })
  }
  const sendBuffer = Number(process.env.SEND_BUFFER || 0)
  if (sendBuffer > 0) {
    // A fixed send buffer turns off the kernel's autotuning for the socket:
    // what a client that never reads can make the kernel hold stays bounded.
    const native = require('@vectored/native')
    app.server.on('connection', (socket) => native.setSocketBuffers(socket._handle.fd, sendBuffer, 0))
  }
  await app.listen({ port: 0, host: '127.0.0.1', backlog: Number(process.env.BACKLOG || 511) })
  process.send?.({ port: app.server.address().port, active: app.vectored.active, reason: app.vectored.reason })
  process.on('disconnect', () => app.close().then(() => process.exit(0)))
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }))
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
