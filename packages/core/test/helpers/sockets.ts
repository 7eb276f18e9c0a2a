/**
 * Real loopback connections for the writer tests: a sink server whose
 * accepted sockets read (optionally with a small receive buffer, set on the
 * listening socket so the TCP window is small from the handshake on, and
 * with random pauses), and a client socket the writer writes on.
 */
import * as net from 'node:net'
import * as native from '@vectored/native'

export interface SinkOptions {
  /** SO_RCVBUF of the reading side, in bytes (the kernel doubles it); 0 = default. */
  receiveBuffer?: number
  /** Longest random pause, in ms, after each chunk read; 0 = read at full speed. */
  maxPauseMs?: number
}

export interface Sink {
  port: number
  /** Resolves with the next accepted socket. */
  accept(): Promise<net.Socket>
  close(): Promise<void>
}

export async function startSink(options: SinkOptions = {}): Promise<Sink> {
  const waiting: ((socket: net.Socket) => void)[] = []
  const ready: net.Socket[] = []
  const server = net.createServer((socket) => {
    const maxPause = options.maxPauseMs ?? 0
    if (maxPause > 0) {
      socket.on('data', () => {
        socket.pause()
        setTimeout(() => socket.resume(), Math.random() * maxPause)
      })
    }
    const next = waiting.shift()
    if (next) next(socket)
    else ready.push(socket)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const handle = (server as unknown as { _handle: { fd: number } })._handle
  if (options.receiveBuffer) {
    native.setSocketBuffers(handle.fd, 0, options.receiveBuffer)
    // Segments of a quarter of that buffer: with loopback's 64 KiB MSS, a
    // receive window this small can settle just below one segment and the
    // connection stall on persist probes, the kernel's doing, not the
    // writer's (docs/reliability.md, "A stall of tiny TCP windows").
    native.setMaxSegment(handle.fd, Math.max(536, options.receiveBuffer >> 2))
  }
  return {
    port: (server.address() as net.AddressInfo).port,
    accept: () =>
      new Promise((resolve) => {
        const socket = ready.shift()
        if (socket) resolve(socket)
        else waiting.push(resolve)
      }),
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve())
        for (const s of ready) s.destroy()
      }),
  }
}

/** A connected client socket (the writer's side) with an optional small send buffer, and its peer. */
export async function connect(sink: Sink, sendBuffer = 0): Promise<{ socket: net.Socket; peer: net.Socket }> {
  const socket = net.connect(sink.port, '127.0.0.1')
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve)
    socket.once('error', reject)
  })
  if (sendBuffer > 0) native.setSocketBuffers(fdOf(socket), sendBuffer, 0)
  const peer = await sink.accept()
  return { socket, peer }
}

export function fdOf(socket: net.Socket): number {
  return (socket as unknown as { _handle: { fd: number } })._handle.fd
}

/** Reads everything the peer receives until it ends or closes. */
export function collect(peer: net.Socket): Promise<Buffer> {
  const chunks: Buffer[] = []
  peer.on('data', (chunk: Buffer) => chunks.push(chunk))
  return new Promise((resolve) => peer.once('close', () => resolve(Buffer.concat(chunks))))
}

export function openFdCount(): number {
  return require('node:fs').readdirSync('/proc/self/fd').length
}
