/**
 * What vectored takes from Node that Node does not document, looked up once,
 * here, when the module loads. Nothing else in the project reaches for a
 * private module, binding method or symbol: it imports the names below and
 * checks the probe's verdict before it relies on them. When a Node line
 * lacks something (a method Node removed, a symbol it renamed), the verdict
 * says what, and the caller takes a path that still holds (node:http's own
 * connections, or the stock response) instead of throwing later from a
 * timer or a callback. docs/node-internals.md lists each thing, why it is
 * used, and where each Node line defines it.
 */
import { EventEmitter } from 'node:events'
import * as http from 'node:http'
import * as net from 'node:net'

/** The methods of Node's HTTPParser binding that the transport calls (src/node_http_parser.cc). */
export interface NodeParser {
  initialize(type: number, resource: object, maxHeaderSize: number, lenient: number, connections?: ConnectionsList): void
  consume(handle: unknown): void
  unconsume(): void
  execute(data: Buffer): number | Error
  finish(): number | Error | undefined
  pause(): void
  resume(): void
  remove(): void
  free(): void
  close(): void
  getCurrentBuffer(): Buffer
  [slot: number]: unknown
}

export interface HTTPParserClass {
  new (): NodeParser
  REQUEST: number
  kOnMessageBegin: number
  kOnHeaders: number
  kOnHeadersComplete: number
  kOnBody: number
  kOnMessageComplete: number
  kOnExecute: number
  kOnTimeout: number
  kLenientNone: number
  kLenientAll: number
}

/**
 * node:http's ConnectionsList (src/node_http_parser.cc): the parsers
 * initialized with it, ordered by the start of their current message. It is
 * the only place where Node 22 and later expose when a parser's message
 * began and whether its headers are complete (Node 20's parser.duration()
 * and headersCompleted() are gone), so node:http's own sweep asks it.
 */
export interface ConnectionsList {
  all(): NodeParser[]
  /** Parsers between messages (last_message_start_ == 0). */
  idle(): NodeParser[]
  active(): NodeParser[]
  /** Parsers past a deadline (ms; 0 = none), taken out of the active set. */
  expired(headersTimeout: number, requestTimeout: number): NodeParser[]
}

type Missing = string[]

const PARSER_METHODS = ['initialize', 'consume', 'unconsume', 'execute', 'finish', 'pause', 'resume', 'remove', 'free', 'close', 'getCurrentBuffer'] as const
const PARSER_CONSTANTS = ['REQUEST', 'kOnMessageBegin', 'kOnHeaders', 'kOnHeadersComplete', 'kOnBody', 'kOnMessageComplete', 'kOnExecute', 'kOnTimeout', 'kLenientNone', 'kLenientAll'] as const
const LIST_METHODS = ['all', 'idle', 'active', 'expired'] as const

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

/** The own symbol of `object` with this description, if any. */
export function ownSymbol(object: object, description: string): symbol | undefined {
  return Object.getOwnPropertySymbols(object).find((s) => s.description === description)
}

/** The first symbol with this description on the object or its prototype chain, or null. */
export function chainSymbol(object: object, description: string): symbol | null {
  for (let o: object | null = object; o !== null; o = Object.getPrototypeOf(o)) {
    const found = ownSymbol(o, description)
    if (found !== undefined) return found
  }
  return null
}

/** `_http_common`'s HTTPParser, if it has every method and constant the transport uses. */
export function findHTTPParser(missing: Missing, load: () => unknown = () => require('_http_common')): HTTPParserClass | null {
  let Parser: HTTPParserClass | undefined
  try {
    Parser = (load() as { HTTPParser?: HTTPParserClass }).HTTPParser
  } catch (err) {
    missing.push(`the _http_common module (${describe(err)})`)
    return null
  }
  if (typeof Parser !== 'function') {
    missing.push('_http_common.HTTPParser')
    return null
  }
  const before = missing.length
  for (const name of PARSER_METHODS) if (typeof (Parser.prototype as Record<string, unknown>)[name] !== 'function') missing.push(`HTTPParser.prototype.${name}()`)
  for (const name of PARSER_CONSTANTS) if (typeof Parser[name] !== 'number') missing.push(`HTTPParser.${name}`)
  return missing.length === before ? Parser : null
}

/**
 * The ConnectionsList class. No module exports it without a deprecation
 * warning, so it is taken from a server that never listens: node:http makes
 * the list in its 'listening' handler (setupConnectionsTracking), whose
 * sweep interval is cleared at once.
 */
export function findConnectionsList(missing: Missing, createServer: () => http.Server = () => http.createServer()): (new () => ConnectionsList) | null {
  let list: ConnectionsList | undefined
  try {
    const probe = createServer() as http.Server & Record<symbol, unknown>
    probe.emit('listening')
    const kInterval = ownSymbol(probe, 'http.server.connectionsCheckingInterval')
    if (kInterval !== undefined) clearInterval(probe[kInterval] as NodeJS.Timeout)
    const kConnections = ownSymbol(probe, 'http.server.connections')
    list = kConnections === undefined ? undefined : (probe[kConnections] as ConnectionsList | undefined)
  } catch (err) {
    missing.push(`a listening http.Server's ConnectionsList (${describe(err)})`)
    return null
  }
  if (list === undefined || list === null || typeof list !== 'object') {
    missing.push("http.Server's Symbol('http.server.connections') (its ConnectionsList)")
    return null
  }
  const before = missing.length
  for (const name of LIST_METHODS) if (typeof (list as unknown as Record<string, unknown>)[name] !== 'function') missing.push(`ConnectionsList.prototype.${name}()`)
  return missing.length === before ? (list.constructor as new () => ConnectionsList) : null
}

/**
 * A real parse through both: a request split in two reads must be active
 * after the first and idle after the second, with the parser calling back
 * with the request's method and url. Catches a parser or list that kept its
 * names but changed what they do.
 */
export function checkParse(Parser: HTTPParserClass, List: new () => ConnectionsList, missing: Missing): void {
  const list = new List()
  const parser = new Parser()
  let seen = ''
  try {
    parser.initialize(Parser.REQUEST, {}, 0, Parser.kLenientNone, list)
    parser[Parser.kOnMessageBegin] = null
    parser[Parser.kOnHeadersComplete] = (_maj: number, _min: number, _h: string[], method: number, url: string) => {
      seen = `${method} ${url}`
      return 0
    }
    const first = parser.execute(Buffer.from('GET /probe HTTP/1.1\r\nHo', 'latin1'))
    const activeMid = list.active().includes(parser)
    const second = parser.execute(Buffer.from('st: x\r\n\r\n', 'latin1'))
    const idleAfter = list.idle().includes(parser)
    if (typeof first !== 'number' || typeof second !== 'number') missing.push('HTTPParser.execute() returning the bytes parsed')
    else if (!/^\d+ \/probe$/.test(seen)) missing.push(`the kOnHeadersComplete callback's (method, url) arguments (saw "${seen}")`)
    else if (!activeMid) missing.push('ConnectionsList.active() holding a parser in the middle of a message')
    else if (!idleAfter) missing.push('ConnectionsList.idle() holding a parser between messages')
    if (list.expired(0, 0).length !== 0) missing.push('ConnectionsList.expired(0, 0) returning no parser')
  } catch (err) {
    missing.push(`a probe parse (${describe(err)})`)
  } finally {
    try {
      parser.remove()
      parser.close()
    } catch {
      // A parser that cannot close is reported by the parse above.
    }
  }
}

/**
 * node:http's private symbols on an http.Server (lib/_http_server.js: the
 * classes it builds requests and responses with, uniqueHeaders, and the
 * ConnectionsList with its sweep timer made at 'listening'), each found by
 * its description on a server that never listens; undefined where this
 * line has none. Symbol('x') is one symbol per module, so these are the
 * keys of every server's fields.
 */
export const serverSymbols: {
  IncomingMessage: symbol | undefined
  ServerResponse: symbol | undefined
  uniqueHeaders: symbol | undefined
  connections: symbol | undefined
  connectionsCheckingInterval: symbol | undefined
} = (() => {
  const probe = http.createServer()
  const before = { IncomingMessage: ownSymbol(probe, 'IncomingMessage'), ServerResponse: ownSymbol(probe, 'ServerResponse'), uniqueHeaders: ownSymbol(probe, 'kUniqueHeaders') }
  try {
    probe.emit('listening')
  } catch {
    return { ...before, connections: undefined, connectionsCheckingInterval: undefined }
  }
  const connectionsCheckingInterval = ownSymbol(probe, 'http.server.connectionsCheckingInterval')
  if (connectionsCheckingInterval !== undefined) clearInterval((probe as unknown as Record<symbol, NodeJS.Timeout>)[connectionsCheckingInterval])
  return { ...before, connections: ownSymbol(probe, 'http.server.connections'), connectionsCheckingInterval }
})()

/** What the transport (vectored parsing the connections) needs, or what of it this Node lacks. */
export interface TransportInternals {
  HTTPParser: HTTPParserClass
  ConnectionsList: new () => ConnectionsList
}

/**
 * net.Socket methods the transport's connections call that Node does not
 * document: _unrefTimer() (re-arms the idle timer on every read, as
 * node:http's onParserExecute does) and destroySoon() (ends the socket after
 * its writes, node:http's way of closing after `Connection: close`).
 */
export function checkSocketMethods(missing: Missing, proto: object = net.Socket.prototype): void {
  for (const name of ['_unrefTimer', 'destroySoon']) {
    if (typeof (proto as Record<string, unknown>)[name] !== 'function') missing.push(`net.Socket.prototype.${name}()`)
  }
}

function probeTransport(): { found: TransportInternals | null; missing: string } {
  const missing: Missing = []
  checkSocketMethods(missing)
  const Parser = findHTTPParser(missing)
  const List = findConnectionsList(missing)
  if (Parser !== null && List !== null) checkParse(Parser, List, missing)
  if (missing.length > 0 || Parser === null || List === null) return { found: null, missing: missing.join(', ') }
  return { found: { HTTPParser: Parser, ConnectionsList: List }, missing: '' }
}

const transport = probeTransport()

/** The parser and connection list the transport runs on; null when this Node lacks part of them. */
export const transportInternals: TransportInternals | null = transport.found

/** What the transport needs and this Node lacks, named; empty when it has all of it. */
export const transportMissing: string = transport.missing

type LenientFlags = (httpValidation: unknown, insecureHTTPParser: boolean | undefined) => number

/**
 * The parser's lenient flags for a server, as node:http of this line
 * computes them in connectionListenerInternal: `calculateLenientFlags(
 * server.httpValidation, server.insecureHTTPParser)` where _http_common has
 * it (Node 24: 'strict' | 'relaxed' | 'insecure'), else `isLenient()` when
 * insecureHTTPParser is unset (the --insecure-http-parser flag).
 */
export const lenientFlags: LenientFlags = (() => {
  const common = (() => {
    try {
      return require('_http_common') as { calculateLenientFlags?: unknown; isLenient?: unknown }
    } catch {
      return {}
    }
  })()
  if (typeof common.calculateLenientFlags === 'function') return common.calculateLenientFlags as LenientFlags
  const all = (transportInternals?.HTTPParser.kLenientAll ?? 0) | 0
  const none = (transportInternals?.HTTPParser.kLenientNone ?? 0) | 0
  const isLenient = typeof common.isLenient === 'function'
    ? (common.isLenient as () => boolean)
    : () => process.execArgv.includes('--insecure-http-parser')
  return (_validation, insecure) => ((insecure === undefined ? isLenient() : insecure) ? all : none)
})()

/**
 * How this line's node:http frames chunked writes, read off a real
 * ServerResponse on an unconnected socket: Node 20 frames every write as a
 * chunk; Node 22 gathers the writes made between res.cork() and
 * res.uncork() into one chunk (OutgoingMessage's kChunkedBuffer); Node 24
 * and later also cork the response for the rest of the tick at every write
 * (write_: msg.cork() and a nextTick uncork), so one tick's writes are one
 * chunk. Both false when the probe cannot tell (Node 20's framing).
 */
export const chunkFraming: { corked: boolean; tick: boolean } = (() => {
  try {
    const res = new http.ServerResponse({ method: 'GET', httpVersionMajor: 1, httpVersionMinor: 1, headers: {} } as http.IncomingMessage)
    const socket = new net.Socket()
    res.assignSocket(socket)
    res.writeHead(200)
    const kChunkedBuffer = ownSymbol(res, 'kChunkedBuffer')
    const gathered = () => (kChunkedBuffer === undefined ? 0 : ((res as unknown as Record<symbol, unknown[]>)[kChunkedBuffer]?.length ?? 0))
    res.write('a')
    const tick = res.chunkedEncoding && gathered() > 0
    const before = gathered()
    res.cork()
    res.write('b')
    const corked = res.chunkedEncoding && gathered() > before
    res.detachSocket(socket)
    socket.destroy()
    return { corked, tick }
  } catch {
    return { corked: false, tick: false }
  }
})()

/** A request as ServerResponse's constructor reads it (method, version, headers), on a fake socket of `server`. */
function probeRequest (server: object = {}): http.IncomingMessage {
  return { method: 'GET', httpVersionMajor: 1, httpVersionMinor: 1, headers: {}, rawHeaders: [], socket: { server } } as never
}

// ---- VectoredResponse (@vectored/server, response.ts): node:http's ServerResponse internals ----
//
// Every private part of OutgoingMessage / ServerResponse that
// VectoredResponse's overrides read, set or call is looked for on a probe
// response here. If one is missing, responseMissing names it, the plugin
// keeps node:http's own ServerResponse, and VectoredResponse loses its
// overrides, so nothing can throw later from a timer or a callback.

const missing: string[] = []


const probe = (() => {
  try {
    return new http.ServerResponse(probeRequest())
  } catch (err) {
    missing.push(`a probe ServerResponse (${describe(err)})`)
    return null
  }
})()

/** Node's private symbols on OutgoingMessage (lib/internal/http.js, lib/_http_outgoing.js), found by description. */
function nodeSymbol(description: string): symbol {
  const found = probe === null ? undefined : ownSymbol(probe, description)
  if (found !== undefined) return found
  missing.push(`OutgoingMessage's Symbol('${description}')`)
  return Symbol(description)
}
const kNeedDrain = nodeSymbol('kNeedDrain')
const kCorked = nodeSymbol('corked')
const kOutHeaders = nodeSymbol('kOutHeaders')

const METHODS = ['_send', '_implicitHeader', '_finish', '_writeRaw', '_flushOutput', 'assignSocket', 'detachSocket'] as const
const FIELDS = ['_header', '_headerSent', '_hasBody', '_last', '_contentLength', '_expect_continue', '_sent100',
  'chunkedEncoding', 'outputData', 'outputSize', 'finished', '_onPendingData', 'strictContentLength'] as const
if (probe !== null) {
  for (const name of METHODS) {
    if (typeof (probe as unknown as Record<string, unknown>)[name] !== 'function') missing.push(`ServerResponse.prototype.${name}()`)
  }
  for (const name of FIELDS) {
    if (!Object.prototype.hasOwnProperty.call(probe, name)) missing.push(`ServerResponse#${name}`)
  }
}
if (!Object.prototype.hasOwnProperty.call(new net.Socket(), '_hadError')) missing.push('net.Socket#_hadError')

/**
 * OutgoingMessage's own writableLength getter: what Node holds of a
 * response (outputSize, and on Node 24 and later the chunks it buffers
 * while corked, kChunkedBuffer, with their framing) plus the socket's.
 */
const nodeWritableLength = Object.getOwnPropertyDescriptor(http.OutgoingMessage.prototype, 'writableLength')?.get
if (typeof nodeWritableLength !== 'function') missing.push('the OutgoingMessage.prototype.writableLength getter')

/**
 * Who moves the corks of a response made before it had a socket
 * (res.cork() then, counted in kCorked) onto the socket once it has one:
 * - Node 20: _flushOutput, `while (this[kCorked]) { this[kCorked]--; socket.cork(); }`;
 * - Node 22 and later: the `socket` setter (lib/_http_outgoing.js,
 *   `for (let n = 0; n < this[kCorked]; n++) { val?.cork(); ... }`), and
 *   kCorked keeps counting the corks the socket carries: msg.cork() is
 *   `this[kCorked]++; this[kSocket]?.cork()`, and Node 24's write_ corks
 *   the response (msg.cork(), then connectionCorkNT's msg.uncork() a tick
 *   later), so _flushOutput must not move them again (the socket would stay
 *   corked, and the writer hand every byte to it).
 * Probed with assignSocket on a fake socket that counts its corks.
 */
const corksMovedBy: 'setter' | 'flushOutput' = (() => {
  if (probe === null || missing.length > 0) return 'flushOutput'
  try {
    const res = new http.ServerResponse(probeRequest()) as unknown as http.ServerResponse & Record<symbol, number>
    let corks = 0
    const fake = Object.assign(new EventEmitter(), {
      writable: false,
      _httpMessage: null as unknown,
      cork() { corks++ },
      uncork() { corks-- },
    })
    res.cork()
    if (res[kCorked] !== 1) {
      missing.push(`res.cork() before a socket counted in Symbol('corked') (it reads ${String(res[kCorked])})`)
      return 'flushOutput'
    }
    res.assignSocket(fake as unknown as net.Socket)
    if (fake._httpMessage !== res) missing.push('assignSocket setting socket._httpMessage')
    const moved = corks === 1 ? 'setter' : 'flushOutput'
    res.detachSocket(fake as unknown as net.Socket)
    return moved
  } catch (err) {
    missing.push(`a probe assignSocket (${describe(err)})`)
    return 'flushOutput'
  }
})()

/**
 * Where end(callback) keeps the callback: Node 20 and 22 listen to 'finish'
 * (`this.once('finish', callback)`); Node 24 and later queue it on the
 * response (queueEndCallback: `msg[kEndCallbacks].push(callback)`), and only
 * Node's onFinish calls it, with kWritableFinished set: a response that
 * VectoredResponse finishes itself must do the same (emitFinish), or a
 * callback given to end() after its end() would never run. Probed with
 * end(callback) on a detached response.
 */
const endCallbacks: { queue: symbol; writableFinished: symbol; flushError: symbol | undefined } | null = (() => {
  if (probe === null) return null
  try {
    const res = new http.ServerResponse(probeRequest()) as unknown as http.ServerResponse & Record<symbol, unknown>
    const callback = () => {}
    res.end(callback)
    if (res.listenerCount('finish') === 1) return null // Node 20, 22: on 'finish'
    const queue = ownSymbol(res, 'kEndCallbacks')
    const writableFinished = ownSymbol(res, 'kWritableFinished')
    if (queue === undefined || !Array.isArray(res[queue]) || !(res[queue] as unknown[]).includes(callback)) {
      missing.push("end(callback)'s queue, Symbol('kEndCallbacks')")
    } else if (writableFinished === undefined) {
      missing.push("OutgoingMessage's Symbol('kWritableFinished')")
    } else {
      return { queue, writableFinished, flushError: ownSymbol(res, 'kFlushError') }
    }
  } catch (err) {
    missing.push(`a probe end(callback) (${describe(err)})`)
  }
  return null
})()

/**
 * What VectoredResponse needs from node:http and this Node lacks, named;
 * empty when it has all of it. When it is not empty the plugin keeps
 * node:http's own ServerResponse.
 */
export const responseMissing: string = missing.join(', ')

/** The pieces VectoredResponse uses (meaningful only when responseMissing is empty). */
export const responseInternals = { kNeedDrain, kCorked, kOutHeaders, nodeWritableLength, corksMovedBy, endCallbacks }

// ---- serializeHead for node:http's responses (head.ts): what this Node does, probed on node:http itself ----


// Node exports the symbol from the public-but-undocumented _http_outgoing module.
const kUniqueHeaders: symbol | undefined = (() => {
  try {
    return (require('_http_outgoing') as { kUniqueHeaders?: symbol }).kUniqueHeaders
  } catch {
    return undefined
  }
})()


/**
 * How writeHead's slow path (setHeader headers, then writeHead with more)
 * merges a flat [name, value, ...] list, read off Node's own writeHead:
 * - 'set' (Node 20): `if (k) this.setHeader(k, obj[n + 1])` per pair, so a
 *   later pair replaces an earlier one of the same name, in its place;
 * - 'append' (Node 22 and later, lib/_http_server.js: "Headers in obj should
 *   override previous headers but still allow explicit duplicates"):
 *   `this.removeHeader(k)` for every pair first, then
 *   `if (k) this.appendHeader(k, obj[n + 1])`, so duplicates are kept, a
 *   merged name moves behind the others, and removeHeader's flags
 *   (_removedConnection, _removedContLen, _removedTE, sendDate = false) are set.
 * An object of headers is merged with setHeader on every line.
 */
export type FlatMerge = 'set' | 'append'

function probeFlatMerge (): { merge: FlatMerge | null, why: string } {
  try {
    const res = new http.ServerResponse(probeRequest())
    res.setHeader('a', '1')
    res.setHeader('b', '2')
    res.writeHead(200, ['a', '3', 'a', '4'])
    const names = res.getHeaderNames().join(',')
    const a = res.getHeader('a')
    if (names === 'a,b' && a === '4') return { merge: 'set', why: '' }
    if (names === 'b,a' && Array.isArray(a) && a.join(',') === '3,4') return { merge: 'append', why: '' }
    return { merge: null, why: `writeHead merged a flat header list into setHeader headers as names ${names}, a = ${JSON.stringify(a)}` }
  } catch (err) {
    return { merge: null, why: `a probe writeHead threw (${describe(err)})` }
  }
}

/**
 * Whether Node validates header values leniently for a lenient server
 * (Node 24 and later; Node 20 and 22 are always strict), and how to ask a
 * response: res._isLenientHeaderValidation() (lib/_http_outgoing.js).
 */
function probeLenient (): { lenient: 'never' | 'method' | null, why: string } {
  let accepted = false
  try {
    new http.ServerResponse(probeRequest({ insecureHTTPParser: true })).setHeader('x', 'a\x01')
    accepted = true
  } catch {
    // Strict for every server: this line has no lenient header values.
  }
  if (!accepted) return { lenient: 'never', why: '' }
  if (typeof (http.ServerResponse.prototype as unknown as { _isLenientHeaderValidation?: unknown })._isLenientHeaderValidation === 'function') return { lenient: 'method', why: '' }
  return { lenient: null, why: 'Node accepts lenient header values but has no OutgoingMessage.prototype._isLenientHeaderValidation()' }
}

/** The fields of a fresh ServerResponse that headOptionsFromResponse reads; each must be an own property. */
const RESPONSE_FIELDS = ['sendDate', 'shouldKeepAlive', 'useChunkedEncodingByDefault', '_hasBody', '_keepAliveTimeout',
  'maxRequestsOnConnectionReached', '_contentLength', '_removedConnection', '_removedContLen', '_removedTE',
  '_expect_continue', '_sent100', '_defaultKeepAlive'] as const

function probeFields (): string[] {
  const missing: string[] = []
  try {
    const res = new http.ServerResponse(probeRequest()) as unknown as Record<string | symbol, unknown>
    for (const name of RESPONSE_FIELDS) if (!Object.prototype.hasOwnProperty.call(res, name)) missing.push(`ServerResponse#${name}`)
    // Set on each response by the server (parserOnIncoming: res[kUniqueHeaders] = server[kUniqueHeaders]), not by the constructor.
    if (typeof kUniqueHeaders !== 'symbol') missing.push("require('_http_outgoing').kUniqueHeaders")
  } catch (err) {
    missing.push(`a probe ServerResponse (${describe(err)})`)
  }
  return missing
}

const flatMergeProbe = probeFlatMerge()
const lenientProbe = probeLenient()
const missingFields = probeFields()

/** How this Node's writeHead merges a flat header list into setHeader headers (null: neither known way). */
export const flatMerge: FlatMerge | null = flatMergeProbe.merge

/**
 * What headOptionsFromResponse / responseHeaderEntries need from node:http's
 * responses and this Node lacks or does differently, named; empty when they
 * mirror it exactly. A caller that builds real responses' heads with them
 * takes Node's own writeHead when this is not empty.
 */
export const responseHeadMissing: string = [...missingFields, flatMergeProbe.why, lenientProbe.why].filter(s => s !== '').join(', ')

/** The pieces serializeHead reads off node:http's responses (meaningful only when responseHeadMissing is empty). */
export const headInternals = { kUniqueHeaders, kOutHeaders: probe === null ? undefined : ownSymbol(probe, 'kOutHeaders'), lenientHeaders: lenientProbe.lenient }


/**
 * net.Socket's private _unrefTimer() (lib/net.js, every line from 20 to 26), for core's SocketWriter:
 * the writer calls it when its bytes move, as libuv's write queue moving
 * re-arms the idle timer in stock Node (Socket.prototype._onTimeout). A Node
 * without it would time out a slow reader mid-response: then only the stock
 * mode (socket.write) writes, checked once here.
 */
export const writerUnrefTimerMissing: string = typeof (net.Socket.prototype as { _unrefTimer?: unknown })._unrefTimer === 'function'
  ? ''
  : `net.Socket.prototype._unrefTimer() is missing on Node ${process.version} (the idle timer could not see the writer's progress)`

