/**
 * Like packages/core/test/helpers/sockets.ts (small receive buffer set on the
 * listening socket, random reader pauses), but each client is paired with
 * the accepted socket whose remote port is its local port. Pairing by
 * accept order breaks with hundreds of concurrent connects: past the listen
 * backlog some SYNs are retried later and accepts come out of order.
 */
import * as net from 'node:net'
import * as native from '@vectored/native'

export interface PairedSink {
  connect(sendBuffer?: number): Promise<{ socket: net.Socket; peer: net.Socket }>
  close(): Promise<void>
}

/**
 * `highWaterMark`: the accepted sockets' stream buffers (net.Server's
 * option). A paused peer still reads from the kernel until its readable
 * buffer holds that much: 16 KiB by default on Node 20, 64 KiB on 22 and
 * later (stream.getDefaultHighWaterMark()).
 */
export async function startPairedSink(options: { receiveBuffer?: number; maxPauseMs?: number; highWaterMark?: number } = {}): Promise<PairedSink> {
  const accepted = new Map<number, net.Socket>()
  const waiting = new Map<number, (peer: net.Socket) => void>()
  const serverOptions: net.ServerOpts = options.highWaterMark === undefined ? {} : { highWaterMark: options.highWaterMark }
  const server = net.createServer(serverOptions, (peer) => {
    const maxPause = options.maxPauseMs ?? 0
    if (maxPause > 0) {
      peer.on('data', () => {
        peer.pause()
        setTimeout(() => peer.resume(), Math.random() * maxPause)
      })
    }
    const port = peer.remotePort!
    const w = waiting.get(port)
    if (w) {
      waiting.delete(port)
      w(peer)
    } else accepted.set(port, peer)
  })
  await new Promise<void>((resolve) => server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, resolve))
  const fd = (server as unknown as { _handle: { fd: number } })._handle.fd
  if (options.receiveBuffer) {
    native.setSocketBuffers(fd, 0, options.receiveBuffer)
    // Segments of a quarter of that buffer: with loopback's 64 KiB MSS, a
    // receive window this small can settle just below one segment and the
    // connection stall on persist probes, the kernel's doing, not the
    // writer's (docs/reliability.md, "A stall of tiny TCP windows").
    native.setMaxSegment(fd, Math.max(536, options.receiveBuffer >> 2))
  }
  const port = (server.address() as net.AddressInfo).port
  return {
    async connect(sendBuffer = 0) {
      const socket = net.connect(port, '127.0.0.1')
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', resolve)
        socket.once('error', reject)
      })
      if (sendBuffer > 0) native.setSocketBuffers((socket as unknown as { _handle: { fd: number } })._handle.fd, sendBuffer, 0)
      const local = socket.localPort!
      const ready = accepted.get(local)
      let peer: net.Socket
      if (ready) {
        accepted.delete(local)
        peer = ready
      } else peer = await new Promise<net.Socket>((resolve) => waiting.set(local, resolve))
      return { socket, peer }
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve())
        for (const s of accepted.values()) s.destroy()
      }),
  }
}
