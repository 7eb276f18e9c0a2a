'use strict'
// One Fastify app run as several processes, for the tests of
// test/production/ (cluster, reusePort, a worker killed under load) and the
// throughput measurement in docs/processes.md. Started by a parent with an
// IPC channel (child_process.fork); it answers the parent's messages:
//
//   parent -> { type: 'stats' }  the processes that serve, each with its pid,
//                                its listening handle's fd (none on SCHED_RR:
//                                the primary accepts), app.vectored's
//                                active / reason and app.vectored.stats()
//   child -> { type: 'ready', port, pids, policy }   every serving process
//                                listens; policy: the primary's
//                                cluster.schedulingPolicy (null alone)
//   child -> { type: 'stats', workers: [...] }
//   child -> { type: 'exit', pid, code, signal }   a worker died (no refork)
//
// env: MODE stock | plugin (the plugin's default mode) | transport (plugin on
// serverFactory: vectoredServer()); WORKERS: node:cluster workers, 0 = this
// process serves alone; PORT (default 0); REUSE_PORT=1: listen with
// reusePort; NODE_CLUSTER_SCHED_POLICY rr | none is read by node:cluster.
// Without an IPC channel (`node cluster-worker.js`, as the benchmark runs
// it) the port is printed as a line `listening PORT PIDS`.
//
// Every response carries x-worker: <pid>. Bodies are slices of PATTERN.
const cluster = require('node:cluster')
const Fastify = require('fastify')
const { default: vectored, vectoredServer } = require('@vectored/server')

const MODE = process.env.MODE || 'plugin'
const WORKERS = Number(process.env.WORKERS ?? 2)
const PORT = Number(process.env.PORT || 0)

const PATTERN = Buffer.alloc(1 << 20)
for (let i = 0; i < PATTERN.length; i++) PATTERN[i] = (i * 31 + 7) & 255

const tell = (message) => {
  if (process.send) process.send(message)
  else if (message.type === 'ready') process.stdout.write(`listening ${message.port} ${message.pids.join(',')}\n`)
}

async function serve() {
  const app = Fastify({ logger: false, keepAliveTimeout: 10_000, ...(MODE === 'transport' ? { serverFactory: vectoredServer() } : {}) })
  if (MODE !== 'stock') await app.register(vectored)
  const pid = String(process.pid)
  app.addHook('onRequest', async (_req, reply) => { reply.header('x-worker', pid) })
  app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer' }, (_req, body, done) => done(null, body))
  app.get('/hello', async () => ({ hello: 'world' }))
  app.get('/bytes', async (req, reply) => {
    const n = Math.min(Number(req.query.n), PATTERN.length)
    const at = Number(req.query.at) % (PATTERN.length - n + 1)
    reply.type('application/octet-stream')
    return PATTERN.subarray(at, at + n)
  })
  app.get('/slow', async (req) => {
    await new Promise((resolve) => setTimeout(resolve, Number(req.query.ms)))
    return `slow ${req.query.i}`
  })
  app.post('/echo', async (req, reply) => {
    reply.type('application/octet-stream')
    return req.body
  })
  await app.listen({ port: PORT, host: '127.0.0.1', ...(process.env.REUSE_PORT === '1' ? { reusePort: true } : {}) })
  const report = () => ({
    pid: process.pid,
    listenFd: app.server._handle?.fd ?? null,
    active: MODE === 'stock' ? false : app.vectored.active,
    reason: MODE === 'stock' ? 'stock Fastify' : app.vectored.reason,
    stats: MODE === 'stock' ? null : app.vectored.stats(),
  })
  return { port: app.server.address().port, report }
}

async function main() {
  if (WORKERS === 0) {
    const { port, report } = await serve()
    process.on('message', (m) => { if (m.type === 'stats') tell({ type: 'stats', workers: [report()] }) })
    tell({ type: 'ready', port, pids: [process.pid], policy: null })
    return
  }
  if (cluster.isWorker) {
    const { port, report } = await serve()
    process.on('message', (m) => { if (m.type === 'stats') process.send({ type: 'stats', worker: report() }) })
    process.send({ type: 'listening', port })
    return
  }
  // The primary: forks, relays, never serves.
  const workers = []
  let port = 0
  for (let i = 0; i < WORKERS; i++) {
    const w = cluster.fork()
    workers.push(w)
    w.on('exit', (code, signal) => tell({ type: 'exit', pid: w.process.pid, code, signal }))
  }
  await Promise.all(workers.map((w) => new Promise((resolve) => w.on('message', (m) => {
    if (m.type === 'listening') { port = m.port; resolve() }
  }))))
  tell({ type: 'ready', port, pids: workers.map((w) => w.process.pid), policy: cluster.schedulingPolicy })
  process.on('message', async (m) => {
    if (m.type !== 'stats') return
    const alive = workers.filter((w) => !w.isDead())
    const reports = await Promise.all(alive.map((w) => new Promise((resolve) => {
      const on = (r) => { if (r.type === 'stats') { w.off('message', on); resolve(r.worker) } }
      w.on('message', on)
      w.send({ type: 'stats' })
    })))
    tell({ type: 'stats', workers: reports })
  })
  // The parent going away ends the workers too.
  process.on('disconnect', () => { for (const w of workers) w.process.kill(); process.exit(0) })
  process.on('SIGTERM', () => { for (const w of workers) w.process.kill(); process.exit(0) })
}

main().catch((err) => {
  process.stderr.write(`${err.stack}\n`)
  process.exit(1)
})
