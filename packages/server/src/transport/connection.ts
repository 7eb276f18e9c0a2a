/**
 * One HTTP/1.1 connection: Node's llhttp parser reads the socket natively
 * (consume), each parsed request becomes a request/response pair, and the
 * responses reach the socket through one SocketWriter in request order
 * (pipelined responses written in the same tick share one writev).
 * The state machine mirrors lib/_http_server.js (connectionListenerInternal,
 * parserOnIncoming, resOnFinish, socketOnError, onParserExecuteCommon) of
 * Node 20 to 26; where the lines differ, it reads what the running line's
 * server has (docs/transport.md, docs/node-internals.md).
 */
import type { Socket } from 'node:net'
import { SocketWriter, lenientFlags, type WriteCallback } from '@vectored/core'
import {
  HTTPParser,
  PARSE_ON,
  PARSE_UPGRADE,
  allMethods,
  allocParser,
  clientErrorResponse,
  freeParser,
  kOnBody,
  kOnExecute,
  kOnHeaders,
  kOnHeadersComplete,
  kOnMessageBegin,
  kOnMessageComplete,
  kOnTimeout,
  prepareError,
  type NodeParser,
} from './parser'
import { BodyRequest, EmptyRequest, buildHeaders, type RequestOwner, type TransportRequest } from './request'
import { TransportResponse, type ResponseOwner } from './response'
import { counters } from '../stats'
import type { ConnectionHost, ConnectionPool } from './connection-pool'
import { lineHasShouldUpgradeCallback, lineServerBehaviour } from './line-options'
import { requestStart } from './diagnostics-channels'
import { UpgradeStream } from './upgrade-stream'

type OwnedParser = NodeParser & { owner: Connection }
type StreamHandle = { isStreamBase?: boolean; _consumed?: boolean; reading?: boolean; readStart(): number; readStop(): number }

const CONTINUE_RE = /(?:^|\W)100-continue(?:$|\W)/i

function noop(): void {}

// The socket's Connection, for the socket listeners below: shared functions
// with `this` the socket, not five closures made per connection.
const kConnection = Symbol('vectored.Connection')
type OwnedSocket = Socket & { [kConnection]?: Connection | null }
const EMPTY = Buffer.alloc(0)

// Parser callbacks: `this` is the parser (node_http_parser.cc calls them on it).
function onHeaders(this: OwnedParser, headers: string[], url: string): void {
  // Headers split over several reads, or trailers: collected until complete.
  this.owner.collectHeaders(headers, url)
}
function onHeadersComplete(
  this: OwnedParser,
  major: number,
  minor: number,
  headers: string[] | undefined,
  method: number,
  url: string | undefined,
  _status: unknown,
  _message: unknown,
  upgrade: boolean,
  keepAlive: boolean
): number {
  return this.owner.onRequest(major, minor, headers, method, url, upgrade, keepAlive)
}
function onBody(this: OwnedParser, chunk: Buffer): void {
  this.owner.onBody(chunk)
}
function onMessageComplete(this: OwnedParser): void {
  this.owner.onMessageComplete()
}
function onExecute(this: OwnedParser, ret: number | Error): void {
  this.owner.onExecute(ret)
}

export class Connection implements RequestOwner, ResponseOwner {
  readonly socket: Socket
  readonly server: ConnectionHost
  readonly pool: ConnectionPool
  readonly writer: SocketWriter
  parser: OwnedParser | null
  /** When the connection went idle after a response (the server's coarse clock), 0 while busy or before the first request. */
  idleSince = 0
  /** Responses in request order; the first is the one writing. */
  private readonly responses: TransportResponse[] = []
  /** The request whose body the parser is reading. */
  private current: TransportRequest | null = null
  private upgradeRequest: TransportRequest | null = null
  /** What 'upgrade' got while the upgraded request's body was still read (Node 26), see handUpgrade. */
  private upgradeStream: UpgradeStream | null = null
  private pendingHeaders: string[] = []
  private pendingUrl = ''
  private requestsCount = 0
  private consumed = false
  /** Reading stopped because a body consumer is full / because responses are not going out. */
  private bodyPaused = false
  private outputPaused = false
  private failed = false
  private static socketOnData(this: OwnedSocket, data: Buffer): void {
    const conn = this[kConnection]
    if (conn) conn.onExecute(conn.parser!.execute(data), data)
  }
  private static socketOnTimeout(this: OwnedSocket): void { this[kConnection]?.onTimeout() }
  private static socketOnError(this: OwnedSocket, err: Error): void { this[kConnection]?.onSocketError(err) }
  private static socketOnEnd(this: OwnedSocket): void { this[kConnection]?.onSocketEnd() }
  private static socketOnClose(this: OwnedSocket): void { this[kConnection]?.onSocketClose() }

  constructor(pool: ConnectionPool, socket: Socket) {
    const server = pool.server
    this.pool = pool
    this.server = server
    this.socket = socket
    this.writer = SocketWriter.of(socket)
    this.writer.on('drain', () => this.onWriterDrain())
    const parser = allocParser() as OwnedParser
    const resource = { type: 'HTTPINCOMINGMESSAGE', socket }
    const flags = lenientFlags(server.httpValidation, server.insecureHTTPParser)
    // In the pool's ConnectionsList, as node:http's parsers are in their
    // server's: the list keeps each message's start and whether its headers
    // are complete, which the pool's sweep and closeIdle ask it for.
    // Initialized with a list, the clock starts now: a connection that sends
    // nothing meets headersTimeout.
    parser.initialize(HTTPParser.REQUEST, resource, server.maxHeaderSize || 0, flags, pool.connections)
    parser.owner = this
    // Every slot set, unused ones to null: node_http_parser.cc reads
    // kOnMessageBegin on every message with v8::Object::Get, and on a new
    // parser's hole that lookup walks the prototype chain.
    parser[kOnMessageBegin] = null
    parser[kOnHeaders] = onHeaders
    parser[kOnHeadersComplete] = onHeadersComplete
    parser[kOnBody] = onBody
    parser[kOnMessageComplete] = null // set while a request with a body is read (onRequest)
    parser[kOnExecute] = onExecute
    parser[kOnTimeout] = null
    this.parser = parser
    if (server.timeout > 0) socket.setTimeout(server.timeout)
    ;(socket as OwnedSocket)[kConnection] = this
    socket.on('timeout', Connection.socketOnTimeout)
    socket.on('error', Connection.socketOnError)
    socket.on('end', Connection.socketOnEnd)
    socket.on('close', Connection.socketOnClose)
    const handle = (socket as unknown as { _handle: StreamHandle | null })._handle
    if (handle !== null && handle.isStreamBase === true && handle._consumed !== true &&
      typeof handle.readStart === 'function' && typeof handle.readStop === 'function') {
      // The parser reads the handle itself: no 'data' events, no JS Buffer per read.
      handle._consumed = true
      this.consumed = true
      parser.consume(handle)
    } else {
      socket.on('data', Connection.socketOnData)
    }
  }

  get keepAliveTimeout(): number {
    return this.server.keepAliveTimeout
  }
  get maxRequestsPerSocket(): number {
    return this.server.maxRequestsPerSocket
  }
  get uniqueHeaders(): ReadonlySet<string> | null {
    return this.pool.uniqueHeaders
  }
  /**
   * The last response made, if any. Not responses[length - 1] on an empty
   * array: index -1 is a property lookup V8 sends to its runtime (perf:
   * 1.4% of the server's samples when onRequest did it per request).
   */
  private get newest(): TransportResponse | undefined {
    const responses = this.responses
    return responses.length === 0 ? undefined : responses[responses.length - 1]
  }

  /**
   * node:http's closeIdleConnections for this connection, which the pool
   * calls for each parser its ConnectionsList reports idle (no request being
   * received; lib/_http_server.js): destroyed unless socket._httpMessage,
   * the first response whose 'finish' has not come, has not ended. Node writes a response as it ends; the bytes of
   * ended responses still in the writer's batch go out first here, so the
   * same response is the one checked. If the peer is not reading them,
   * the socket is destroyed once they are written rather than cut short.
   */
  closeIfIdle(): void {
    const writer = this.writer
    if (writer.pendingBytes > 0) writer.flush()
    const first = this.responses[0]
    if (first !== undefined && !first.finished) return
    this.whenWritten(() => this.socket.destroy())
  }

  // ---- parsing ----

  collectHeaders(headers: string[], url: string): void {
    const max = this.pool.maxHeaderPairs
    if (max <= 0 || this.pendingHeaders.length < max) for (const h of headers) this.pendingHeaders.push(h)
    this.pendingUrl += url
  }

  onRequest(major: number, minor: number, raw: string[] | undefined, methodIndex: number, url: string | undefined, upgrade: boolean, keepAlive: boolean): number {
    if (this.failed) return PARSE_ON // the connection is being failed (timeout): nothing more is served
    if (raw === undefined) {
      raw = this.pendingHeaders
      this.pendingHeaders = []
    }
    if (url === undefined) {
      url = this.pendingUrl
      this.pendingUrl = ''
    }
    const max = this.pool.maxHeaderPairs
    if (max > 0 && raw.length > max) raw = raw.slice(0, max)
    const method = allMethods[methodIndex]!
    const server = this.server
    const join = server.joinDuplicateHeaders === true
    const headers = buildHeaders(raw, join)
    const te = headers['transfer-encoding']
    const cl = headers['content-length']
    const hasBody = te !== undefined || (cl !== undefined && cl !== '0')
    const parser = this.parser!
    let req: TransportRequest
    if (upgrade) {
      // Node 26 reads an upgraded request's body into it and emits 'upgrade'
      // at once (an UpgradeStream: handUpgrade); before, the parser stops at
      // the head and the body is the upgraded stream's first bytes.
      const readBody = hasBody && method !== 'CONNECT' && lineServerBehaviour.upgradeWithBody
      req = readBody
        ? new BodyRequest(this, method, url, major, minor, raw, join, headers)
        : new EmptyRequest(this.socket, method, url, major, minor, raw, join, headers)
      if (method === 'CONNECT' || this.shouldUpgrade(req)) {
        req.upgrade = true
        this.upgradeRequest = req
        if (!readBody) {
          req.complete = true
          return PARSE_UPGRADE
        }
        this.current = req
        if (parser[kOnMessageComplete] === null) parser[kOnMessageComplete] = onMessageComplete
        return PARSE_ON
      }
    }
    if (method === 'PRI') {
      // An HTTP/2 preface on an HTTP/1 server (Node destroys the socket too).
      this.upgradeRequest = null
      this.failed = true
      this.socket.destroy()
      return PARSE_UPGRADE
    }
    if (this.idleSince !== 0 && server.timeout > 0) this.socket.setTimeout(server.timeout)
    this.idleSince = 0
    req = hasBody
      ? new BodyRequest(this, method, url, major, minor, raw, join, headers)
      : new EmptyRequest(this.socket, method, url, major, minor, raw, join, headers)
    this.current = req
    // A message without a body completes as soon as this callback returns
    // (llhttp calls on_message_complete next, with no byte in between), and
    // node_http_parser.cc calls no JS for it when kOnMessageComplete is not a
    // function: such a request is completed here, after 'request', in
    // Node's order, and the parser makes one call into JS per request
    // instead of two. The callback is set only while bodies are read.
    if (hasBody !== (parser[kOnMessageComplete] !== null)) parser[kOnMessageComplete] = hasBody ? onMessageComplete : null
    // optimizeEmptyRequests (Node 24+): no body header at all (Content-Length: 0 is one) reads as ended and closed.
    const ret = this.dispatch(req, major, minor, keepAlive, te === undefined && cl === undefined && this.pool.optimizeEmptyRequests)
    if (!hasBody) {
      if (this.current === req) this.current = null
      req.complete = true
    }
    return ret
  }

  /**
   * Whether an Upgrade request goes to 'upgrade': the server's
   * shouldUpgradeCallback (Node 22 and later, default: an 'upgrade' listener
   * exists), else, as Node 20, whether an 'upgrade' listener exists.
   */
  private shouldUpgrade(req: TransportRequest): boolean {
    const server = this.server
    return lineHasShouldUpgradeCallback && typeof server.shouldUpgradeCallback === 'function' ? !!server.shouldUpgradeCallback(req) : server.listenerCount('upgrade') > 0
  }

  /** The response, then lib/_http_server.js parserOnIncoming's checks, then 'request'. */
  private dispatch(req: TransportRequest, major: number, minor: number, keepAlive: boolean, dumpEmpty: boolean): number {
    const server = this.server
    const res = new TransportResponse(this, req, keepAlive)
    const responses = this.responses
    const prev = this.newest
    responses.push(res)
    // Writes at once when every earlier response has handed over all its bytes.
    if (prev === undefined) res.active = true
    else if (prev.active && prev.finished && !prev._last) {
      // Written behind the bytes of the one before, which may still be in the writer.
      res.active = true
      prev.followedNow()
      counters.earlyWrites++
    } else if (!this.outputPaused && (this.writer.needDrain || this.responses.length > 64)) this.pauseOutput()
    // parserOnIncoming's order: the channel, then optimizeEmptyRequests, then the checks and 'request'.
    if (requestStart.hasSubscribers) requestStart.publish({ request: req, response: res, socket: this.socket, server })
    if (dumpEmpty) (req as EmptyRequest).dumpAndClose()

    // lib/_http_server.js parserOnIncoming, after the response is made.
    if (major === 1 && minor === 1) {
      if (server.requireHostHeader && req.headers.host === undefined) {
        res.writeHead(400, ['Connection', 'close'])
        res.end()
        return PARSE_ON
      }
      const limit = server.maxRequestsPerSocket
      if (limit > 0) {
        this.requestsCount++
        res.maxRequestsOnConnectionReached = limit <= this.requestsCount
        if (limit < this.requestsCount) {
          server.emit('dropRequest', req, this.socket)
          res.writeHead(503)
          res.end()
          return PARSE_ON
        }
      }
      const expect = req.headers.expect
      if (expect !== undefined) {
        if (CONTINUE_RE.test(expect as string)) {
          res._expect_continue = true
          if (server.listenerCount('checkContinue') > 0) {
            server.emit('checkContinue', req, res)
          } else {
            res.writeContinue()
            server.emit('request', req, res)
          }
        } else if (server.listenerCount('checkExpectation') > 0) {
          server.emit('checkExpectation', req, res)
        } else {
          res.writeHead(417)
          res.end()
        }
        return PARSE_ON
      }
    }
    server.emit('request', req, res)
    return PARSE_ON
  }

  onBody(chunk: Buffer): void {
    const req = this.current
    if (req === null || !req.hasBody || this.failed) return
    const body = req as BodyRequest
    if (body.destroyed) return
    if (!body.pushBody(chunk) && !this.bodyPaused) {
      this.bodyPaused = true
      this.updateReading()
    }
  }

  onMessageComplete(): void {
    const req = this.current
    this.current = null
    if (req === null) return
    let trailers: string[] | null = null
    if (this.pendingHeaders.length > 0) {
      trailers = this.pendingHeaders
      this.pendingHeaders = []
      this.pendingUrl = ''
    }
    if (req.hasBody) (req as BodyRequest).endBody(trailers)
    else req.complete = true
    if (this.bodyPaused) {
      // As Node's parserOnMessageComplete: read the next message.
      this.bodyPaused = false
      this.updateReading()
    }
  }

  onExecute(ret: number | Error, data?: Buffer): void {
    if (this.server.timeout > 0) (this.socket as unknown as { _unrefTimer(): void })._unrefTimer()
    // Bytes read refresh the keep-alive deadline, as they refresh the socket
    // timer node:http arms for it, until a request's head completes (onRequest).
    if (this.idleSince !== 0) this.idleSince = this.pool.clock
    if (typeof ret !== 'number') {
      this.parseError(ret as Error & { code?: string })
    } else if (this.upgradeRequest !== null) {
      this.handUpgrade(ret, data)
    }
  }

  /** A request the parser refused (Node's socketOnError): 'clientError', or 400/408/413/431 and close. */
  private parseError(err: Error & { code?: string }): void {
    if (this.failed) return
    this.failed = true
    if (this.parser !== null) prepareError(err, this.parser)
    // Reading goes on (as in Node): the client's FIN must still be seen, or a
    // handler that only ends its side would leave the connection half open.
    this.clientError(err)
  }

  private clientError(err: Error & { code?: string }): void {
    const socket = this.socket
    // Bytes of earlier responses go out first, as they would have with socket.write.
    if (this.writer.pendingBytes > 0) {
      this.writer.write([], () => this.clientError(err))
      return
    }
    if (socket.listenerCount('error') === 0) socket.on('error', noop)
    if (!this.server.emit('clientError', err, socket)) {
      const active = this.responses[0]
      if (socket.writable && (active === undefined || !active.headersSent)) socket.write(clientErrorResponse(err.code))
      socket.destroy(err)
    }
  }

  /**
   * Upgrade or CONNECT: the socket leaves this transport with the bytes
   * after the head (after the body, for a request whose body the parser
   * reads: onParserExecuteCommon of Node 26, which emits 'upgrade' with an
   * UpgradeStream while the body is still coming, and hands that stream the
   * bytes after it once the body is complete).
   */
  private handUpgrade(ret: number, data?: Buffer): void {
    const req = this.upgradeRequest!
    const socket = this.socket
    const event = req.method === 'CONNECT' ? 'connect' : 'upgrade'
    const server = this.server
    if (!req.complete) {
      if (this.upgradeStream !== null) return // emitted already: the body is still being read
      const stream = (this.upgradeStream = new UpgradeStream(socket, req as BodyRequest))
      if (server.listenerCount(event) > 0) {
        ;(socket as unknown as { readableFlowing: boolean | null }).readableFlowing = null
        server.emit(event, req, stream, EMPTY)
      } else {
        socket.destroy()
      }
      return
    }
    this.upgradeRequest = null
    const parser = this.parser!
    const buffer = data ?? parser.getCurrentBuffer()
    // Earlier responses' bytes still in the writer's batch go first: the application writes on the socket itself now.
    this.writer.flush()
    this.detach()
    if (server.listenerCount(event) > 0) {
      const head = buffer.subarray(ret)
      if (this.upgradeStream !== null) {
        this.upgradeStream.requestBodyCompleted(head)
      } else {
        ;(socket as unknown as { readableFlowing: boolean | null }).readableFlowing = null
        server.emit(event, req, socket, head)
      }
    } else {
      socket.destroy()
    }
  }

  /** Hands the socket back to its owner (upgrade): no more parsing, no more listeners of ours. */
  private detach(): void {
    const parser = this.parser
    if (parser === null) return
    this.parser = null
    // Only this connection's listeners, as node:http removes only its own:
    // the application's (and an UpgradeStream's) stay.
    const socket = this.socket
    socket.removeListener('timeout', Connection.socketOnTimeout)
    socket.removeListener('end', Connection.socketOnEnd)
    socket.removeListener('close', Connection.socketOnClose)
    socket.removeListener('error', Connection.socketOnError)
    socket.removeListener('error', noop)
    socket.removeListener('data', Connection.socketOnData)
    ;(socket as OwnedSocket)[kConnection] = null
    if (this.consumed) {
      ;(socket as unknown as { _handle: StreamHandle | null })._handle!._consumed = false
    }
    parser.finish()
    freeParser(parser, this.consumed)
    this.consumed = false
    this.pool.forget(this)
  }

  // ---- output ----

  write(pieces: Uint8Array[], done?: WriteCallback): boolean {
    return this.writer.write(pieces, done)
  }

  /**
   * The last bytes of a response: written with every other connection's
   * after this poll phase (SocketWriter.writeBatched), behind whatever this
   * connection queued before them.
   */
  writeEnd(pieces: Uint8Array[], done: WriteCallback): boolean {
    return this.writer.writeBatched(pieces, done)
  }

  get canSendFile(): boolean {
    return this.writer.canSendFile
  }

  sendFile(head: Uint8Array[], fd: number, offset: number, length: number, done: WriteCallback): boolean {
    return this.writer.sendFile(head, fd, offset, length, done)
  }

  /**
   * The writing response ended: the next ones write behind it now, so
   * pipelined responses that are ready go out in the same writev. Not after
   * a response that closes the connection (Node drops those).
   */
  responseEnded(res: TransportResponse): void {
    const responses = this.responses
    let i = responses.indexOf(res)
    if (i < 0 || res._last) return
    let before = res
    while (++i < responses.length) {
      const next = responses[i]!
      if (!next.active) {
        before.followedNow()
        next.activate()
        counters.earlyWrites++
        if (!next.finished || next._last) break
      }
      before = next
    }
  }

  /** The last byte of `res` is in the kernel, or writing it failed. */
  responseDone(res: TransportResponse, err: Error | null): void {
    const responses = this.responses
    // A failed write: the writer destroyed the socket, and onSocketClose
    // finishes the rest, this response too: it still holds the socket, as
    // node:http's does when 'finish' never came, so it gets 'close' and its
    // request is aborted.
    if (err !== null) {
      res.endFailed(err)
      return
    }
    if (responses[0] === res) responses.shift()
    res.emitFinish()
    if (res._last) {
      ;(this.socket as Socket & { destroySoon(): void }).destroySoon()
      return
    }
    if (responses.length === 0) {
      // Idle: the keep-alive deadline runs (the server's sweep), not server.timeout (as Node's resOnFinish).
      this.idleSince = this.pool.clock
      if (this.server.timeout > 0) this.socket.setTimeout(0)
    }
    if (this.outputPaused && !this.failed && !this.writer.needDrain && responses.length <= 64) {
      this.outputPaused = false
      this.updateReading()
    }
  }

  /**
   * node:http's socket._httpMessage === res: every earlier response has
   * emitted 'finish'. Theirs come after their bytes are in the kernel; ours
   * may wait for the writer's batch, so an earlier response counts as
   * finished once it ended in an earlier synchronous run.
   */
  holdsSocket(res: TransportResponse): boolean {
    const responses = this.responses
    for (let i = 0; i < responses.length; i++) {
      const r = responses[i]!
      if (r === res) return true
      if (!r.finished || r.endedThisRun) return false
    }
    return false
  }

  private onWriterDrain(): void {
    for (const res of this.responses) {
      if (!res.finished) {
        if (res.active) res.drained()
        break
      }
    }
    if (this.outputPaused && !this.failed && this.responses.length <= 64) {
      this.outputPaused = false
      this.updateReading()
    }
  }

  private pauseOutput(): void {
    this.outputPaused = true
    this.updateReading()
  }

  // ---- reading ----

  resumeReading(): void {
    if (this.bodyPaused) {
      this.bodyPaused = false
      this.updateReading()
    }
  }

  private updateReading(): void {
    const handle = (this.socket as unknown as { _handle: StreamHandle | null })._handle
    if (handle === null || this.parser === null) return
    const want = !this.bodyPaused && !this.outputPaused
    if (this.consumed) {
      if (want && !handle.reading) {
        handle.reading = true
        handle.readStart()
      } else if (!want && handle.reading) {
        handle.reading = false
        handle.readStop()
      }
    } else if (want) {
      this.socket.resume()
    } else {
      this.socket.pause()
    }
  }

  // ---- timeouts and the end of the connection ----

  /** server.timeout (Fastify's connectionTimeout) went off: Node's socketOnTimeout. */
  private onTimeout(): void {
    const req = this.current
    const reqTimeout = req !== null && !req.complete && req.emit('timeout', this.socket)
    const res = this.responses[0]
    const resTimeout = res !== undefined && res.emit('timeout', this.socket)
    const serverTimeout = this.server.emit('timeout', this.socket)
    if (!reqTimeout && !resTimeout && !serverTimeout) this.socket.destroy()
  }

  /**
   * headersTimeout or requestTimeout went by (the pool's ConnectionsList
   * reported this parser expired): node:http's onRequestTimeout, a client
   * error ERR_HTTP_REQUEST_TIMEOUT (408 and close without a listener).
   */
  requestTimedOut(): void {
    if (this.parser === null || this.failed) return
    this.failed = true
    this.clientError(Object.assign(new Error('Request timeout'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' }))
  }

  /** Checked by the pool's keep-alive sweep: idle for keepAliveMs since the last response. */
  checkKeepAlive(now: number, keepAliveMs: number): void {
    if (this.parser === null || this.failed) return
    if (this.idleSince > 0 && this.responses.length === 0 && now - this.idleSince >= keepAliveMs) {
      if (!this.server.emit('timeout', this.socket)) this.socket.destroy()
    }
  }

  private onSocketError(err: Error): void {
    if (this.failed) return
    this.failed = true
    if (!this.server.emit('clientError', err, this.socket)) this.socket.destroy(err)
  }

  /** The client finished sending (FIN). */
  private onSocketEnd(): void {
    const parser = this.parser
    // After a client error, whoever handled it ends or destroys the socket (as in Node).
    if (parser === null || this.failed) return
    const ret = parser.finish()
    if (ret instanceof Error) {
      this.parseError(ret)
      return
    }
    // As Node (httpAllowHalfOpen false by default): the client's FIN ends the
    // connection; responses still owed are dropped and their requests aborted.
    // With httpAllowHalfOpen, they go out and the connection closes after them.
    const last = this.newest
    if (this.server.httpAllowHalfOpen && last !== undefined) last._last = true
    else this.whenWritten(() => this.socket.end())
  }

  /** `fn` once the bytes already handed to the writer are in the kernel (or writing them failed); now if there are none. */
  private whenWritten(fn: () => void): void {
    if (this.writer.pendingBytes > 0) this.writer.write([], fn)
    else fn()
  }

  private onSocketClose(): void {
    const parser = this.parser
    if (parser !== null) {
      this.parser = null
      freeParser(parser, this.consumed)
      this.consumed = false
    }
    this.pool.forget(this)
    const responses = this.responses.splice(0)
    const current = this.current
    this.current = null
    // As Node's socketOnClose: every request still owed a response is aborted;
    // the response that holds the socket (Node's socket._httpMessage, our
    // first) emits 'close', the ones queued behind it as the line does
    // (TransportResponse.emitAbort). An upgraded request whose body was being
    // read (Node 26) has no response and is not aborted, as in Node.
    for (let i = 0; i < responses.length; i++) {
      const res = responses[i]!
      ;(res.req as EmptyRequest | BodyRequest).abort()
      res.emitAbort(i === 0)
    }
    if (current !== null && current !== this.upgradeRequest && (responses.length === 0 || responses[responses.length - 1]!.req !== current)) {
      ;(current as EmptyRequest | BodyRequest).abort()
    }
  }

  destroy(): void {
    this.socket.destroy()
  }
}
