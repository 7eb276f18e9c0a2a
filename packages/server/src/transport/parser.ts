/**
 * Request parsing: Node's own llhttp binding, the parser node:http runs
 * (reached through the public-but-undocumented `_http_common` module, which
 * emits no deprecation warning, unlike `process.binding('http_parser')`).
 * Same strictness, same error codes, same limits as node:http; the parser
 * reads the socket natively (`consume`), so no JS Buffer is made per read.
 * docs/transport.md says why this parser and not another.
 */
import * as http from 'node:http'
import { ownSymbol } from '../node-symbols'

/** The methods of Node's HTTPParser binding (lib/_http_common.js drives the same ones). */
export interface NodeParser {
  initialize(type: number, resource: object, maxHeaderSize: number, lenient: number, connections?: unknown): void
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
  /** ms since the current message began (0 before the first one). */
  duration(): number
  headersCompleted(): boolean
  [slot: number]: unknown
}

interface ParserClass {
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

const common = require('_http_common') as { HTTPParser: ParserClass; methods: string[] }
const binding = common.HTTPParser
export const HTTPParser = binding
export const kOnMessageBegin = binding.kOnMessageBegin | 0
export const kOnHeaders = binding.kOnHeaders | 0
export const kOnHeadersComplete = binding.kOnHeadersComplete | 0
export const kOnBody = binding.kOnBody | 0
export const kOnMessageComplete = binding.kOnMessageComplete | 0
export const kOnExecute = binding.kOnExecute | 0
export const kOnTimeout = binding.kOnTimeout | 0
export const kLenientNone = binding.kLenientNone | 0
export const kLenientAll = binding.kLenientAll | 0

/**
 * Method names by the number llhttp reports. node:http indexes the binding's
 * `allMethods`, which _http_common does not export; the same table is built
 * here by letting the parser name each method once.
 */
export const allMethods: string[] = (() => {
  const table: string[] = []
  const parser = new binding()
  let seen = -1
  for (const name of http.METHODS) {
    parser.initialize(binding.REQUEST, {}, 0, kLenientNone)
    parser[kOnHeadersComplete] = (_maj: number, _min: number, _h: string[], method: number) => { seen = method; return 0 }
    seen = -1
    parser.execute(Buffer.from(`${name} / HTTP/1.1\r\nHost: x\r\n\r\n`, 'latin1'))
    if (seen >= 0) table[seen] = name
  }
  parser.close()
  return table
})()

/** What kOnHeadersComplete returns: 0 go on, 2 stop here (upgrade or CONNECT taken by the application). */
export const PARSE_ON = 0
export const PARSE_UPGRADE = 2

/** Node's fixed error responses (lib/_http_server.js), for servers without a 'clientError' listener. */
const badRequest = Buffer.from('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n', 'latin1')
const requestTimeout = Buffer.from('HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n', 'latin1')
const headerFieldsTooLarge = Buffer.from('HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n\r\n', 'latin1')
const chunkExtensionsTooLarge = Buffer.from('HTTP/1.1 413 Payload Too Large\r\nConnection: close\r\n\r\n', 'latin1')

/** The response Node writes for a client error when nobody listens for 'clientError'. */
export function clientErrorResponse(code: string | undefined): Buffer {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW': return headerFieldsTooLarge
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW': return chunkExtensionsTooLarge
    case 'ERR_HTTP_REQUEST_TIMEOUT': return requestTimeout
    default: return badRequest
  }
}

/** Node's prepareError (lib/_http_common.js): the bytes that failed and a readable message. */
export function prepareError(err: Error & { rawPacket?: Buffer; reason?: string }, parser: NodeParser): void {
  err.rawPacket = parser.getCurrentBuffer()
  if (typeof err.reason === 'string') err.message = `Parse Error: ${err.reason}`
}

/** Whether the process runs with --insecure-http-parser (Node's isLenient()). */
export const insecureByDefault: boolean = process.execArgv.includes('--insecure-http-parser') ||
  (process.env.NODE_OPTIONS ?? '').includes('--insecure-http-parser')

/**
 * node:http's ConnectionsList (src/node_http_parser.cc), handed to every
 * parser's initialize for one effect: the parser then keeps its message
 * clock as node:http's do. Initialize with a list sets last_message_start_
 * to now ("protects from a DoS attack where an attacker establishes the
 * connection without sending any data"); a message's first byte sets it,
 * its completion zeroes it. Without a list, initialize leaves it as the
 * parser's previous connection left it (a pooled parser whose connection
 * closed mid-request: a start long past, so headersTimeout fired at once on
 * the new connection, a 408 seen in the benchmark), or unset (a new
 * parser), and duration() was wrong. Nothing reads the list: Connection
 * takes the parser out of it at once (`remove()`) and initializes it again
 * without one, which keeps the start and spares the list's std::set
 * updates on every message. The class is not exported by any
 * module without a deprecation warning, so it is taken from a server that
 * never listens: node:http makes the list in its 'listening' handler
 * (setupConnectionsTracking), whose sweep interval is cleared at once.
 */
export const connectionsList: unknown = (() => {
  const probe = http.createServer() as http.Server & Record<symbol, unknown>
  probe.emit('listening')
  const kInterval = ownSymbol(probe, 'http.server.connectionsCheckingInterval')
  if (kInterval !== undefined) clearInterval(probe[kInterval] as NodeJS.Timeout)
  const kConnections = ownSymbol(probe, 'http.server.connections')
  const list = kConnections === undefined ? undefined : (probe[kConnections] as { constructor: new () => unknown } | undefined)
  if (list === undefined) throw new Error("vectored transport: this Node keeps no ConnectionsList on its http.Server (Symbol('http.server.connections')); Node 20 or later is needed")
  return new list.constructor()
})()

// Parsers are C++ objects with a JS wrapper: reuse them as node:http does (its FreeList holds 1000).
const pool: NodeParser[] = []
const POOL_LIMIT = 1000

export function allocParser(): NodeParser {
  return pool.pop() ?? new binding()
}

/** Detaches a parser from its connection and returns it to the pool (Node's freeParser). */
export function freeParser(parser: NodeParser, consumed: boolean): void {
  if (consumed) parser.unconsume()
  parser[kOnMessageBegin] = null
  parser[kOnHeaders] = null
  parser[kOnHeadersComplete] = null
  parser[kOnBody] = null
  parser[kOnMessageComplete] = null
  parser[kOnExecute] = null
  parser[kOnTimeout] = null
  ;(parser as unknown as { owner: unknown }).owner = null
  parser.remove()
  if (pool.length < POOL_LIMIT) {
    // The destructor will not run for a pooled parser: run its destroy hooks now.
    parser.free()
    pool.push(parser)
  } else {
    // Let the current call unwind before the C++ object goes away.
    setImmediate(() => parser.close())
  }
}
