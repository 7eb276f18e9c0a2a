/**
 * Shared by the unix-socket tests: a Fastify app on a unix socket path (stock
 * or with vectored), a raw HTTP/1.1 client for any net.connect target that
 * can pipeline and read slowly, and nginx found (or installed) and run.
 */
import * as cp from 'node:child_process'
import { randomBytes } from 'node:crypto'
import * as fs from 'node:fs'
import * as net from 'node:net'
import * as os from 'node:os'
import * as path from 'node:path'
import { Readable } from 'node:stream'
import Fastify, { type FastifyInstance } from 'fastify'
import vectored from '@vectored/server'
import { writeNginxConf } from '../../bench/lib/nginx-conf'

/** Bodies are slices of this, so any response can be checked against it. */
export const PATTERN = randomBytes(32 << 20)

/** The body /big?size=N&at=A sends: PATTERN[A, A+N). */
export function bigBody(size: number, at: number): Buffer {
  return PATTERN.subarray(at, at + size)
}

export function tmpDir(t: { teardown(fn: () => void): void }, prefix: string): string {
  // Short: a unix socket path must fit in 108 bytes.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  return dir
}

export interface App {
  app: FastifyInstance
  /** Connections the server accepted. */
  connections: () => number
}

/** Fastify with /hello, /big (a vector of uncopied slices), /stream (chunked), listening on `socketPath`. */
export async function startApp(socketPath: string, withVectored: boolean): Promise<App> {
  const app = Fastify({ logger: false, keepAliveTimeout: 30_000 })
  if (withVectored) await app.register(vectored)
  app.get('/hello', async () => ({ hello: 'world' }))
  app.get('/big', (req, reply) => {
    const q = req.query as { size?: string; at?: string; pieces?: string }
    const size = Number(q.size ?? 1 << 20)
    const at = Number(q.at ?? 0)
    const count = Number(q.pieces ?? 16)
    const body = bigBody(size, at)
    const pieces: Buffer[] = []
    for (let i = 0; i < count; i++) pieces.push(body.subarray(Math.floor((i * size) / count), Math.floor(((i + 1) * size) / count)))
    if (withVectored) reply.sendVector(pieces)
    else reply.type('application/octet-stream').send(Buffer.concat(pieces))
  })
  app.get('/stream', (req, reply) => {
    const q = req.query as { size?: string; at?: string }
    const size = Number(q.size ?? 1 << 20)
    const body = bigBody(size, Number(q.at ?? 0))
    let at = 0
    const chunk = 16 * 1024
    reply.type('application/octet-stream').send(
      new Readable({
        read() {
          this.push(at < size ? body.subarray(at, (at += chunk)) : null)
        },
      }),
    )
  })
  let connections = 0
  app.server.on('connection', () => connections++)
  await app.listen({ path: socketPath })
  return { app, connections: () => connections }
}

export interface Response {
  status: number
  headers: Map<string, string>
  /** Raw head, CRLF lines, no final blank line. */
  head: string
  body: Buffer
}

/** Parses complete responses to GETs (content-length or chunked bodies); returns them and the bytes used. */
export function parseResponses(data: Buffer): { responses: Response[]; used: number } {
  const responses: Response[] = []
  let off = 0
  for (;;) {
    const headEnd = data.indexOf('\r\n\r\n', off, 'latin1')
    if (headEnd === -1) break
    const head = data.toString('latin1', off, headEnd)
    const lines = head.split('\r\n')
    const status = Number(lines[0]!.split(' ')[1])
    const headers = new Map<string, string>()
    for (const line of lines.slice(1)) {
      const i = line.indexOf(':')
      headers.set(line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim())
    }
    let pos = headEnd + 4
    let body: Buffer
    if (headers.has('content-length')) {
      const len = Number(headers.get('content-length'))
      if (data.length < pos + len) break
      body = data.subarray(pos, pos + len)
      pos += len
    } else if ((headers.get('transfer-encoding') ?? '').includes('chunked')) {
      const parts: Buffer[] = []
      let p = pos
      let complete = false
      for (;;) {
        const lineEnd = data.indexOf('\r\n', p, 'latin1')
        if (lineEnd === -1) break
        const n = parseInt(data.toString('latin1', p, lineEnd), 16)
        if (n === 0) {
          if (data.length < lineEnd + 4) break
          p = lineEnd + 4
          complete = true
          break
        }
        if (data.length < lineEnd + 2 + n + 2) break
        parts.push(data.subarray(lineEnd + 2, lineEnd + 2 + n))
        p = lineEnd + 2 + n + 2
      }
      if (!complete) break
      body = Buffer.concat(parts)
      pos = p
    } else {
      body = Buffer.alloc(0)
    }
    responses.push({ status, headers, head, body })
    off = pos
  }
  return { responses, used: off }
}

export interface ExchangeOptions {
  /** Send every request in one write (pipelined); default: one after another. */
  pipelined?: boolean
  /** Pause reading up to this many ms after each chunk read (a slow client). */
  slowMs?: number
  timeoutMs?: number
}

/** Sends GETs for `paths` on one keep-alive connection and returns the parsed responses, in order. */
export function exchange(target: net.NetConnectOpts, paths: string[], options: ExchangeOptions = {}): Promise<Response[]> {
  const request = (p: string) => `GET ${p} HTTP/1.1\r\nHost: test\r\n\r\n`
  return new Promise((resolve, reject) => {
    const socket = net.connect(target)
    const chunks: Buffer[] = []
    let sent = 0
    const responses: Response[] = []
    let buffered: Buffer = Buffer.alloc(0)
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error(`timed out with ${responses.length} of ${paths.length} responses`))
    }, options.timeoutMs ?? 30_000)
    const finish = () => {
      clearTimeout(timer)
      socket.end()
      resolve(responses)
    }
    socket.once('connect', () => {
      if (options.pipelined) {
        socket.write(paths.map(request).join(''))
        sent = paths.length
      } else socket.write(request(paths[sent++]!))
    })
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk)
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk])
      const { responses: got, used } = parseResponses(buffered)
      if (got.length > 0) {
        buffered = buffered.subarray(used)
        responses.push(...got)
        if (responses.length === paths.length) return finish()
        if (!options.pipelined && sent < paths.length) socket.write(request(paths[sent++]!))
      }
      if (options.slowMs) {
        socket.pause()
        setTimeout(() => socket.resume(), Math.floor(Math.random() * options.slowMs))
      }
    })
    socket.once('error', (err) => {
      clearTimeout(timer)
      reject(err)
    })
    socket.once('close', () => {
      if (responses.length < paths.length) {
        clearTimeout(timer)
        reject(new Error(`closed after ${responses.length} of ${paths.length} responses`))
      }
    })
  })
}

/** The Date header's value masked, so two servers' responses compare byte for byte. */
export function maskDate(head: string): string {
  return head.replace(/\r\ndate: [^\r]*/i, '\r\ndate: <masked>')
}

function onPath(name: string): string | null {
  const dirs = (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/sbin'])
  for (const d of dirs) {
    const f = path.join(d, name)
    try {
      fs.accessSync(f, fs.constants.X_OK)
      return f
    } catch {}
  }
  return null
}

/**
 * nginx's path: found on PATH (or /usr/sbin), else installed with apt-get
 * (root, or passwordless sudo) without starting the system service. Returns
 * the reason when neither works.
 */
export function findOrInstallNginx(): { path: string } | { reason: string } {
  const found = onPath('nginx')
  if (found) return { path: found }
  if (process.env.VECTORED_NO_INSTALL === '1') return { reason: 'nginx is not installed and VECTORED_NO_INSTALL=1' }
  if (!onPath('apt-get')) return { reason: 'nginx is not installed and there is no apt-get to install it (install nginx)' }
  const sudo = process.getuid?.() === 0 ? [] : ['sudo', '-n']
  if (sudo.length && !onPath('sudo')) return { reason: 'nginx is not installed; installing needs root or passwordless sudo' }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  const run = (args: string[], timeout: number) => {
    const [cmd, ...rest] = [...sudo, ...args]
    return cp.spawnSync(cmd!, rest, { env, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', timeout })
  }
  // The package's postinst starts the system service (port 80) unless a
  // policy-rc.d says no: put one in place for the install if there is none.
  const policy = '/usr/sbin/policy-rc.d'
  let placed = false
  if (!fs.existsSync(policy) && sudo.length === 0) {
    try {
      fs.writeFileSync(policy, '#!/bin/sh\n# placed by vectored test/unix while installing nginx\nexit 101\n', { mode: 0o755 })
      placed = true
    } catch {}
  }
  try {
    let r = run(['apt-get', 'install', '-y', '--no-install-recommends', 'nginx'], 90_000)
    if (r.status !== 0) {
      const u = run(['apt-get', 'update'], 60_000)
      if (u.status !== 0) return { reason: `nginx is not installed and apt-get update failed: ${(u.stderr || u.error?.message || '').trim().split('\n').pop()}` }
      r = run(['apt-get', 'install', '-y', '--no-install-recommends', 'nginx'], 90_000)
    }
    const now = onPath('nginx')
    if (now) return { path: now }
    return { reason: `nginx is not installed and apt-get install nginx failed: ${(r.stderr || r.error?.message || '').trim().split('\n').pop()}` }
  } finally {
    if (placed) fs.rmSync(policy, { force: true })
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port
      s.close(() => resolve(port))
    })
  })
}

export interface Nginx {
  port: number
  dir: string
  stop(): Promise<void>
}

/**
 * Runs nginx in the foreground (one process, loopback, config and logs in
 * `dir`) proxying to the unix socket `upstream` with keep-alive upstream
 * connections. /buffered/ goes through nginx's proxy buffers; everything
 * else with proxy_buffering off, so a slow client slows the app's writes.
 */
export async function startNginx(nginxPath: string, dir: string, upstream: string): Promise<Nginx> {
  for (let attempt = 0; ; attempt++) {
    const port = await freePort()
    const args = writeNginxConf({
      dir,
      writtenBy: 'vectored test/unix',
      workerConnections: 1024,
      http: `  keepalive_requests 100000;
  upstream app {
    server unix:${upstream};
    keepalive 16;
    keepalive_requests 100000;
  }
  server {
    listen 127.0.0.1:${port};
    proxy_http_version 1.1;
    proxy_set_header Connection "";
    location /buffered/ {
      proxy_pass http://app/;
    }
    location / {
      proxy_pass http://app;
      proxy_buffering off;
    }
  }
`,
    })
    const proc = cp.spawn(nginxPath, args, {
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    let stderr = ''
    proc.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d))
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()))
    const ready = await waitForPort(port, proc, 10_000)
    if (ready) {
      return {
        port,
        dir,
        stop: async () => {
          if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM')
          await exited
        },
      }
    }
    proc.kill('SIGKILL')
    await exited
    const log = stderr + (fs.existsSync(path.join(dir, 'error.log')) ? fs.readFileSync(path.join(dir, 'error.log'), 'utf8') : '')
    if (attempt >= 2 || !/Address already in use/.test(log)) throw new Error(`nginx did not start: ${log.trim()}`)
  }
}

export async function waitForPort(port: number, proc: cp.ChildProcess, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    if (proc.exitCode !== null || proc.signalCode !== null) return false
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1')
      s.once('connect', () => (s.destroy(), resolve(true)))
      s.once('error', () => resolve(false))
    })
    if (ok) return true
    await new Promise((r) => setTimeout(r, 20))
  }
  return false
}
