/**
 * The ServerResponse that node:http builds for every request once the plugin
 * is registered. Node still does all of HTTP (writeHead, _storeHeader, the
 * keep-alive and pipelining state machine, 'finish' -> resOnFinish); only
 * the transport changes: bytes that Node would hand to socket.write go to
 * core's SocketWriter instead, which writes them on the fd with writev.
 * docs/plugin.md explains each override with the upstream lines it mirrors.
 */
import * as fs from 'node:fs'
import * as http from 'node:http'
import type { Socket } from 'node:net'
import { SocketWriter, headOptionsFromResponse, responseHeadMissing, responseInternals, responseMissing, serializeHead, serverSymbols, type Head, type OutgoingHeaders } from '@vectored/core'
import { counters, countFallback } from './stats'
import { vectorPiecesOf } from './vector-payload'
import { endFileStream, isUnreadFileStream, takeFileStream } from './file-stream'

type Bytes = Uint8Array
type Callback = (err?: Error | null) => void

/** The internal fields of OutgoingMessage / ServerResponse this file reads or sets (Node 20+). */
interface NodeResponse extends http.ServerResponse {
  _header: string | null
  _expect_continue: boolean
  _sent100: boolean
  _send(data: string): boolean
  _headerSent: boolean
  _hasBody: boolean
  _last: boolean
  _contentLength: number | null
  _implicitHeader(): void
  _finish(): void
  _writeRaw(data: string | Bytes, encoding?: BufferEncoding | null | Callback, cb?: Callback | null, size?: number): boolean
  _flushOutput(socket: Socket): boolean | undefined
  _onPendingData(delta: number): void
  chunkedEncoding: boolean
  outputData: Array<{ data: string | Bytes; encoding: BufferEncoding | null; callback: Callback | null }>
  outputSize: number
}

type HttpSocket = Socket & {
  _httpMessage: http.ServerResponse | null
  _hadError?: boolean
  [kWriter]?: SocketWriter | null
  [kFallback]?: string
  [kHanded]?: VectoredResponse | null
  [kNewest]?: VectoredResponse | null
  [kHeldReading]?: HeldReading
}

/** Node's updateOutgoingData bound to a connection (res._onPendingData), and the share this file added to it. */
interface HeldReading {
  update: (delta: number) => void
  share: number
}

const kWriter = Symbol('vectored.writer')
const kFallback = Symbol('vectored.fallbackReason')
/** On a socket: the last response whose every byte went to the writer. */
const kHanded = Symbol('vectored.handed')
/** On a socket: the newest response made for it (pipelined ones queue behind). */
const kNewest = Symbol('vectored.newest')
/** On a socket: what holdReading added to Node's outgoingData while the writer is over its mark. */
const kHeldReading = Symbol('vectored.heldReading')
const kPrev = Symbol('vectored.previous')
const kEarly = Symbol('vectored.early')
/** Body bytes this response has taken, to hold them to the Content-Length it announced. */
const kBodyBytes = Symbol('vectored.bodyBytes')
/** The Head serializeHead built for this response (its Buffer is the head's bytes), or null. */
const kHead = Symbol('vectored.head')

// What this file takes from node:http: node-internals.ts (@vectored/core)
// checks every piece once at load; with one missing, responseMissing names
// it, the plugin keeps node:http's own ServerResponse (index.ts), and
// VectoredResponse loses its overrides (the end of this file).
const { kNeedDrain, kCorked, kOutHeaders, nodeWritableLength, corksMovedBy, endCallbacks } = responseInternals
export { responseMissing }

/** serializeHead mirrors this Node's writeHead for the responses node:http makes (else writeHead is Node's). */
const headFromCore = responseHeadMissing === ''

function noop(): void {}

// Early-write states of a pipelined response written before it owns the socket.
const EARLY_PENDING = 1 // handed to the writer, not yet written, not yet assigned
const EARLY_WRITTEN = 2 // written, waiting for assignSocket -> _finish
const EARLY_ASSIGNED = 3 // assigned (prefinish done), waiting for the write

function toBytes(data: string | Bytes, encoding: BufferEncoding | null | undefined): Bytes {
  return typeof data === 'string' ? Buffer.from(data, encoding || 'utf8') : data
}

function destroyedError(): Error {
  return Object.assign(new Error('Cannot call end after a stream was destroyed'), { code: 'ERR_STREAM_DESTROYED' })
}

/**
 * Node's onFinish in _http_outgoing.js, for a response whose last byte the
 * writer put in the kernel. Node 20 and 22:
 *   if (outmsg && outmsg.socket && outmsg.socket._hadError) return;
 *   outmsg.emit('finish');
 * Node 24 and later also hold end()'s callbacks (kEndCallbacks) and the
 * writableFinished state (kWritableFinished) until then:
 *   if (err || outmsg[kErrored] || outmsg[kSocket]?.errored || outmsg[kSocket]?._hadError) {
 *     outmsg[kFlushError] = err ?? getEndCallbackError(outmsg); flushEndCallbacks(...); return; }
 *   outmsg[kWritableFinished] = true; flushEndCallbacks(outmsg, null); outmsg.emit('finish');
 */
function emitFinish(res: VectoredResponse): void {
  const socket = res.socket as HttpSocket | null
  if (endCallbacks === null) {
    if (socket !== null && socket._hadError) return
    res.emit('finish')
    return
  }
  const self = res as unknown as Record<symbol, unknown>
  const failed = res.errored ?? socket?.errored ?? (socket?._hadError ? destroyedError() : null)
  if (failed) {
    if (endCallbacks.flushError !== undefined) self[endCallbacks.flushError] = failed
    flushEndCallbacks(self, failed)
    return
  }
  self[endCallbacks.writableFinished] = true
  flushEndCallbacks(self, null)
  res.emit('finish')
}

function flushEndCallbacks(self: Record<symbol, unknown>, err: Error | null): void {
  const callbacks = self[endCallbacks!.queue] as ((err: Error | null) => void)[] | null
  if (callbacks == null) return
  self[endCallbacks!.queue] = null
  for (let i = 0; i < callbacks.length; i++) callbacks[i]!(err)
}

/**
 * The writer went over its mark. Node stops parsing a connection whose
 * output backs up (lib/_http_server.js parserOnIncoming: "stop reading so
 * that we don't become overwhelmed by a flood of pipelined requests"), by
 * looking at the socket's needDrain and at outgoingData, the bytes its
 * responses queue; the writer's bytes are neither, so they are counted in
 * outgoingData (through res._onPendingData, which Node binds to it) until
 * the writer drains, when Node's socketOnDrain resumes the parser.
 */
function holdReading(res: http.ServerResponse, socket: HttpSocket): void {
  if (socket[kHeldReading] !== undefined) return
  const update = (res as unknown as NodeResponse)._onPendingData
  const share = socket.writableHighWaterMark
  socket[kHeldReading] = { update, share }
  update.call(res, share)
}

function onWriterDrain(this: SocketWriter): void {
  const socket = this.socket as HttpSocket
  const held = socket[kHeldReading]
  if (held !== undefined) {
    socket[kHeldReading] = undefined
    held.update(-held.share)
  }
  const msg = socket._httpMessage
  if (msg instanceof VectoredResponse) drainIfEmpty(msg)
}

/** On a response: an empty write is queued on the writer, to look at 'drain' again once the writer is empty. */
const kDrainQueued = Symbol('vectored.drainQueued')

/**
 * Node's 'drain' of a response, as socketOnDrain and uncork emit it (Node
 * 24, lib/_http_server.js: "Only emit 'drain' once the message has no data
 * pending anywhere, so that msg.writableLength === 0 when the event
 * fires"): after a write that returned false (kNeedDrain), once nothing of
 * the response is pending, the writer's bytes included. Node cannot see
 * those emptying, so while the writer holds bytes an empty write is queued
 * behind them and this runs again from its callback. Called where Node
 * cannot see a response's bytes move (the writer's 'drain', after uncork);
 * it does not matter which write said false (the writer, or Node 24's own
 * verdict on its corked chunks, with the socket's mark).
 */
function drainIfEmpty(res: VectoredResponse): void {
  const self = res as unknown as NodeResponse & Record<symbol, unknown>
  if (self[kNeedDrain] !== true || self.finished || res.destroyed) return
  const socket = res.socket as HttpSocket | null
  if (res.writableLength === 0) {
    self[kNeedDrain] = false
    res.emit('drain')
    return
  }
  const writer = socket === null ? undefined : socket[kWriter]
  // Bytes in Node's hands only (its queue, the socket's): Node emits when they go.
  if (writer == null || writer.pendingBytes === 0 || self[kDrainQueued] === true) return
  self[kDrainQueued] = true
  writer.write([], () => {
    self[kDrainQueued] = false
    drainIfEmpty(res)
  })
}

/**
 * The writer for the socket when it can take direct writes, else null (and
 * the reason is kept for the stats). Decided once per connection.
 */
export function writerFor(socket: Socket): SocketWriter | null {
  const s = socket as HttpSocket
  let writer = s[kWriter]
  if (writer === undefined) {
    const w = SocketWriter.of(socket)
    if (w.mode === 'stock') {
      writer = null
      s[kFallback] = w.reason || 'stock'
    } else {
      writer = w
      w.on('drain', onWriterDrain)
    }
    s[kWriter] = writer
  }
  return writer
}

/**
 * Node's clientError path (and Fastify's handler on it) writes an error
 * response straight to the socket and destroys it; bytes still queued in the
 * writer must go first, as they would have with socket.write.
 */
export function flushBeforeClientError(_err: Error, socket: Socket): void {
  const writer = (socket as HttpSocket)[kWriter]
  if (writer && writer.pendingBytes > 0) writer.flush()
}

/**
 * server.closeIdleConnections() (from server.close() and Fastify's close)
 * destroys every connection whose parser is between requests and whose
 * response is `finished`. Stock bytes of a finished response are already in
 * the kernel by then; ours may still sit in the writer until the end of the
 * tick, so they are written first (what EAGAIN leaves is lost, as stock
 * loses libuv's queue on destroy).
 */
export function flushBeforeCloseIdle(server: http.Server): void {
  const closeIdle = server.closeIdleConnections
  server.closeIdleConnections = function closeIdleAfterFlush(this: http.Server & Record<symbol, { idle(): { socket: HttpSocket }[] } | undefined>) {
    // Node sets its connection list when the server starts listening.
    const kConnections = serverSymbols.connections
    const connections = kConnections === undefined ? undefined : this[kConnections]
    if (connections == null || typeof connections.idle !== 'function') return closeIdle.call(this)
    if (closeIdle !== http.Server.prototype.closeIdleConnections) {
      // A server's own closeIdleConnections runs as it is, after a flush.
      for (const { socket } of connections.idle()) socket[kWriter]?.flush()
      return closeIdle.call(this)
    }
    // Node's loop (lib/_http_server.js), where a response whose bytes the
    // writer still holds counts as unfinished, as a stream body does in stock:
    //   if (socket._httpMessage && !socket._httpMessage.finished) continue;
    //   socket.destroy();
    for (const { socket } of connections.idle()) {
      const writer = socket[kWriter]
      if (writer && writer.pendingBytes > 0) writer.flush()
      if (socket._httpMessage && !socket._httpMessage.finished) continue
      if (writer && writer.pendingBytes > 0) continue
      socket.destroy()
    }
  }
}

/**
 * Node's end(): "Fully uncork connection on end()" (`socket._writableState.corked
 * = 1; socket.uncork()`), then the response's own corks back to none (Node 20:
 * `this[kCorked] = 0`; Node 22 and later: `this[kCorked] = 1; this.uncork()`,
 * which leaves the socket uncorked too).
 */
function uncorkForEnd(res: http.ServerResponse): void {
  const socket = res.socket
  if (socket !== null) while (socket.writableCorked > 0) socket.uncork()
  ;(res as unknown as Record<symbol, number>)[kCorked] = 0
}

/** Is `socket` ready for `res` to write on it now, in order? */
function ownsSocket(res: http.ServerResponse, socket: HttpSocket | null): socket is HttpSocket {
  return socket !== null && socket._httpMessage === res && !socket.destroyed && socket.writable
}

export class VectoredResponse extends http.ServerResponse {
  [kPrev]: VectoredResponse | null;
  [kEarly]: number;
  [kBodyBytes]: number;
  [kHead]: Head | null

  constructor(req: http.IncomingMessage, options?: http.ServerOptions) {
    // @types/node omits the options Node passes (highWaterMark, rejectNonStandardBodyWrites).
    super(...([req, options] as unknown as [http.IncomingMessage]))
    const socket = req.socket as HttpSocket
    this[kPrev] = socket[kNewest] ?? null
    this[kEarly] = 0
    this[kBodyBytes] = 0
    this[kHead] = null
    socket[kNewest] = this
  }

  /**
   * writeHead(statusCode, headers) with a header object on a response
   * without setHeader headers (what Fastify's reply does): the head is
   * core's serializeHead (the same bytes and verdicts as _storeHeader, see
   * docs/head.md), which hands back the head it built before for the same
   * input; then the fields Node's writeHead and _storeHeader set are set
   * from it. Anything less common is Node's writeHead.
   */
  override writeHead(statusCode: number, reason?: unknown, obj?: unknown): this {
    const self = this as unknown as NodeResponse & Record<symbol, unknown>
    const headers = typeof reason === 'string' ? undefined : (obj ?? reason)
    if (!headFromCore || typeof reason === 'string' || typeof statusCode !== 'number' || headers == null || typeof headers !== 'object' ||
      Array.isArray(headers) || self._header !== null || self[kOutHeaders] != null || this.statusMessage ||
      !self._hasBody || self._last || self.chunkedEncoding || (self._expect_continue && !self._sent100) ||
      statusCode < 200 || statusCode > 999 || statusCode === 204 || statusCode === 304 || statusCode !== (statusCode | 0)) {
      return super.writeHead(statusCode, reason as never, obj as never)
    }
    let head: Head
    try {
      head = serializeHead(statusCode, headers as OutgoingHeaders, headOptionsFromResponse(this))
    } catch {
      // Nothing was built nor set: Node's writeHead throws its own error (or, on a Node whose rules differ, accepts).
      return super.writeHead(statusCode, reason as never, obj as never)
    }
    this.statusMessage = http.STATUS_CODES[statusCode] || 'unknown'
    this.statusCode = statusCode
    this.shouldKeepAlive = head.shouldKeepAlive
    self._last = head.last
    self.chunkedEncoding = head.chunked
    if (head.contentLength !== null) self._contentLength = head.contentLength
    self._header = head.text
    self._headerSent = false
    this[kHead] = head
    // _storeHeader: a head with an Expect field goes out at once.
    if (head.expect) self._send('')
    return this
  }

  /**
   * The whole response in one call: Node's end() minus the socket stream.
   * Falls back to Node's end() (whose bytes still reach the writer through
   * _writeRaw) for anything but a stored, unsent, non-chunked head.
   */
  /**
   * A body that contradicts its Content-Length would let the client read
   * handler bytes as the next response (or wait inside a short body): the
   * connection ends instead, with nothing past the announced length written.
   * Stock Node writes such a body as given unless strictContentLength is set,
   * and then throws out of the stream's 'data' handler.
   */
  private contradictsLength(chunk: unknown, encoding: unknown, fromEnd: boolean): boolean {
    const self = this as unknown as NodeResponse
    const length = chunk == null || typeof chunk === 'function' ? 0
      : typeof chunk === 'string' ? Buffer.byteLength(chunk, typeof encoding === 'string' ? encoding as BufferEncoding : 'utf8')
      : (chunk as Bytes).byteLength
    const total = this[kBodyBytes] + length
    this[kBodyBytes] = total
    if (!self._hasBody || self.chunkedEncoding) return false
    const declared = self._header !== null ? self._contentLength : this.declaredLength()
    if (declared == null || this.hasHeader('transfer-encoding')) return false
    return fromEnd ? total !== declared : total > declared
  }

  private declaredLength(): number | null {
    const value = this.getHeader('content-length')
    return value === undefined ? null : Number(value)
  }

  /** Ends the connection: the only signal a client has that a body is not what its head said. */
  private cutConnection(): void {
    const socket = this.socket ?? this.req.socket
    if (socket.destroyed) return // cut already (a write went past the length, then end came)
    counters.lengthMismatches++
    socket.destroy()
  }

  override write(chunk: unknown, encoding?: unknown, callback?: unknown): boolean {
    if (this.contradictsLength(chunk, encoding, false)) {
      this.cutConnection()
      return false
    }
    return super.write(chunk as never, encoding as never, callback as never)
  }

  override end(chunk?: unknown, encoding?: unknown, callback?: unknown): this {
    const self = this as unknown as NodeResponse
    if (!this.writableEnded && this.contradictsLength(chunk, encoding, true)) {
      this.cutConnection()
      return this
    }
    // reply.sendVector's payload: its pieces go out unjoined, or joined for Node.
    const vector = vectorPiecesOf(chunk)
    if (
      // A callback: Node's end() calls it as this line does (Node 24: before 'finish', with an error if any).
      typeof chunk === 'function' || typeof encoding === 'function' || typeof callback === 'function' || this.writableEnded ||
      self._headerSent || self.outputData.length !== 0 || this.strictContentLength ||
      (chunk != null && typeof chunk !== 'string' && !(chunk instanceof Uint8Array))
    ) {
      return this.endStock(chunk, vector, encoding, callback)
    }
    const socket = this.socket as HttpSocket | null
    let writer: SocketWriter | null
    if (ownsSocket(this, socket)) {
      writer = writerFor(socket)
    } else if (socket === null && this.earlyAllowed()) {
      writer = writerFor(this.req.socket)
    } else {
      writer = null
    }
    if (writer === null) {
      if (socket !== null) countFallback((socket as HttpSocket)[kFallback] ?? 'socket not writable')
      return this.endStock(chunk, vector, encoding, callback)
    }
    const body = chunk as string | Bytes | null | undefined
    if (self._header === null) {
      // Node's write_(..., fromEnd): the length of the only chunk is the content-length.
      self._contentLength = body == null ? 0 : typeof body === 'string' ? Buffer.byteLength(body, encoding as BufferEncoding) : body.byteLength
      self._implicitHeader()
    }
    if (self.chunkedEncoding) return this.endStock(chunk, vector, encoding, callback)
    const header = self._header!
    // The head's bytes as serializeHead made them, when this head is its.
    const built = this[kHead]
    const headBytes = built !== null && built.text === header ? built.head : null
    let pieces: Bytes[]
    if (vector !== undefined) {
      pieces = [headBytes ?? Buffer.from(header, 'latin1')]
      if (self._hasBody) for (let i = 0; i < vector.length; i++) pieces.push(vector[i]!)
    } else if (body == null || body.length === 0 || !self._hasBody) {
      pieces = [headBytes ?? Buffer.from(header, 'latin1')]
    } else if (typeof body === 'string') {
      // As Node's _send: a utf8/latin1 string body carries the head in its own encoding.
      const enc = encoding as BufferEncoding | null | undefined
      if (!enc || enc === 'utf8' || enc === 'latin1') {
        pieces = headBytes !== null && (built!.ascii || enc === 'latin1')
          ? [headBytes, Buffer.from(body, enc || 'utf8')]
          : [Buffer.from(header + body, enc || 'utf8')]
      } else {
        pieces = [headBytes ?? Buffer.from(header, 'latin1'), Buffer.from(body, enc)]
      }
    } else {
      pieces = [headBytes ?? Buffer.from(header, 'latin1'), body]
    }
    return this.endWith(writer, pieces)
  }

  /** Node's own end(), with a vector payload joined: Node writes Buffers, not vectors. */
  private endStock(chunk: unknown, vector: Bytes[] | undefined, encoding: unknown, callback: unknown): this {
    return super.end((vector !== undefined ? Buffer.concat(vector) : chunk) as never, encoding as never, callback as never)
  }

  /** Hands the last pieces of this response to the writer and runs Node's end bookkeeping. */
  endWith(writer: SocketWriter, pieces: Bytes[]): this {
    const self = this as unknown as NodeResponse & Record<symbol, unknown>
    self._headerSent = true
    self.finished = true
    uncorkForEnd(this)
    const socket = this.req.socket as HttpSocket
    socket[kHanded] = this
    counters.responses++
    let below: boolean
    if (this.socket === null) {
      this[kEarly] = EARLY_PENDING
      counters.earlyWrites++
      below = writer.write(pieces, (err) => this.onEarlyWritten(err))
    } else {
      below = writer.write(pieces, (err) => {
        if (err === null) this.onWritten()
      })
      this._finishNode()
    }
    if (!below) holdReading(this, socket)
    return this
  }

  /** May this pipelined response (no socket yet) go to the writer now? */
  private earlyAllowed(): boolean {
    const prev = this[kPrev]
    const socket = this.req.socket as HttpSocket
    // Every response before it is in the writer and none closes the connection.
    return prev !== null && socket[kHanded] === prev && !(prev as unknown as NodeResponse)._last &&
      !socket.destroyed && socket.writable
  }

  private onEarlyWritten(err: Error | null): void {
    if (err !== null) return // the writer destroyed the socket; Node emits 'close'
    if (this[kEarly] === EARLY_ASSIGNED) this.onWritten()
    else this[kEarly] = EARLY_WRITTEN
  }

  /** Every byte is in the kernel: Node's onFinish, which runs resOnFinish and Fastify's onResponse. */
  private onWritten(): void {
    this[kEarly] = 0
    this[kPrev] = null
    const socket = this.req.socket as HttpSocket
    if (socket[kNewest] === this) socket[kNewest] = null
    if (socket[kHanded] === this) socket[kHanded] = null
    emitFinish(this)
  }

  private _finishNode(): void {
    (this as unknown as NodeResponse)._finish()
  }

  /** Node calls this from end() and, for a queued pipelined response, from assignSocket -> _flush. */
  _finish(): void {
    (http.ServerResponse.prototype as unknown as NodeResponse)._finish.call(this)
    const early = this[kEarly]
    if (early === EARLY_PENDING) this[kEarly] = EARLY_ASSIGNED
    else if (early === EARLY_WRITTEN) process.nextTick(() => this.onWritten())
  }

  /** Node's _writeRaw: a direct write when this response owns the socket. */
  _writeRaw(data: string | Bytes, encoding?: BufferEncoding | null | Callback, callback?: Callback | null, size?: number): boolean {
    const socket = this.socket as HttpSocket | null
    if (ownsSocket(this, socket)) {
      const writer = writerFor(socket)
      if (writer !== null) {
        if (typeof encoding === 'function') {
          callback = encoding
          encoding = null
        }
        const self = this as unknown as NodeResponse
        if (self.outputData.length !== 0) self._flushOutput(socket)
        return writer.write([toBytes(data, encoding)], callback ?? undefined)
      }
    }
    return (http.ServerResponse.prototype as unknown as NodeResponse)._writeRaw.call(this, data, encoding, callback, size)
  }

  /** Node's _flushOutput: what was queued before the socket was ours, to the writer. */
  _flushOutput(socket: Socket): boolean | undefined {
    const self = this as unknown as NodeResponse & Record<symbol, number>
    const writer = ownsSocket(this, socket as HttpSocket) ? writerFor(socket) : null
    if (writer === null) return (http.ServerResponse.prototype as unknown as NodeResponse)._flushOutput.call(this, socket)
    if (corksMovedBy === 'flushOutput') {
      while (self[kCorked]! > 0) {
        self[kCorked]!--
        socket.cork()
      }
    }
    const output = self.outputData
    if (output.length === 0) return undefined
    let ret: boolean | undefined
    let pieces: Bytes[] = []
    for (let i = 0; i < output.length; i++) {
      const { data, encoding, callback } = output[i]!
      pieces.push(toBytes(data, encoding))
      if (callback !== null) {
        ret = writer.write(pieces, callback)
        pieces = []
      }
    }
    if (pieces.length !== 0) ret = writer.write(pieces)
    self.outputData = []
    self._onPendingData(-self.outputSize)
    self.outputSize = 0
    return ret
  }

  /** Node 24's uncork flushes the chunks it held while corked: they may now be in the writer. */
  override uncork(): void {
    super.uncork()
    drainIfEmpty(this)
  }

  /** Readable.pipe(res) announces itself with 'pipe' before the first read: files go by sendfile. */
  override emit(event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'pipe' && args[0] instanceof fs.ReadStream) this.takeFile(args[0])
    return super.emit(event, ...args)
  }

  /**
   * Sends an fs.ReadStream's path and range with sendfile instead of reading
   * it: the stream is unpiped and parked (its _read only notes the request),
   * and ends without data once the file is queued, so whoever watches it
   * (Fastify's eos) sees a clean end. Any doubt: it is piped back, stock.
   */
  private takeFile(src: fs.ReadStream): void {
    const self = this as unknown as NodeResponse
    const socket = this.socket as HttpSocket | null
    if (!isUnreadFileStream(src) || self._header !== null || !ownsSocket(this, socket) ||
      this.hasHeader('trailer') || this.hasHeader('transfer-encoding')) return
    const writer = writerFor(socket)
    if (writer === null || !writer.canSendFile) return
    // A declared Content-Length is taken as the length (checkDeclared false), as Node frames it.
    takeFileStream(src, this, this.getHeader('content-length'), false,
      (fd, offset, length, giveBack) => this.sendFileBody(src, writer, fd, offset, length, giveBack))
  }

  private sendFileBody(src: fs.ReadStream, writer: SocketWriter, fd: number, offset: number, length: number,
    giveBack: (fd: number | null) => void): void {
    const self = this as unknown as NodeResponse & Record<symbol, unknown>
    const socket = this.socket as HttpSocket | null
    if (!Number.isSafeInteger(length) || length < 0 || self._header !== null || this.writableEnded || !ownsSocket(this, socket)) {
      return giveBack(fd)
    }
    self._implicitHeader() // stock framing: Content-Length if declared, else chunked (or close on HTTP/1.0)
    const head = Buffer.from(self._header!, 'latin1')
    self._headerSent = true
    self.finished = true
    uncorkForEnd(this)
    socket[kHanded] = this
    counters.responses++
    counters.files++
    // 'finish' only after both the bytes are in the kernel and the stream has ended.
    let waiting = 2
    const step = (err?: Error | null) => {
      if (err) return
      if (--waiting === 0) this.onWritten()
    }
    const written = (err: Error | null) => {
      fs.close(fd, noop)
      step(err)
    }
    if (!self._hasBody || length === 0) {
      writer.write(self.chunkedEncoding && self._hasBody ? [head, Buffer.from('0\r\n\r\n', 'latin1')] : [head], written)
    } else if (self.chunkedEncoding) {
      // One chunk for the whole file (stock sends one per 64 KiB read): see docs/plugin.md.
      writer.sendFile([head, Buffer.from(length.toString(16) + '\r\n', 'latin1')], fd, offset, length)
      writer.write([Buffer.from('\r\n0\r\n\r\n', 'latin1')], written)
    } else {
      writer.sendFile([head], fd, offset, length, written)
    }
    if (writer.needDrain) holdReading(this, socket!)
    this._finishNode()
    endFileStream(src, step)
  }

}

/** The methods above that replace node:http's. */
const OVERRIDES = ['writeHead', 'write', 'end', '_finish', '_writeRaw', '_flushOutput', 'uncork', 'emit'] as const

// Accessors over Node's prototype properties (TypeScript types them as fields).
const ACCESSORS: PropertyDescriptorMap = {
  /** Node's count (its queue, its corked chunks, the socket's); bytes in the writer are just as unsent. */
  writableLength: {
    get(this: VectoredResponse): number {
      const socket = this.socket as HttpSocket | null
      const writer = socket === null ? undefined : socket[kWriter]
      return nodeWritableLength!.call(this) + (writer ? writer.pendingBytes : 0)
    },
  },
  writableFinished: {
    get(this: VectoredResponse): boolean {
      return this.writableEnded && this.writableLength === 0 && this[kEarly] === 0
    },
  },
}

if (responseMissing === '') {
  Object.defineProperties(VectoredResponse.prototype, ACCESSORS)
} else {
  // This Node lacks something the overrides use: VectoredResponse is node:http's
  // ServerResponse in every respect (and the plugin does not install it).
  for (const name of OVERRIDES) delete (VectoredResponse.prototype as unknown as Record<string, unknown>)[name]
}
