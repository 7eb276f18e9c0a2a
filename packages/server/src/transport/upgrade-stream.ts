/**
 * What 'upgrade' gets on Node 26 and later for an Upgrade request with a
 * body (line-options.ts, upgradeWithBody): node:http emits the event as soon
 * as the head is parsed, with a Duplex over the socket that writes to it at
 * once but gives the bytes after the body only once the body has been read
 * into the request (requestBodyCompleted). node:http's UpgradeStream
 * (lib/_http_server.js, v26.12.1) is not exported; this is the same class.
 */
import type { Socket } from 'node:net'
import { Duplex } from 'node:stream'

type Resumable = { resume(): unknown }

export class UpgradeStream extends Duplex {
  private readonly socket: Socket
  private request: Resumable | null

  constructor(socket: Socket, req: Resumable) {
    super({ allowHalfOpen: socket.allowHalfOpen })
    this.socket = socket
    this.request = req
    // Error, end and close of the socket reach the stream at once.
    socket.on('error', (err) => this.destroy(err))
    socket.on('close', () => this.destroy())
    this.on('close', () => socket.destroy())
    socket.on('end', () => {
      this.push(null)
      // As a socket ending with nothing pending: 'end' even without a 'data' listener.
      if (this.readableLength === 0) this.resume()
    })
    // Reading starts only at requestBodyCompleted.
  }

  /** The request's body is read: the bytes after it, then the socket's, are this stream's. */
  requestBodyCompleted(upgradeHead: Buffer): void {
    this.request = null
    const socket = this.socket
    if (upgradeHead.length > 0 && !this.push(upgradeHead)) socket.pause()
    socket.on('data', (data: Buffer) => {
      if (!this.push(data)) socket.pause()
    })
  }

  override _read(): void {
    // Reading the stream lets the request's body flow, as Node's does.
    this.request?.resume()
    this.socket.resume()
  }

  override _final(callback: (err?: Error | null) => void): void {
    this.socket.end(callback)
  }

  override _write(chunk: unknown, encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    this.socket.write(chunk as Buffer, encoding, callback)
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    this.socket.destroy(err ?? undefined)
    callback(err)
  }
}
