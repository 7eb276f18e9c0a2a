// Real socket pairs and a resuming write loop for the native tests. Not a
// test file itself (tap only runs *.test.ts).
import * as net from 'node:net'
import * as os from 'node:os'
import * as path from 'node:path'
import * as fs from 'node:fs'
import { spawn } from 'node:child_process'
import * as native from '@vectored/native'

export const EAGAIN = -os.constants.errno.EAGAIN
export const EPIPE = -os.constants.errno.EPIPE
export const ECONNRESET = -os.constants.errno.ECONNRESET
export const EBADF = -os.constants.errno.EBADF

export function fdOf(socket: net.Socket): number {
  const fd = (socket as unknown as { _handle: { fd: number } | null })._handle?.fd
  if (typeof fd !== 'number' || fd < 0) throw new Error('socket has no fd')
  return fd
}

export interface Pair {
  /** The side the tests write on with the addon. */
  writer: net.Socket
  writerFd: number
  /** The far side; it does not read until `peer.resume()`. */
  peer: net.Socket
  close(): Promise<void>
}

let unixCounter = 0

/**
 * A connected loopback pair. The peer is accepted paused (pauseOnConnect), so
 * it reads nothing until resumed; the writer gets a small send buffer so a
 * few tens of KiB fill the connection.
 */
export async function socketPair(kind: 'tcp' | 'unix', bufferBytes = 4096, peerReceiveBytes = 0): Promise<Pair> {
  const server = net.createServer({ pauseOnConnect: true })
  let address: string | undefined
  if (kind === 'unix') {
    address = path.join(os.tmpdir(), `vectored-native-${process.pid}-${unixCounter++}.sock`)
    fs.rmSync(address, { force: true })
    await new Promise<void>((resolve) => server.listen(address, resolve))
  } else {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  }
  const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve))
  const writer =
    kind === 'unix'
      ? net.connect(address!)
      : net.connect((server.address() as net.AddressInfo).port, '127.0.0.1')
  await new Promise<void>((resolve, reject) => {
    writer.once('connect', resolve)
    writer.once('error', reject)
  })
  const peer = await accepted
  server.close()
  const writerFd = fdOf(writer)
  if (bufferBytes > 0) {
    // Only the writer's send buffer is made small: a tiny TCP receive window
    // on the peer makes loopback TCP crawl on zero-window probes.
    native.setSocketBuffers(writerFd, bufferBytes, 0)
  }
  // A fixed receive buffer stops autotuning, which otherwise keeps opening
  // the window (and so makes the writer writable) while the peer reads nothing.
  if (peerReceiveBytes > 0) native.setSocketBuffers(fdOf(peer), 0, peerReceiveBytes)
  // Errors from a reset or a closed peer are the point of some tests.
  writer.on('error', () => {})
  peer.on('error', () => {})
  return {
    writer,
    writerFd,
    peer,
    async close() {
      for (const s of [writer, peer]) if (!s.destroyed) s.destroy()
      if (address) fs.rmSync(address, { force: true })
    },
  }
}

/** Rejects when `promise` has not settled after `ms`. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: not done after ${ms} ms`)), ms)
    }),
  ])
}

export function waitWritableOnce(fd: number): Promise<Error | null> {
  return new Promise((resolve) => native.waitWritable(fd, resolve))
}

/** Drops the first n bytes of a list of pieces, by subarrays (no copies). */
export function advance(pieces: Uint8Array[], n: number): Uint8Array[] {
  let i = 0
  while (i < pieces.length && n >= pieces[i]!.length) n -= pieces[i++]!.length
  const rest = pieces.slice(i)
  if (n > 0) rest[0] = rest[0]!.subarray(n)
  return rest
}

export interface WriteStats {
  calls: number
  shortWrites: number
  eagains: number
}

/**
 * Writes every byte of `pieces` with the addon, resuming after short writes
 * and waiting for writability on -EAGAIN. `onEagain` runs at the first
 * -EAGAIN (the test starts the peer reading there).
 */
export async function writeAll(
  fd: number,
  pieces: Uint8Array[],
  options: { args?: boolean; onEagain?: () => void } = {}
): Promise<WriteStats> {
  const stats: WriteStats = { calls: 0, shortWrites: 0, eagains: 0 }
  let rest = pieces.filter((p) => p.length > 0)
  while (rest.length > 0) {
    const wanted = rest.slice(0, native.iovMax).reduce((sum, p) => sum + p.length, 0)
    const n = options.args ? native.writevArgs(fd, ...rest) : native.writev(fd, rest)
    stats.calls++
    if (n === EAGAIN) {
      if (stats.eagains++ === 0) options.onEagain?.()
      const err = await within(waitWritableOnce(fd), 10_000, 'waitWritable')
      if (err) throw err
      continue
    }
    if (n < 0) throw new Error(`writev returned ${n}`)
    if (n < wanted) stats.shortWrites++
    rest = advance(rest, n)
  }
  return stats
}

/** All bytes the peer receives until the writer ends. */
export function collect(socket: net.Socket): Promise<Buffer> {
  const chunks: Buffer[] = []
  socket.on('data', (chunk: Buffer) => chunks.push(chunk))
  return new Promise((resolve, reject) => {
    socket.once('end', () => resolve(Buffer.concat(chunks)))
    socket.once('error', reject)
  })
}

export interface ChildResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/** Path the children require the package by. */
export const packageEntry = require.resolve('@vectored/native')

/**
 * Runs a CommonJS script in a fresh node, so a signal that kills it shows as
 * a failed assertion in the parent rather than a dead test runner.
 */
export function runChild(
  script: string,
  options: { env?: NodeJS.ProcessEnv; cwd?: string; args?: string[]; timeoutMs?: number } = {}
): Promise<ChildResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...(options.args ?? []), '-e', script], {
      env: { ...process.env, VECTORED_ENTRY: packageEntry, ...options.env },
      cwd: options.cwd ?? process.cwd(),
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 15_000)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout, stderr })
    })
  })
}

export function openFdCount(): number {
  return fs.readdirSync('/proc/self/fd').length
}
