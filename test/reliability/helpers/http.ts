/**
 * A small HTTP/1.1 client for the reliability tests: raw sockets, exact
 * bytes, Content-Length and chunked bodies, pipelining, slow reading and
 * disconnecting on purpose. Bodies are checked against the server's pattern.
 */
import { fork, type ChildProcess } from 'node:child_process'
import * as net from 'node:net'
import * as path from 'node:path'

export const PATTERN = Buffer.alloc(16 << 20)
for (let i = 0; i < PATTERN.length; i++) PATTERN[i] = (i * 31 + 7) & 255

export interface Response {
  status: number
  headers: Map<string, string>
  body: Buffer
}

/** Parses complete responses from the front of `data`; returns them and the bytes used. */
export function parse(data: Buffer): { responses: Response[]; used: number } {
  const responses: Response[] = []
  let off = 0
  for (;;) {
    const headEnd = data.indexOf('\r\n\r\n', off, 'latin1')
    if (headEnd < 0) break
    const lines = data.toString('latin1', off, headEnd).split('\r\n')
    const status = Number(lines[0]!.split(' ')[1])
    const headers = new Map<string, string>()
    for (const line of lines.slice(1)) {
      const i = line.indexOf(':')
      headers.set(line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim())
    }
    let pos = headEnd + 4
    let body: Buffer
    if (headers.get('transfer-encoding')?.includes('chunked')) {
      const parts: Buffer[] = []
      for (;;) {
        const eol = data.indexOf('\r\n', pos, 'latin1')
        if (eol < 0) return { responses, used: off }
        const n = parseInt(data.toString('latin1', pos, eol), 16)
        if (Number.isNaN(n)) throw new Error(`bad chunk size at ${pos}`)
        if (n === 0) {
          if (data.length < eol + 4) return { responses, used: off }
          if (data.toString('latin1', eol + 2, eol + 4) !== '\r\n') throw new Error('trailers or garbage after the last chunk')
          pos = eol + 4
          break
        }
        if (data.length < eol + 2 + n + 2) return { responses, used: off }
        parts.push(data.subarray(eol + 2, eol + 2 + n))
        if (data.toString('latin1', eol + 2 + n, eol + 4 + n) !== '\r\n') throw new Error('chunk not followed by CRLF')
        pos = eol + 4 + n
      }
      body = Buffer.concat(parts)
    } else {
      const n = Number(headers.get('content-length') ?? 0)
      if (data.length < pos + n) break
      body = data.subarray(pos, pos + n)
      pos += n
    }
    responses.push({ status, headers, body })
    off = pos
  }
  return { responses, used: off }
}

export interface Exchange {
  responses: Response[]
  /** Bytes received after the last complete response. */
  leftover: number
  closed: boolean
  timedOut: boolean
}

export interface ExchangeOptions {
  /** Read with a pause of up to this many ms after each chunk. */
  maxPauseMs?: number
  /** Close (or reset) after this many bytes were received. */
  stopAfter?: number
  reset?: boolean
  timeoutMs?: number
}

/** Sends the requests for `paths` pipelined on one connection and reads `paths.length` responses. */
export function exchange(port: number, paths: string[], options: ExchangeOptions = {}): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1')
    const parts: Buffer[] = []
    let size = 0
    let closed = false
    let settled = false
    const finish = (timedOut: boolean) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      socket.destroy()
      try {
        const data = Buffer.concat(parts, size)
        const { responses, used } = parse(data)
        resolve({ responses, leftover: data.length - used, closed, timedOut })
      } catch (e) {
        reject(e)
      }
    }
    const timer = setTimeout(() => finish(true), options.timeoutMs ?? 30_000)
    socket.on('data', (chunk: Buffer) => {
      parts.push(chunk)
      size += chunk.length
      if (options.stopAfter !== undefined && size >= options.stopAfter) {
        if (options.reset) socket.resetAndDestroy()
        closed = true
        return finish(false)
      }
      if (options.maxPauseMs) {
        socket.pause()
        setTimeout(() => socket.resume(), Math.random() * options.maxPauseMs)
      }
      // Cheap check for the end: only parse when the last bytes could end a response.
      if (parse(Buffer.concat(parts, size)).responses.length >= paths.length) finish(false)
    })
    socket.on('error', () => (closed = true))
    socket.on('close', () => ((closed = true), finish(false)))
    socket.write(paths.map((p) => `GET ${p} HTTP/1.1\r\nHost: x\r\n\r\n`).join(''))
  })
}

/** The expected body of a server path, or null when not a pattern path. */
export function expectedBody(p: string): Buffer | null {
  const m = /^\/(vector|stream)\/(\d+)$/.exec(p)
  if (m) return PATTERN.subarray(0, Number(m[2]))
  if (p === '/file') return PATTERN.subarray(0, 4 << 20)
  if (p === '/small') return Buffer.from('{"hello":"world"}')
  return null
}

export interface ServerChild {
  child: ChildProcess
  port: number
  exited: { code: number | null; signal: string | null } | null
  /** From the server's `/__stats`, after gc: process.memoryUsage() (bytes), RSS split from /proc/self/status, open fds. */
  stats(): Promise<{
    rss: number
    rssAnon: number
    rssFile: number
    heapTotal: number
    heapUsed: number
    external: number
    arrayBuffers: number
    fds: number
    active: boolean
    stats: Record<string, unknown>
  }>
  stop(): Promise<void>
}

/** Starts helpers/server.js in a child process (with --expose-gc). */
export async function startServer(env: Record<string, string> = {}): Promise<ServerChild> {
  const child = fork(path.join(__dirname, 'server.js'), [], {
    execArgv: ['--expose-gc'],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const info = await new Promise<{ port: number }>((resolve, reject) => {
    child.once('message', (m) => resolve(m as { port: number }))
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)))
  })
  const s: ServerChild = {
    child,
    port: info.port,
    exited: null,
    async stats() {
      const x = await exchange(info.port, ['/__stats'])
      return JSON.parse(x.responses[0]!.body.toString())
    },
    stop: () =>
      new Promise((resolve) => {
        if (s.exited) return resolve()
        child.once('exit', () => resolve())
        child.disconnect()
      }),
  }
  child.on('exit', (code, signal) => (s.exited = { code, signal }))
  return s
}
