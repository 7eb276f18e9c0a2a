/**
 * A rolling restart behind a real nginx: two instances of one app (stock
 * Fastify, or with vectored in the plugin's default mode, with
 * `{ connections: 'node' }` or on the transport) behind
 *
 *   upstream app { server A; server B; keepalive 16; }
 *   proxy_http_version 1.1; proxy_set_header Connection "";
 *   proxy_next_upstream error timeout http_503 non_idempotent;
 *
 * while a bounded load runs through nginx (an undici Pool of 16
 * connections: GETs of small and 64 KiB bodies, some answered after a
 * delay, and POSTs echoing their body). Each instance in turn is closed with
 * app.close() and a new one listens on its port. Every request must succeed
 * with its exact body. nginx's access log says how many requests it retried
 * on the other instance (after a 503 from a closing one, or a refused
 * connect while neither listened on the port).
 *
 * Under VECTORED_SOAK=1 (`pnpm soak`): more requests and more restarts.
 */
import t from 'tap'
import * as cp from 'node:child_process'
import * as fs from 'node:fs'
import * as net from 'node:net'
import * as path from 'node:path'
import { Pool } from 'undici'
import Fastify, { type FastifyInstance } from 'fastify'
import vectored, { vectoredServer } from '@vectored/server'
import { writeNginxConf } from '../../bench/lib/nginx-conf'
import { PATTERN, findOrInstallNginx, freePort, tmpDir, waitForPort } from '../unix/helpers'
import { SOAK, size, until } from '../reliability/helpers/common'

const MODES = ['stock', 'plugin', 'node-connections', 'transport'] as const
type Mode = typeof MODES[number]

const REQUESTS = size(10_000, 200_000)
/** Instances restarted, A and B in turn. */
const RESTARTS = size(6, 60)
const CONNECTIONS = 16

// Installing nginx on a fresh machine (apt-get update + install) takes time.
t.setTimeout(SOAK ? 900_000 : 240_000)

/** What request `i` asks for; its exact answer is `expected(i)`. */
function requestFor(i: number): { method: 'GET' | 'POST'; path: string; body?: Buffer } {
  const at = (i * 7919) % (PATTERN.length - (64 << 10))
  switch (i % 8) {
    case 0: return { method: 'GET', path: `/big?at=${at}` }
    case 1: return { method: 'GET', path: `/slow?i=${i}` }
    case 2: return { method: 'POST', path: '/echo', body: PATTERN.subarray(at, at + 1000 + (i % 3000)) }
    default: return { method: 'GET', path: `/item?i=${i}` }
  }
}

function expected(i: number): Buffer {
  const r = requestFor(i)
  if (r.method === 'POST') return r.body!
  if (r.path.startsWith('/big')) {
    const at = Number(r.path.slice('/big?at='.length))
    return PATTERN.subarray(at, at + (64 << 10))
  }
  return Buffer.from(JSON.stringify({ i, item: `item ${i}` }))
}

async function instance(mode: Mode, port: number): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, ...(mode === 'transport' ? { serverFactory: vectoredServer() } : {}) })
  if (mode === 'plugin' || mode === 'transport') await app.register(vectored)
  if (mode === 'node-connections') await app.register(vectored, { connections: 'node' })
  app.get('/item', async (req) => {
    const i = Number((req.query as { i: string }).i)
    return { i, item: `item ${i}` }
  })
  app.get('/slow', async (req) => {
    await new Promise((resolve) => setTimeout(resolve, 30))
    const i = Number((req.query as { i: string }).i)
    return { i, item: `item ${i}` }
  })
  app.get('/big', async (req, reply) => {
    const at = Number((req.query as { at: string }).at)
    reply.type('application/octet-stream')
    return PATTERN.subarray(at, at + (64 << 10))
  })
  app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer' }, (_req, body, done) => done(null, body))
  app.post('/echo', async (req, reply) => {
    reply.type('application/octet-stream')
    return req.body as Buffer
  })
  await app.listen({ port, host: '127.0.0.1' })
  return app
}

interface Proxy {
  port: number
  /** The access log's lines: `$status $upstream_status`. */
  log(): string[]
  stop(): Promise<void>
}

async function startNginx(nginxPath: string, dir: string, upstreams: number[]): Promise<Proxy> {
  const port = await freePort()
  const accessLog = path.join(dir, 'access.log')
  const args = writeNginxConf({
    dir,
    writtenBy: 'vectored test/production',
    workerConnections: 1024,
    http: `  log_format upstreams '$status $upstream_status';
  upstream app {
${upstreams.map((p) => `    server 127.0.0.1:${p} max_fails=0;`).join('\n')}
    keepalive 16;
    keepalive_requests 100000;
  }
  server {
    listen 127.0.0.1:${port};
    access_log ${accessLog} upstreams;
    keepalive_requests 100000;
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_next_upstream error timeout http_503 non_idempotent;
    }
  }
`,
  })
  const proc = cp.spawn(nginxPath, args, { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d))
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()))
  if (!(await waitForPort(port, proc, 10_000))) {
    proc.kill('SIGKILL')
    await exited
    throw new Error(`nginx did not start: ${stderr}${fs.existsSync(path.join(dir, 'error.log')) ? fs.readFileSync(path.join(dir, 'error.log'), 'utf8') : ''}`)
  }
  return {
    port,
    log: () => (fs.existsSync(accessLog) ? fs.readFileSync(accessLog, 'utf8').split('\n').filter((l) => l !== '') : []),
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM')
      await exited
    },
  }
}

interface Outcome {
  ok: number
  failures: string[]
  restarts: number
  /** Requests nginx sent to a second instance, by the first one's answer (`503`, `502` for an error). */
  retried: Record<string, number>
  /** close() of each replaced instance, in ms from its start (it resolves once nginx lets go of its connections). */
  closeMs: number[]
}

async function rollingRestart(mode: Mode, nginxPath: string, dir: string): Promise<Outcome> {
  const ports = [await freePort(), await freePort()]
  const apps = [await instance(mode, ports[0]!), await instance(mode, ports[1]!)]
  const proxy = await startNginx(nginxPath, dir, ports)
  const pool = new Pool(`http://127.0.0.1:${proxy.port}`, { connections: CONNECTIONS, pipelining: 1 })
  const failures: string[] = []
  const closings: Promise<number>[] = []
  let ok = 0
  let next = 0
  let restarts = 0
  try {
    const worker = async () => {
      while (next < REQUESTS) {
        const i = next++
        const r = requestFor(i)
        try {
          const res = await pool.request({
            method: r.method,
            path: r.path,
            ...(r.body ? { body: r.body, headers: { 'content-type': 'application/octet-stream' } } : {}),
          })
          const body = Buffer.from(await res.body.arrayBuffer())
          if (res.statusCode !== 200) failures.push(`${r.method} ${r.path}: ${res.statusCode} ${body.toString('latin1', 0, 200)}`)
          else if (!body.equals(expected(i))) failures.push(`${r.method} ${r.path}: wrong body (${body.length} bytes)`)
          else ok++
        } catch (err) {
          failures.push(`${r.method} ${r.path}: ${(err as Error).message}`)
        }
      }
    }
    const restarter = async () => {
      for (let k = 0; k < RESTARTS; k++) {
        // Evenly through the load, A and B in turn.
        await until(() => next >= ((k + 1) * REQUESTS) / (RESTARTS + 1), 120_000, `request ${Math.round(((k + 1) * REQUESTS) / (RESTARTS + 1))}`)
        const slot = k % 2
        const old = apps[slot]!
        const started = Date.now()
        closings.push(old.close().then(() => Date.now() - started))
        // A new instance on the port once the old one stopped listening.
        await until(() => !old.server.listening, 10_000, 'the closing instance to stop listening')
        apps[slot] = await instance(mode, ports[slot]!)
        restarts++
      }
    }
    await Promise.all([restarter(), ...Array.from({ length: CONNECTIONS }, worker)])
  } finally {
    await pool.close()
    // nginx's idle upstream connections to the replaced instances go with it.
    await proxy.stop()
    await Promise.all(apps.map((a) => a.close()))
  }
  const closeMs = await Promise.all(closings)
  const retried: Record<string, number> = {}
  for (const line of proxy.log()) {
    // "200 503, 200": the first instance answered 503, the second 200.
    const tried = line.slice(line.indexOf(' ') + 1).split(', ')
    if (tried.length > 1) retried[tried[0]!] = (retried[tried[0]!] ?? 0) + 1
  }
  return { ok, failures, restarts, retried, closeMs }
}

const nginx = findOrInstallNginx()

t.test(`a rolling restart behind nginx: ${REQUESTS} requests, ${RESTARTS} restarts`, { skip: 'reason' in nginx ? nginx.reason : false }, async (t) => {
  if (!('path' in nginx)) return
  const outcomes: Partial<Record<Mode, Outcome>> = {}
  for (const mode of MODES) {
    await t.test(mode, async (t) => {
      const dir = tmpDir(t, `vr-${mode.slice(0, 4)}-`)
      const o = (outcomes[mode] = await rollingRestart(mode, nginx.path, dir))
      t.equal(o.restarts, RESTARTS, `${RESTARTS} restarts`)
      t.same(o.failures.slice(0, 10), [], `no failed request (${o.failures.length} failed)`)
      t.equal(o.ok, REQUESTS, `${o.ok} of ${REQUESTS} requests answered 200 with their exact body`)
      t.equal(o.closeMs.length, RESTARTS, 'every replaced instance\'s close() resolved')
      t.comment(`${mode}: ${o.ok}/${REQUESTS} ok, ${o.failures.length} failed, ${o.restarts} restarts, retried by nginx after ${JSON.stringify(o.retried)}, close() resolved in ${o.closeMs.join(', ')} ms`)
    })
  }
})
