/**
 * Shared by the many-process tests: starting cluster-worker.js (a
 * node:cluster primary with its workers, or one process serving alone), its
 * stats over IPC, the exact bodies its routes answer, and a raw keep-alive
 * connection that checks every response byte for byte.
 */
import * as cp from 'node:child_process'
import * as net from 'node:net'
import * as path from 'node:path'
import type { VectoredStats } from '@vectored/server'

export const WORKER_SCRIPT = path.join(__dirname, 'cluster-worker.js')

/** cluster-worker.js's PATTERN: the bytes of /bytes and what /echo gets. */
export const PATTERN = Buffer.alloc(1 << 20)
for (let i = 0; i < PATTERN.length; i++) PATTERN[i] = (i * 31 + 7) & 255

export const HELLO = '{"hello":"world"}'

/** The body /bytes?n=N&at=A answers. */
export function bytesBody(n: number, at: number): Buffer {
  const from = at % (PATTERN.length - n + 1)
  return PATTERN.subarray(from, from + n)
}

export interface WorkerReport {
  pid: number
  /** The fd of its listening handle; null on SCHED_RR, whose workers hold a stand-in (the primary accepts). */
  listenFd: number | null
  active: boolean
  reason: string
  stats: VectoredStats | null
}

export interface Served {
  child: cp.ChildProcess
  port: number
  /** The serving processes (the workers, or the process itself). */
  pids: number[]
  /** The primary's cluster.schedulingPolicy: cluster.SCHED_RR (2) or cluster.SCHED_NONE (1); null without a cluster. */
  policy: number | null
  stats(): Promise<WorkerReport[]>
  /** Resolves with the signal once worker `pid` has exited (as the primary saw it). */
  exited(pid: number): Promise<string | null>
  stop(): Promise<void>
}

export interface ServeOptions {
  mode: 'stock' | 'plugin' | 'transport'
  /** node:cluster workers; 0: the process serves alone. */
  workers: number
  policy?: 'rr' | 'none'
  port?: number
  reusePort?: boolean
  node?: string
}

export function serve(options: ServeOptions): Promise<Served> {
  const env: NodeJS.ProcessEnv = { ...process.env, MODE: options.mode, WORKERS: String(options.workers), PORT: String(options.port ?? 0) }
  if (options.policy !== undefined) env.NODE_CLUSTER_SCHED_POLICY = options.policy
  else delete env.NODE_CLUSTER_SCHED_POLICY
  if (options.reusePort === true) env.REUSE_PORT = '1'
  const child = cp.fork(WORKER_SCRIPT, [], { env, execPath: options.node ?? process.execPath, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const exits = new Map<number, string | null>()
  const exitWaiters = new Map<number, (signal: string | null) => void>()
  child.on('message', (m: { type: string; pid?: number; signal?: string | null }) => {
    if (m.type !== 'exit') return
    exits.set(m.pid!, m.signal ?? null)
    exitWaiters.get(m.pid!)?.(m.signal ?? null)
  })
  return new Promise((resolve, reject) => {
    const early = (code: number | null) => reject(new Error(`cluster-worker.js exited with ${code} before listening`))
    child.once('exit', early)
    child.on('message', (m: { type: string; port?: number; pids?: number[]; policy?: number | null }) => {
      if (m.type !== 'ready') return
      child.off('exit', early)
      resolve({
        child,
        port: m.port!,
        pids: m.pids!,
        policy: m.policy ?? null,
        stats: () => new Promise((res) => {
          const on = (r: { type: string; workers?: WorkerReport[] }) => {
            if (r.type === 'stats') { child.off('message', on); res(r.workers!) }
          }
          child.on('message', on)
          child.send({ type: 'stats' })
        }),
        exited: (pid) => exits.has(pid) ? Promise.resolve(exits.get(pid)!) : new Promise((res) => exitWaiters.set(pid, res)),
        stop: () => new Promise((res) => {
          if (child.exitCode !== null || child.signalCode !== null) return res()
          child.once('exit', () => res())
          child.kill('SIGTERM')
        }),
      })
    })
  })
}

export interface RawResponse {
  status: number
  headers: Map<string, string>
  body: Buffer
  /** Every byte of the response as received. */
  raw: Buffer
}

/**
 * One raw keep-alive (or, with close: true, one-request) connection: requests
 * go one at a time; each response is parsed by Content-Length from the exact
 * bytes received. A request pending when the connection closes or resets
 * rejects.
 */
export class RawConn {
  readonly socket: net.Socket
  closed = false
  private buffer = Buffer.alloc(0)
  private pending: { resolve: (r: RawResponse) => void; reject: (e: Error) => void; timer: NodeJS.Timeout } | null = null

  constructor(port: number) {
    this.socket = net.connect(port, '127.0.0.1')
    this.socket.on('data', (chunk: Buffer) => { this.buffer = Buffer.concat([this.buffer, chunk]); this.parse() })
    this.socket.on('error', (err) => this.fail(err))
    this.socket.on('close', () => { this.closed = true; this.fail(new Error('connection closed')) })
  }

  /** timeoutMs: how long the response may take before the request rejects and the connection is closed. */
  request(method: string, target: string, options: { body?: Buffer; close?: boolean; timeoutMs?: number } = {}): Promise<RawResponse> {
    if (this.pending !== null) throw new Error('one request at a time')
    if (this.closed) return Promise.reject(new Error('connection closed'))
    return new Promise((resolve, reject) => {
      const ms = options.timeoutMs ?? 10_000
      const timer = setTimeout(() => { this.fail(new Error(`no response in ${ms} ms`)); this.close() }, ms)
      this.pending = { resolve, reject, timer }
      const head = [`${method} ${target} HTTP/1.1`, 'Host: cluster.test']
      if (options.body !== undefined) head.push('Content-Type: application/octet-stream', `Content-Length: ${options.body.length}`)
      if (options.close === true) head.push('Connection: close')
      this.socket.write(head.join('\r\n') + '\r\n\r\n')
      if (options.body !== undefined) this.socket.write(options.body)
    })
  }

  close(): void {
    this.socket.destroy()
  }

  private parse(): void {
    const headEnd = this.buffer.indexOf('\r\n\r\n')
    if (headEnd === -1 || this.pending === null) return
    const lines = this.buffer.toString('latin1', 0, headEnd).split('\r\n')
    const headers = new Map<string, string>()
    for (const line of lines.slice(1)) {
      const i = line.indexOf(':')
      headers.set(line.slice(0, i).toLowerCase(), line.slice(i + 1).trim())
    }
    const length = Number(headers.get('content-length'))
    if (!Number.isInteger(length)) return this.fail(new Error(`no Content-Length in ${JSON.stringify(lines[0])}`))
    const end = headEnd + 4 + length
    if (this.buffer.length < end) return
    const raw = this.buffer.subarray(0, end)
    this.buffer = this.buffer.subarray(end)
    const p = this.pending
    this.pending = null
    clearTimeout(p.timer)
    p.resolve({ status: Number(lines[0]!.split(' ')[1]), headers, body: raw.subarray(headEnd + 4), raw })
  }

  private fail(err: Error): void {
    const p = this.pending
    this.pending = null
    if (p !== null) { clearTimeout(p.timer); p.reject(err) }
  }
}

/** Whether a response's head is what the app sends for `body`: 200, its length, keep-alive or close as asked. */
export function headProblems(r: RawResponse, expected: Buffer, close: boolean): string[] {
  const problems: string[] = []
  const first = r.raw.toString('latin1', 0, r.raw.indexOf('\r\n'))
  if (first !== 'HTTP/1.1 200 OK') problems.push(`status line ${JSON.stringify(first)}`)
  if (r.headers.get('content-length') !== String(expected.length)) problems.push(`content-length ${r.headers.get('content-length')}`)
  if (!/^\d+$/.test(r.headers.get('x-worker') ?? '')) problems.push(`x-worker ${r.headers.get('x-worker')}`)
  const connection = r.headers.get('connection')
  if (close ? connection !== 'close' : connection !== 'keep-alive') problems.push(`connection ${connection}`)
  if (!r.body.equals(expected)) problems.push('body differs')
  return problems
}
