/**
 * Requests of the transport: the IncomingMessage surface Fastify and common
 * plugins use (method, url, httpVersion*, headers, rawHeaders, socket,
 * complete, aborted, 'close'/'aborted', destroy, setTimeout), and nothing
 * else. A request without a body is a plain EventEmitter that behaves as an
 * already-ended stream when read; a request with a body (Content-Length > 0
 * or chunked) is a Readable fed by the parser.
 */
import { EventEmitter } from 'node:events'
import * as http from 'node:http'
import type { Socket } from 'node:net'
import { Readable } from 'node:stream'
import { LazyEventEmitter } from './lazy-emitter'

/** What a request needs from its connection. */
export interface RequestOwner {
  readonly socket: Socket
  /** The body consumer wants bytes again: start reading the socket. */
  resumeReading(): void
}

type HeaderLineAdder = (this: { joinDuplicateHeaders: boolean }, field: string, value: string, dest: Record<string, unknown>) => void
// Node's own merge rules for repeated fields (set-cookie arrays, cookie '; ', others ', ', some first-wins).
const addHeaderLine = (http.IncomingMessage.prototype as unknown as { _addHeaderLine: HeaderLineAdder })._addHeaderLine
const addHeaderLineDistinct = (http.IncomingMessage.prototype as unknown as { _addHeaderLineDistinct: HeaderLineAdder })._addHeaderLineDistinct

/** The fields both kinds of request carry. */
export interface TransportRequest extends EventEmitter {
  socket: Socket
  method: string
  url: string
  originalUrl?: string
  httpVersion: string
  httpVersionMajor: number
  httpVersionMinor: number
  headers: Record<string, string | string[] | undefined>
  rawHeaders: string[]
  trailers: Record<string, string | string[] | undefined>
  rawTrailers: string[]
  complete: boolean
  aborted: boolean
  upgrade: boolean
  joinDuplicateHeaders: boolean
  readonly hasBody: boolean
  destroy(err?: Error): this
}

type Headers = Record<string, string | string[] | undefined>

/** req.headers from raw [name, value, ...] pairs, with Node's rules for repeated fields. */
export function buildHeaders(raw: string[], joinDuplicateHeaders: boolean): Headers {
  const dest: Headers = {}
  const context = joinDuplicateHeaders ? JOIN : NO_JOIN
  for (let i = 0; i < raw.length; i += 2) addHeaderLine.call(context, raw[i]!, raw[i + 1]!, dest)
  return dest
}
const JOIN = { joinDuplicateHeaders: true }
const NO_JOIN = { joinDuplicateHeaders: false }

function init(
  req: TransportRequest,
  socket: Socket,
  method: string,
  url: string,
  major: number,
  minor: number,
  rawHeaders: string[],
  joinDuplicateHeaders: boolean,
  headers: Headers
): void {
  req.socket = socket
  req.method = method
  req.url = url
  req.httpVersionMajor = major
  req.httpVersionMinor = minor
  req.httpVersion = major === 1 && minor === 1 ? '1.1' : `${major}.${minor}`
  req.joinDuplicateHeaders = joinDuplicateHeaders
  req.rawHeaders = rawHeaders
  req.headers = headers
  req.rawTrailers = []
  req.trailers = {}
  req.complete = false
  req.aborted = false
  req.upgrade = false
}

/** Members both request classes share, put on both prototypes. */
function share(proto: object): void {
  Object.defineProperties(proto, {
    connection: {
      get(this: TransportRequest) { return this.socket },
      configurable: true,
    },
    headersDistinct: {
      get(this: TransportRequest) { return distinct(this, this.rawHeaders) },
      configurable: true,
    },
    trailersDistinct: {
      get(this: TransportRequest) { return distinct(this, this.rawTrailers) },
      configurable: true,
    },
    setTimeout: {
      value(this: TransportRequest, msecs: number, callback?: () => void) {
        if (callback) this.on('timeout', callback)
        this.socket.setTimeout(msecs)
        return this
      },
      writable: true,
      configurable: true,
    },
  })
}

function distinct(req: TransportRequest, raw: string[]): Record<string, string[]> {
  const dest: Record<string, string[]> = Object.create(null)
  for (let i = 0; i < raw.length; i += 2) addHeaderLineDistinct.call(req, raw[i]!, raw[i + 1]!, dest as never)
  return dest
}

function abortedError(): NodeJS.ErrnoException {
  const err = new Error('aborted') as NodeJS.ErrnoException
  err.code = 'ECONNRESET'
  return err
}

/**
 * A request without a body. Reading it (resume, 'data', pipe, async
 * iteration) gives no bytes and then 'end', as a drained IncomingMessage.
 */
export class EmptyRequest extends LazyEventEmitter implements TransportRequest {
  declare socket: Socket
  declare method: string
  declare url: string
  originalUrl?: string
  declare httpVersion: string
  declare httpVersionMajor: number
  declare httpVersionMinor: number
  declare headers: Record<string, string | string[] | undefined>
  declare rawHeaders: string[]
  declare trailers: Record<string, string | string[] | undefined>
  declare rawTrailers: string[]
  declare complete: boolean
  declare aborted: boolean
  declare upgrade: boolean
  declare joinDuplicateHeaders: boolean
  destroyed = false
  readableEnded = false
  private closed = false
  private ending = false

  constructor(socket: Socket, method: string, url: string, major: number, minor: number, rawHeaders: string[], join: boolean, headers?: Headers) {
    super()
    init(this, socket, method, url, major, minor, rawHeaders, join, headers ?? buildHeaders(rawHeaders, join))
  }

  get hasBody(): boolean {
    return false
  }

  get readable(): boolean {
    return !this.readableEnded && !this.destroyed
  }

  override on(event: string | symbol, listener: (...args: any[]) => void): this {
    super.on(event, listener)
    if (event === 'data' || event === 'readable') this.resume()
    return this
  }

  override addListener(event: string | symbol, listener: (...args: any[]) => void): this {
    return this.on(event, listener)
  }

  /** Nothing to read: 'end' follows on the next tick (once). */
  resume(): this {
    if (!this.ending && !this.readableEnded && !this.destroyed) {
      this.ending = true
      process.nextTick(emitEnd, this)
    }
    return this
  }

  pause(): this {
    return this
  }

  isPaused(): boolean {
    return false
  }

  read(): null {
    this.resume()
    return null
  }

  setEncoding(): this {
    return this
  }

  pipe<T extends NodeJS.WritableStream>(dest: T, options?: { end?: boolean }): T {
    if (options?.end !== false) {
      // Readable.pipe of a stream whose 'end' was emitted ends the destination on the next tick.
      if (this.readableEnded) process.nextTick(() => dest.end())
      else this.once('end', () => dest.end())
    }
    this.resume()
    return dest
  }

  unpipe(): this {
    return this
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer> {
    this.readableEnded = true
  }

  /** The response finished: the request is over. */
  finish(): void {
    this.emitClose()
  }

  /**
   * optimizeEmptyRequests (Node 24+): IncomingMessage._dumpAndCloseReadable,
   * the request reads as ended, destroyed and closed from the start, and
   * emits no 'end', 'close' or 'aborted' (destroying it later does nothing).
   */
  dumpAndClose(): void {
    this.readableEnded = true
    this.ending = true
    this.destroyed = true
    this.closed = true
  }

  /**
   * The connection closed before the response finished: node:http's
   * req.destroy(ConnResetException), whose _destroy marks the request
   * aborted only if it was not read to its end and complete.
   */
  abort(): void {
    if (this.closed) return
    if (!this.readableEnded || !this.complete) {
      this.aborted = true
      this.emit('aborted')
    }
    this.emitClose()
  }

  destroy(err?: Error): this {
    if (this.destroyed) return this
    this.destroyed = true
    if (!this.readableEnded || !this.complete) {
      this.aborted = true
      this.emit('aborted')
      if (!this.socket.destroyed) this.socket.destroy(err)
    }
    process.nextTick(() => {
      if (err && this.listenerCount('error') > 0) this.emit('error', err)
      this.emitClose()
    })
    return this
  }

  private emitClose(): void {
    if (this.closed) return
    this.closed = true
    this.destroyed = true
    this.emit('close')
  }
}
share(EmptyRequest.prototype)

function emitEnd(req: EmptyRequest): void {
  if (req.readableEnded || req.destroyed) return
  req.readableEnded = true
  req.emit('end')
}

/**
 * A request with a body: a Readable the parser pushes into. When the
 * consumer stops reading, the connection stops reading the socket.
 */
export class BodyRequest extends Readable implements TransportRequest {
  declare socket: Socket
  declare method: string
  declare url: string
  originalUrl?: string
  declare httpVersion: string
  declare httpVersionMajor: number
  declare httpVersionMinor: number
  declare headers: Record<string, string | string[] | undefined>
  declare rawHeaders: string[]
  declare trailers: Record<string, string | string[] | undefined>
  declare rawTrailers: string[]
  declare complete: boolean
  declare aborted: boolean
  declare upgrade: boolean
  declare joinDuplicateHeaders: boolean
  /** Bytes of body received so far. */
  receivedBytes = 0
  private readonly owner: RequestOwner

  constructor(owner: RequestOwner, method: string, url: string, major: number, minor: number, rawHeaders: string[], join: boolean, headers: Headers) {
    super({ highWaterMark: owner.socket.readableHighWaterMark })
    this.owner = owner
    init(this, owner.socket, method, url, major, minor, rawHeaders, join, headers)
  }

  get hasBody(): boolean {
    return true
  }

  /** A body chunk from the parser; false when the consumer is full. */
  pushBody(chunk: Buffer): boolean {
    this.receivedBytes += chunk.length
    return this.push(chunk)
  }

  /** The body is complete; trailers (raw pairs) come with it. */
  endBody(trailers: string[] | null): void {
    this.complete = true
    if (trailers !== null && trailers.length > 0) {
      this.rawTrailers = trailers
      this.trailers = buildHeaders(trailers, this.joinDuplicateHeaders)
    }
    this.push(null)
  }

  /** The connection closed before the body or the response was complete. */
  abort(): void {
    if (this.destroyed) return
    this.destroy(abortedError())
  }

  /** The response finished: read what is left so the connection can go on (Node's _dump). */
  finish(): void {
    if (!this.readableFlowing && !this.destroyed) {
      this.removeAllListeners('data')
      this.resume()
    }
  }

  override _read(): void {
    this.owner.resumeReading()
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    if (!this.readableEnded || !this.complete) {
      this.aborted = true
      this.emit('aborted')
      if (!this.socket.destroyed) this.socket.destroy()
    }
    // As IncomingMessage: an error nobody listens for is not thrown.
    cb(err && this.listenerCount('error') > 0 ? err : null)
  }
}
share(BodyRequest.prototype)
