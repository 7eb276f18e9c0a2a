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
