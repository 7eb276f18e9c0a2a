/**
 * The response object of the transport: the ServerResponse surface Fastify
 * and common plugins use (writeHead, setHeader & co, statusCode,
 * statusMessage, headersSent, write/end, 'drain'/'finish'/'close',
 * writeContinue, writeEarlyHints, addTrailers, flushHeaders, destroy), with
 * no Writable stream behind it: the head is core's serializeHead (Node's
 * _storeHeader rules, byte for byte) and every byte goes to the
 * connection's SocketWriter, in request order.
 */
import * as fs from 'node:fs'
import * as http from 'node:http'
import { STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import type { EventEmitter } from 'node:events'
import { LazyStream } from './lazy-emitter'
import {
  CRLF,
  LAST_CHUNK,
  chunkHeader,
  hasInvalidHeaderChar,
  chunkFraming,
  flatMerge,
  responseInternals,
  serializeHead,
  validateHeaderName,
  validateHeaderValue,
  type Head,
  type HeadOptions,
  type OutgoingHeaders,
  type WriteCallback,
} from '@vectored/core'
import { isUnreadFileStream, endFileStream, takeFileStream } from '../file-stream'
import { counters } from '../stats'
import { vectorPiecesOf } from '../vector-payload'
import type { TransportRequest } from './request'
import { lineServerBehaviour } from './line-options'
import { responseCreated, responseFinish } from './diagnostics-channels'

/** What a response needs from its connection. */
export interface ResponseOwner {
  readonly socket: Socket
  /** The server whose connection this is (the http.Server, or the transport's). */
  readonly server: EventEmitter
  readonly keepAliveTimeout: number
  readonly maxRequestsPerSocket: number
  readonly uniqueHeaders: ReadonlySet<string> | null
  /** Writes now, behind earlier writes of this connection; false when the caller should wait for 'drain'. */
  write(pieces: Uint8Array[], done?: WriteCallback): boolean
  /** write() for the last bytes of a response: they go out with every connection's after this poll phase, not at the end of the tick. */
  writeEnd(pieces: Uint8Array[], done: WriteCallback): boolean
  /** Whether sendFile works on this connection's writer. */
  readonly canSendFile: boolean
  /** Writes `head` then `length` bytes of `fd` from `offset` with sendfile, behind earlier writes. */
  sendFile(head: Uint8Array[], fd: number, offset: number, length: number, done: WriteCallback): boolean
  /** `res` handed its last bytes to the writer: the next response may write behind them. */
  responseEnded(res: TransportResponse): void
  /** The last byte of `res` is in the kernel (or the write failed). */
  responseDone(res: TransportResponse, err: Error | null): void
  /** Whether every earlier response has finished, so node:http would have given `res` the socket (res.socket !== null). */
  holdsSocket(res: TransportResponse): boolean
}

type Listener = (...args: any[]) => void
type HeaderEntry = [name: string, value: unknown]
type Chunk = string | Uint8Array
type EndCallback = (err?: Error | null) => void

function nodeError<T extends Error>(err: T, code: string): T & { code: string } {
  return Object.assign(err, { code })
}
function headersSentError(action: string): Error {
  return nodeError(new Error(`Cannot ${action} headers after they are sent to the client`), 'ERR_HTTP_HEADERS_SENT')
}
function invalidArgType(name: string, value: unknown): TypeError {
  const got = value === null ? 'null' : typeof value
  return nodeError(new TypeError(`The "${name}" argument must be of type string or an instance of Buffer or Uint8Array. Received ${got}`), 'ERR_INVALID_ARG_TYPE')
}
function validateName(name: unknown): asserts name is string {
  if (typeof name !== 'string') throw nodeError(new TypeError(`The "name" argument must be of type string. Received ${typeof name}`), 'ERR_INVALID_ARG_TYPE')
}

function byteLength(chunk: Chunk, encoding: BufferEncoding | null | undefined): number {
  return typeof chunk === 'string' ? Buffer.byteLength(chunk, encoding ?? 'utf8') : chunk.byteLength
}

// serializeHead reads its options synchronously: one object, refilled per head.
const headOptions: HeadOptions = {}

// Whether the running line's OutgoingMessage keeps end() callbacks apart
// from 'finish' listeners (Node 24 and later: kEndCallbacks), as core's
// probe of node:http found (see queueEndCallback).
const lineEndCallbacks = responseInternals.endCallbacks !== null

// node:http's own informational-response methods (see writeContinue).
const nodeResponse = http.ServerResponse.prototype as unknown as Record<string, ((this: unknown, ...args: unknown[]) => unknown) | undefined>
const nodeOutgoing = http.OutgoingMessage.prototype as unknown as Record<string, ((this: unknown, ...args: unknown[]) => unknown) | undefined>

export class TransportResponse extends LazyStream {
  statusCode = 200
  statusMessage: string | undefined = undefined
  sendDate = true
  /** end() was called (Node's name for writableEnded). */
  finished = false
  writableFinished = false
  /** Always true, as OutgoingMessage's (stream.finished reads a false one as "finished"). */
  writable = true
  destroyed = false
  errored: Error | null = null
  chunkedEncoding = false
  strictContentLength = false
  useChunkedEncodingByDefault: boolean
  shouldKeepAlive: boolean
  maxRequestsOnConnectionReached = false
  readonly req: TransportRequest
  readonly socket: Socket
  /** Node's res._header: the head as a string, once built. */
  _header: string | null = null
  _hasBody: boolean
  _last = false
  _contentLength: number | null = null
  _removedConnection = false
  _removedContLen = false
  _removedTE = false
  _expect_continue = false
  _sent100 = false
  /** The next response of the connection may write only after this one: set by the connection. */
  active = false

  private readonly owner: ResponseOwner
  /** setHeader's headers by lower-cased name (Node's kOutHeaders), null until the first. */
  private outHeaders: Record<string, HeaderEntry> | null = null
  private head: Head | null = null
  /** The head is built but not written yet. */
  private headPending = false
  private trailer = ''
  private corks = 0
  /** Chunked writes of this tick, framed as one chunk when it ends (Node 22+, writeInTick). */
  private tickChunks: Uint8Array[] | null = null
  private tickBytes = 0
  private tickCallbacks: WriteCallback[] | null = null
  /** The run a pipelined response followed this ended one in (Node 24+ lines only), see currentRun. */
  private endRun = 0
  private needDrain = false
  private closed = false
  /** Writes made before this response's turn, and their callbacks. */
  private held: Uint8Array[] | null = null
  private heldCallbacks: WriteCallback[] | null = null
  private heldBytes = 0
  private heldEnd = false
  /** An fs.ReadStream piped in was looked at (once: given back, it is piped again). */
  private fileSeen = false
  /** Body bytes written so far, against the head's Content-Length. */
  private bodyBytes = 0
  /** The body contradicted the head's Content-Length: the connection ends (cutConnection). */
  private cut = false
  private readonly onLastWritten = (err: Error | null) => this.owner.responseDone(this, err)
  /** end()'s callbacks (Node 24 and later, see queueEndCallback), and the error that failed them. */
  private endCallbacks: EndCallback[] | null = null
  /** lenientHeaderValues(), once known. */
  private lenient: boolean | null = null
  private flushError: Error | null = null

  constructor(owner: ResponseOwner, req: TransportRequest, shouldKeepAlive: boolean) {
    super()
    this.owner = owner
    this.req = req
    this.socket = owner.socket
    this.shouldKeepAlive = shouldKeepAlive
    this._hasBody = req.method !== 'HEAD'
    // HTTP/1.0: chunked only when the client says it takes it (ServerResponse's constructor).
    this.useChunkedEncodingByDefault = req.httpVersionMinor >= 1 || req.httpVersionMajor > 1 || /(?:^|\W)chunked(?:$|\W)/i.test(String(req.headers.te ?? ''))
    if (responseCreated !== null && responseCreated.hasSubscribers) responseCreated.publish({ request: req, response: this })
  }

  /**
   * At 'finish' (however emit was reached, even wrapped by a test) the
   * request is over and 'close' follows a tick later, as Node's resOnFinish
   * schedules it; cheaper than a 'finish' listener per response. The tick is
   * queued before the listeners run, as resOnFinish is the response's first
   * 'finish' listener: a tick a listener queues comes after 'close'. One
   * tick closes every response that finished since it was queued (a
   * nextTick costs about 5% of a hello response on Node 24).
   */
  override emit(event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'pipe' && args[0] instanceof fs.ReadStream) this.takeFile(args[0])
    else if (event === 'finish') {
      // resOnFinish publishes first, then queues the 'close' tick.
      if (responseFinish.hasSubscribers) responseFinish.publish({ request: this.req, response: this, socket: this.socket, server: this.owner.server })
      if (finishedResponses.push(this) === 1) process.nextTick(closeFinished)
    }
    return super.emit(event, ...args)
  }

  get connection(): Socket {
    return this.socket
  }
  get headersSent(): boolean {
    return this._header !== null
  }
  get writableEnded(): boolean {
    return this.finished
  }
  get writableCorked(): number {
    return this.corks
  }
  get writableNeedDrain(): boolean {
    return this.needDrain
  }
  get writableLength(): number {
    // Gathered chunk bytes count with their framing, as Node 22's writableLength does.
    const tick = this.tickBytes === 0 ? 0 : this.tickBytes + this.tickBytes.toString(16).length + 4
    return this.heldBytes + tick
  }
  get writableHighWaterMark(): number {
    return this.socket.writableHighWaterMark
  }
  get writableObjectMode(): boolean {
    return false
  }

  // ---- headers (lib/_http_outgoing.js setHeader, appendHeader, getHeader, removeHeader...) ----

  setHeader(name: string, value: unknown): this {
    if (this._header !== null) throw headersSentError('set')
    validateHeaderName(name)
    validateHeaderValue(name, value, this.lenientHeaderValues())
    const headers = this.outHeaders ?? (this.outHeaders = Object.create(null) as Record<string, HeaderEntry>)
    headers[name.toLowerCase()] = [name, value]
    return this
  }

  appendHeader(name: string, value: unknown): this {
    if (this._header !== null) throw headersSentError('append')
    validateHeaderName(name)
    validateHeaderValue(name, value, this.lenientHeaderValues())
    const headers = this.outHeaders ?? (this.outHeaders = Object.create(null) as Record<string, HeaderEntry>)
    const key = name.toLowerCase()
    const existing = headers[key]
    if (existing === undefined) {
      headers[key] = [name, value]
    } else {
      const prev = Array.isArray(existing[1]) ? existing[1] : [existing[1]]
      existing[1] = prev.concat(value)
    }
    return this
  }

  setHeaders(headers: Headers | Map<string, unknown>): this {
    if (this._header !== null) throw headersSentError('set')
    for (const [name, value] of headers as Map<string, unknown>) this.setHeader(name, value)
    return this
  }

  getHeader(name: string): unknown {
    validateName(name)
    return this.outHeaders?.[name.toLowerCase()]?.[1]
  }

  hasHeader(name: string): boolean {
    validateName(name)
    return this.outHeaders !== null && this.outHeaders[name.toLowerCase()] !== undefined
  }

  getHeaderNames(): string[] {
    return this.outHeaders === null ? [] : Object.keys(this.outHeaders)
  }

  getRawHeaderNames(): string[] {
    return this.outHeaders === null ? [] : Object.values(this.outHeaders).map((e) => e[0])
  }

  getHeaders(): Record<string, unknown> {
    const out: Record<string, unknown> = Object.create(null)
    if (this.outHeaders !== null) for (const key in this.outHeaders) out[key] = this.outHeaders[key]![1]
    return out
  }

  removeHeader(name: string): void {
    validateName(name)
    if (this._header !== null) throw headersSentError('remove')
    const key = name.toLowerCase()
    switch (key) {
      case 'connection': this._removedConnection = true; break
      case 'content-length': this._removedContLen = true; break
      case 'transfer-encoding': this._removedTE = true; break
      case 'date': this.sendDate = false; break
    }
    if (this.outHeaders !== null) delete this.outHeaders[key]
  }

  /**
   * Whether header and trailer values are checked with Node 24's lenient
   * rules: as the running line's OutgoingMessage decides
   * (_isLenientHeaderValidation(), from the server's httpValidation or
   * insecureHTTPParser or the process flag; Node 24 and later), once per
   * response; Node 20 and 22 are strict for every server.
   */
  private lenientHeaderValues(): boolean {
    let lenient = this.lenient
    if (lenient === null) {
      const method = (this as unknown as { _isLenientHeaderValidation?: () => boolean })._isLenientHeaderValidation
      lenient = this.lenient = typeof method === 'function' && method.call(this) === true
    }
    return lenient
  }

  /** ServerResponse.writeHead: builds (does not send) the head, Node's rules and errors. */
  writeHead(statusCode: number, reason?: string | OutgoingHeaders | null, obj?: OutgoingHeaders | null): this {
    if (this._header !== null) throw headersSentError('write')
    let message = this.statusMessage
    if (typeof reason === 'string') message = reason
    else obj ??= reason
    // Node sets these before it validates the message and the headers: after a
    // writeHead that threw on them, an implicit head uses them (lib/_http_server.js writeHead).
    const code = statusCode | 0
    if (code >= 100 && code <= 999) {
      this.statusCode = code
      if (typeof reason === 'string' || !this.statusMessage) this.statusMessage = message || STATUS_CODES[code] || 'unknown'
    }
    let headers: OutgoingHeaders | null | undefined = obj
    let validated = false
    if (this.outHeaders !== null) {
      // Node's slow case: merge writeHead's headers into setHeader's. An array
      // replaces the names it has, then appends each pair (Node 22 and later),
      // or sets pair after pair, a later one of a name replacing an earlier
      // one (Node 20): core's flatMerge, probed on node:http, says which.
      if (Array.isArray(obj)) {
        const list = obj as unknown[]
        if (list.length % 2 !== 0) {
          throw nodeError(new TypeError(`The argument 'headers' is invalid. Received ${String(obj)}`), 'ERR_INVALID_ARG_VALUE')
        }
        if (flatMerge !== 'set') {
          for (let n = 0; n < list.length; n += 2) this.removeHeader(list[n] as string)
          for (let n = 0; n < list.length; n += 2) if (list[n]) this.appendHeader(list[n] as string, list[n + 1])
        } else {
          for (let n = 0; n < list.length; n += 2) if (list[n]) this.setHeader(list[n] as string, list[n + 1])
        }
      } else if (obj) {
        for (const k of Object.keys(obj)) if (k) this.setHeader(k, (obj as Record<string, unknown>)[k])
      }
      headers = Object.values(this.outHeaders) as unknown as OutgoingHeaders
      validated = true
    }
    const o = headOptions
    o.statusMessage = message || undefined
    o.sendDate = this.sendDate
    o.shouldKeepAlive = this.shouldKeepAlive
    o.useChunkedEncodingByDefault = this.useChunkedEncodingByDefault
    o.hasBody = this._hasBody
    o.keepAliveTimeout = this.owner.keepAliveTimeout
    o.maxRequestsPerSocket = this.owner.maxRequestsPerSocket
    o.maxRequestsOnConnectionReached = this.maxRequestsOnConnectionReached
    o.contentLength = this._contentLength
    o.removedConnection = this._removedConnection
    o.removedContentLength = this._removedContLen
    o.removedTransferEncoding = this._removedTE
    o.expectContinuePending = this._expect_continue && !this._sent100
    o.uniqueHeaders = this.owner.uniqueHeaders
    o.validated = validated
    o.lenientHeaderValues = this.lenientHeaderValues()
    const head = serializeHead(statusCode, headers, o) // throws on an invalid status, message or header
    this.head = head
    this._header = head.text
    this.headPending = true
    this.chunkedEncoding = head.chunked
    this._hasBody = head.hasBody
    this._last = head.last
    this.shouldKeepAlive = head.shouldKeepAlive
    return this
  }

  /** As Node: the head a write()/end() makes when writeHead was not called. */
  _implicitHeader(): void {
    this.writeHead(this.statusCode)
  }

  flushHeaders(): void {
    if (this._header === null) this._implicitHeader()
    if (this.headPending) this.send(this.takeHead(), null)
  }

  // ---- body ----

  write(chunk: Chunk, encoding?: BufferEncoding | null | WriteCallback, callback?: WriteCallback): boolean {
    if (typeof encoding === 'function') {
      callback = encoding
      encoding = null
    }
    if (this.cut) {
      // The connection is ending: the rest of a contradicting body is dropped, quietly (a piped source stops).
      if (callback) process.nextTick(callback, nodeError(new Error('Cannot call write after a stream was destroyed'), 'ERR_STREAM_DESTROYED'))
      return false
    }
    if (this.finished) {
      const err = nodeError(new Error('write after end'), 'ERR_STREAM_WRITE_AFTER_END')
      process.nextTick(() => {
        callback?.(err)
        this.emit('error', err)
      })
      return false
    }
    if (chunk === null) throw nodeError(new TypeError('May not write null values to stream'), 'ERR_STREAM_NULL_VALUES')
    if (typeof chunk !== 'string' && !(chunk instanceof Uint8Array)) throw invalidArgType('chunk', chunk)
    if (this._header === null) this._implicitHeader()
    if (!this._hasBody) {
      // Node ignores body bytes of HEAD, 1xx, 204 and 304 responses.
      if (callback) process.nextTick(callback, null)
      return true
    }
    const data = typeof chunk === 'string' ? Buffer.from(chunk, encoding ?? 'utf8') : chunk
    if (this.contradictsLength(data.byteLength, false)) {
      this.cutConnection()
      return false
    }
    // Node 24 corks only a response that holds the socket; one queued behind a pipelined response frames every write.
    if (this.chunkedEncoding && this.active && (this.tickChunks !== null ||
      ((chunkFraming.tick || (chunkFraming.corked && this.corks > 0)) && this.owner.holdsSocket(this)))) return this.writeInTick(data, callback)
    const pieces = this.headPending ? this.takeHead(chunk, encoding) : []
    if (data.byteLength > 0) {
      if (this.chunkedEncoding) pieces.push(chunkHeader(data.byteLength), data, CRLF)
      else pieces.push(data)
    }
    return this.send(pieces, callback ?? null)
  }

  /**
   * Node 22 and later frame the chunked writes of one tick (or of a
   * cork()...uncork()) as one chunk: write_ corks the response and uncorks
   * it on the next tick, and uncork sends the kChunkedBuffer it gathered
   * (lib/_http_outgoing.js). Same bytes here, gathered until then.
   */
  private writeInTick(data: Uint8Array, callback: WriteCallback | undefined): boolean {
    if (data.byteLength > 0 || this.tickChunks !== null) {
      if (this.tickChunks === null) {
        this.tickChunks = []
        if (this.corks === 0 && chunkFraming.tick) process.nextTick(flushTickChunks, this)
      }
      if (data.byteLength > 0) this.tickChunks.push(data)
      this.tickBytes += data.byteLength
      if (callback) (this.tickCallbacks ??= []).push(callback)
      return this.writableLength < this.writableHighWaterMark
    }
    return this.send(this.headPending ? this.takeHead() : [], callback ?? null)
  }

  /** Whether end() ran in the current run: node:http would not yet have handed the socket on. */
  get endedThisRun(): boolean {
    return runArmed && this.endRun === run
  }

  /** A pipelined response follows this ended one now (Node 24+ framing, see currentRun). */
  followedNow(): void {
    if (chunkFraming.tick) this.endRun = currentRun()
  }

  /** The chunk writeInTick gathered, as one. */
  flushTickChunks(): void {
    const chunks = this.tickChunks
    if (chunks === null || this.corks > 0) return
    const callbacks = this.tickCallbacks
    const bytes = this.tickBytes
    this.tickChunks = null
    this.tickCallbacks = null
    this.tickBytes = 0
    if (this.cut || this.destroyed) {
      const err = nodeError(new Error('Cannot call write after a stream was destroyed'), 'ERR_STREAM_DESTROYED')
      if (callbacks !== null) for (const cb of callbacks) process.nextTick(cb, err)
      return
    }
    const pieces = this.headPending ? this.takeHead() : []
    if (bytes > 0) {
      pieces.push(chunkHeader(bytes))
      for (let i = 0; i < chunks.length; i++) pieces.push(chunks[i]!)
      pieces.push(CRLF)
    }
    this.send(pieces, callbacks === null ? null : (err) => { for (const cb of callbacks) cb(err) })
  }

  end(chunk?: Chunk | null | EndCallback, encoding?: BufferEncoding | null | EndCallback, callback?: EndCallback): this {
    if (typeof chunk === 'function') {
      callback = chunk
      chunk = null
    } else if (typeof encoding === 'function') {
      callback = encoding
      encoding = null
    }
    if (this.finished) {
      if (this.cut) {
        // Ended by a body that contradicted its length: the rest is dropped quietly.
        if (callback) process.nextTick(callback)
      } else if (chunk) {
        // As Node's end(chunk) after end: the callback and 'error' get ERR_STREAM_WRITE_AFTER_END, unless destroyed.
        if (!this.destroyed) {
          const err = nodeError(new Error('write after end'), 'ERR_STREAM_WRITE_AFTER_END')
          process.nextTick(() => {
            callback?.(err)
            if (!this.destroyed) this.emit('error', err)
          })
        }
      } else if (callback) {
        this.queueEndCallback(callback)
      }
      return this
    }
    if (chunk != null && typeof chunk !== 'string' && !(chunk instanceof Uint8Array)) throw invalidArgType('chunk', chunk)
    const enc = encoding as BufferEncoding | null | undefined
    if (this._header === null) {
      // The only chunk's length is the Content-Length (Node's end -> write_(fromEnd)).
      this._contentLength = chunk == null ? 0 : byteLength(chunk, enc)
      this._implicitHeader()
    }
    // The body's bytes, encoded once: counted against the Content-Length, then written.
    let data = chunk == null || !this._hasBody ? null : typeof chunk === 'string' ? Buffer.from(chunk, enc ?? 'utf8') : chunk
    if (this._hasBody && this.contradictsLength(data === null ? 0 : data.byteLength, true)) {
      this.cutConnection()
      if (callback) process.nextTick(callback)
      return this
    }
    if (this.tickChunks !== null) {
      // Chunks of this tick still gathered: the last one joins them (Node's end flushes kChunkedBuffer).
      if (data !== null && data.byteLength > 0 && this.chunkedEncoding) {
        this.tickChunks.push(data)
        this.tickBytes += data.byteLength
        data = null
      }
      this.corks = 0
      this.flushTickChunks()
    }
    const pieces = this.headPending ? this.takeHead(chunk, enc) : []
    if (data !== null && data.byteLength > 0) {
      if (this.chunkedEncoding) pieces.push(chunkHeader(data.byteLength))
      // reply.sendVector's payload stands for its pieces: they go out unjoined.
      const vector = vectorPiecesOf(data)
      if (vector === undefined) pieces.push(data)
      else for (let i = 0; i < vector.length; i++) pieces.push(vector[i]!)
      if (this.chunkedEncoding) pieces.push(CRLF)
    }
    if (this.chunkedEncoding && this._hasBody) {
      pieces.push(this.trailer === '' ? LAST_CHUNK : Buffer.from(`0\r\n${this.trailer}\r\n`, 'latin1'))
    }
    this.finished = true
    counters.responses++
    if (callback) this.queueEndCallback(callback)
    if (this.active) this.owner.writeEnd(pieces, this.onLastWritten)
    else this.send(pieces, this.onLastWritten)
    if (this.active) this.owner.responseEnded(this)
    return this
  }

  addTrailers(headers: Record<string, unknown> | [string, unknown][]): void {
    const entries = Array.isArray(headers) ? headers : Object.entries(headers)
    for (const [field, value] of entries) {
      validateHeaderName(field, 'Trailer name')
      if (Array.isArray(value) && value.length > 1 && (!this.owner.uniqueHeaders || !this.owner.uniqueHeaders.has(field.toLowerCase()))) {
        for (const v of value) {
          if (hasInvalidHeaderChar(String(v), this.lenientHeaderValues())) throw nodeError(new TypeError(`Invalid character in trailer content ["${field}"]`), 'ERR_INVALID_CHAR')
          this.trailer += `${field}: ${v}\r\n`
        }
      } else {
        const v = Array.isArray(value) ? value.join('; ') : String(value)
        if (hasInvalidHeaderChar(v, this.lenientHeaderValues())) throw nodeError(new TypeError(`Invalid character in trailer content ["${field}"]`), 'ERR_INVALID_CHAR')
        this.trailer += `${field}: ${v}\r\n`
      }
    }
  }

  // The informational responses are node:http's own methods of the running
  // line, called on this response: they build the head (and validate it, as
  // that line does) and write it with _writeRaw, which goes to the writer in
  // this response's order. Node 20 and 22 write 100 / 102 / 103 themselves;
  // Node 24 and later go through writeInformation (status 100-199 but 101,
  // header names and values validated, 'Link' for the hints, and throws once
  // the head is built), which this response then has too.

  writeContinue(callback?: WriteCallback): void {
    nodeResponse.writeContinue!.call(this, callback)
  }

  writeProcessing(callback?: WriteCallback): void {
    nodeResponse.writeProcessing!.call(this, callback)
  }

  writeEarlyHints(hints: Record<string, unknown>, callback?: WriteCallback): void {
    nodeResponse.writeEarlyHints!.call(this, hints, callback)
  }

  /** Node's OutgoingMessage._writeRaw for the heads above: bytes as they are, in this response's order; nothing once the socket is destroyed. */
  _writeRaw(data: string | Uint8Array, encoding?: BufferEncoding | WriteCallback | null, callback?: WriteCallback): boolean {
    if (typeof encoding === 'function') {
      callback = encoding
      encoding = null
    }
    if (this.socket.destroyed) return false
    const bytes = typeof data === 'string' ? Buffer.from(data, encoding ?? 'latin1') : data
    return this.send([bytes], callback ?? null)
  }

  cork(): void {
    this.corks++
  }

  uncork(): void {
    if (this.corks > 0) this.corks--
    if (this.corks === 0) this.flushTickChunks()
  }

  setTimeout(msecs: number, callback?: Listener): this {
    if (callback) this.on('timeout', callback)
    this.socket.setTimeout(msecs)
    return this
  }

  /** Ends the connection: as Node, destroying a response destroys its socket. */
  destroy(err?: Error): this {
    if (this.destroyed) return this
    this.destroyed = true
    this.errored = err ?? null
    this.socket.destroy(err)
    return this
  }

  // ---- files ----

  /**
   * Readable.pipe(res) announces itself with 'pipe' before the first read:
   * an fs.ReadStream that has read nothing (reply.sendFile, @fastify/static)
   * is sent by its path and range with sendfile, as VectoredResponse does.
   * Only with a Content-Length (chunked framing would differ from stock's
   * chunk per read), a body, no trailers, and this response's turn to write;
   * anything else leaves the stream piped, stock.
   */
  private takeFile(src: fs.ReadStream): void {
    if (this.fileSeen) return
    this.fileSeen = true
    if (!isUnreadFileStream(src) || this._header !== null || this.finished || this.destroyed || !this._hasBody ||
      this.trailer !== '' || !this.owner.canSendFile || !this.fileStatusHasBody() ||
      this.hasHeader('trailer') || this.hasHeader('transfer-encoding')) return
    const declared = this.getHeader('content-length')
    if (declared === undefined) return
    takeFileStream(src, this, declared, true, (fd, offset, length, giveBack) => this.sendFileBody(src, fd, offset, length, giveBack))
  }

  /** Node sends no body with 1xx, 204 and 304. */
  private fileStatusHasBody(): boolean {
    const code = this.statusCode
    return code >= 200 && code !== 204 && code !== 304
  }

  private sendFileBody(src: fs.ReadStream, fd: number, offset: number, length: number, giveBack: (fd: number | null) => void): void {
    if (!Number.isSafeInteger(length) || length <= 0 || this._header !== null || this.finished || this.destroyed ||
      !this.active || this.trailer !== '' || !this.owner.canSendFile || !this.fileStatusHasBody() ||
      Number(this.getHeader('content-length')) !== length || this.hasHeader('trailer') || this.hasHeader('transfer-encoding')) {
      return giveBack(fd)
    }
    // The head stock's first write() would build; given back, that write uses it as is.
    this._implicitHeader()
    if (this.chunkedEncoding || !this._hasBody) return giveBack(fd)
    const head = this.takeHead()
    this.finished = true
    counters.responses++
    counters.files++
    // 'finish' once the bytes are in the kernel and the stream has ended.
    let waiting = 2
    const written = (err: Error | null) => {
      fs.close(fd, noop)
      if (err !== null) return this.onLastWritten(err)
      if (--waiting === 0) this.onLastWritten(null)
    }
    const ended = () => {
      if (--waiting === 0) this.onLastWritten(null)
    }
    this.owner.sendFile(head, fd, offset, length, written)
    if (this.active) this.owner.responseEnded(this)
    endFileStream(src, ended)
  }

  // ---- the connection's side ----

  /** This response's turn: write what was held, in order. */
  activate(): void {
    this.active = true
    if (this.cut) return this.closeBehindWritten()
    if (this.held === null) return
    const pieces = this.held
    const callbacks = this.heldCallbacks
    const ended = this.heldEnd
    this.held = null
    this.heldCallbacks = null
    this.heldBytes = 0
    this.owner.write(pieces, (err) => {
      if (callbacks !== null) for (const cb of callbacks) cb(err)
      if (ended) this.onLastWritten(err)
    })
    if (this.needDrain) process.nextTick(() => this.drained())
  }

  /** The writer went below its mark (only the active response writes). */
  drained(): void {
    if (this.needDrain && !this.finished) {
      this.needDrain = false
      this.emit('drain')
    }
  }

  /**
   * A Content-Length body that goes past its length (a write), or ends
   * short of or past it (end): stock Node sends the bytes as they are, and
   * the client reads the surplus as the next response or waits for bytes
   * that never come. VectoredResponse's rule (docs/reliability.md).
   */
  private contradictsLength(bytes: number, fromEnd: boolean): boolean {
    const total = (this.bodyBytes += bytes)
    const head = this.head
    if (head === null || head.chunked || head.contentLength === null) return false
    return fromEnd ? total !== head.contentLength : total > head.contentLength
  }

  /**
   * Ends the connection, the only signal a client has that a body is not
   * what its head said: nothing more of this response is written, nothing
   * after it is, and the socket is destroyed once the bytes already handed
   * to the writer (this response's and the ones before) are out.
   */
  private cutConnection(): void {
    counters.lengthMismatches++
    this.cut = true
    this.finished = true
    this._last = true // the connection writes nothing after this response
    this.held = null
    this.heldCallbacks = null
    if (this.active) this.closeBehindWritten()
  }

  private closeBehindWritten(): void {
    const socket = this.socket
    this.owner.write([], () => socket.destroy())
  }

  /** All bytes are in the kernel: 'finish' now, 'close' on the next tick (emit), as Node. */
  emitFinish(): void {
    this.writableFinished = true
    this.flushEndCallbacks(null)
    this.emit('finish')
  }

  /**
   * end()'s callback as the running line's OutgoingMessage takes it. Node 24
   * and later keep end callbacks apart (kEndCallbacks) and call them with
   * null before 'finish', or with the error that kept the bytes from the
   * socket; Node 20 and 22 make each a 'finish' listener, called with no
   * argument, never if the write fails. Both call it with
   * ERR_STREAM_ALREADY_FINISHED, at once, when the response has finished.
   */
  private queueEndCallback(callback: EndCallback): void {
    if (this.writableFinished) {
      callback(nodeError(new Error('Cannot call end after a stream was finished'), 'ERR_STREAM_ALREADY_FINISHED'))
    } else if (!lineEndCallbacks) {
      this.once('finish', callback)
    } else if (this.flushError !== null) {
      process.nextTick(callback, this.flushError)
    } else {
      (this.endCallbacks ??= []).push(callback)
    }
  }

  private flushEndCallbacks(err: Error | null): void {
    const callbacks = this.endCallbacks
    if (callbacks === null) return
    this.endCallbacks = null
    for (let i = 0; i < callbacks.length; i++) callbacks[i]!(err)
  }

  /**
   * The last bytes could not be written (the connection closes). Node 24's
   * end callbacks get the error when a write to the socket failed, or the
   * socket's own error; when the socket was destroyed without one before the
   * bytes were handed to it, Node's _writeRaw drops them and calls nothing,
   * and so does this (the writer's ERR_STREAM_DESTROYED).
   */
  endFailed(err: Error & { code?: string }): void {
    if (!lineEndCallbacks || this.writableFinished || this.flushError !== null) return
    const socketError = (this.socket as Socket & { errored?: Error | null }).errored ?? null
    if (err.code === 'ERR_STREAM_DESTROYED' && socketError === null) return
    this.flushError = this.errored ?? socketError ?? err
    this.flushEndCallbacks(this.flushError)
  }

  /**
   * The connection closed before this response was done. The one that held
   * the socket (node:http's socket._httpMessage) is destroyed and emits
   * 'close'. One queued behind it is destroyed with
   * ConnResetException('aborted') on the lines whose socketOnClose calls
   * abortOutgoing (Node 24 and later: `errored` set, 'close' a tick later),
   * and left as it is before them (line-options.ts).
   */
  emitAbort(heldSocket: boolean): void {
    if (heldSocket) {
      this.destroyed = true
    } else if (lineServerBehaviour.abortsQueuedResponses) {
      if (this.destroyed) return
      this.destroyed = true
      this.errored = connectionReset()
    } else {
      return
    }
    if (!this.closed) process.nextTick(emitClose, this)
  }

  markClosed(): boolean {
    if (this.closed) return false
    this.closed = true
    return true
  }

  // ---- internals ----

  /** The head's pieces, taken once; utf8 when the first chunk is a utf8 string with non-ASCII head bytes (Node's _send). */
  private takeHead(chunk?: Chunk | null, encoding?: BufferEncoding | null): Uint8Array[] {
    this.headPending = false
    const head = this.head!
    if (!head.ascii && typeof chunk === 'string' && (encoding == null || encoding === 'utf8' || encoding === 'utf-8')) {
      return [Buffer.from(head.text, 'utf8')]
    }
    return [head.head]
  }

  private send(pieces: Uint8Array[], done: WriteCallback | null): boolean {
    if (this.active) {
      const ok = this.owner.write(pieces, done ?? undefined)
      if (!ok) this.needDrain = true
      return ok
    }
    // An earlier response on this connection is not finished: hold the bytes (pipelining).
    if (this.held === null) this.held = pieces
    else for (let i = 0; i < pieces.length; i++) this.held.push(pieces[i]!)
    for (let i = 0; i < pieces.length; i++) this.heldBytes += pieces[i]!.byteLength
    if (done === this.onLastWritten) this.heldEnd = true
    else if (done !== null) (this.heldCallbacks ??= []).push(done)
    if (this.heldBytes >= this.socket.writableHighWaterMark) {
      this.needDrain = true
      return false
    }
    return true
  }
}

// Members only some lines' ServerResponse has, present here on the same
// lines: writeInformation and the lenient-validation check it reads (Node 24
// and later), writeHeader, writeHead's old alias (Node 20 to 24; gone in 26).
{
  const proto = TransportResponse.prototype as unknown as Record<string, unknown>
  if (typeof nodeResponse.writeInformation === 'function') proto.writeInformation = nodeResponse.writeInformation
  if (typeof nodeOutgoing._isLenientHeaderValidation === 'function') proto._isLenientHeaderValidation = nodeOutgoing._isLenientHeaderValidation
  if (typeof nodeResponse.writeHeader === 'function') proto.writeHeader = proto.writeHead
}

function noop(): void {}

/** Node's ConnResetException('aborted'). */
function connectionReset(): Error {
  return nodeError(new Error('aborted'), 'ECONNRESET')
}

// node:http hands the socket to the next pipelined response at the 'finish'
// of the one before, a tick after it ended, and Node 24 frames a response's
// writes by tick only once it holds the socket. A run ends at the next tick;
// a response that a pipelined one follows notes the run it ended in
// (TransportResponse.endedThisRun). Pipelined responses only, Node 24+ only.
let run = 1
let runArmed = false
function nextRun(): void {
  run++
  runArmed = false
}
function currentRun(): number {
  if (!runArmed) {
    runArmed = true
    process.nextTick(nextRun)
  }
  return run
}

function flushTickChunks(res: TransportResponse): void {
  res.flushTickChunks()
}

/** Responses that emitted 'finish' since the tick that closes them was queued, in that order. */
let finishedResponses: TransportResponse[] = []

/**
 * Node's order for each: the response's 'close', then the request's. A
 * 'close' listener that throws does not keep the request from closing,
 * and leaves the rest to a later tick, as each had its own tick in Node.
 */
function closeFinished(): void {
  const list = finishedResponses
  finishedResponses = []
  let i = 0
  try {
    for (; i < list.length; i++) {
      const res = list[i]!
      try {
        emitClose(res)
      } finally {
        ;(res.req as unknown as { finish(): void }).finish()
      }
    }
  } finally {
    if (++i < list.length) {
      if (finishedResponses.length === 0) process.nextTick(closeFinished)
      finishedResponses = list.slice(i).concat(finishedResponses)
    }
  }
}

function emitClose(res: TransportResponse): void {
  if (res.markClosed()) {
    res.destroyed = true
    res.emit('close')
  }
}
