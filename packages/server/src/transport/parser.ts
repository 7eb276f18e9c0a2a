/**
 * Request parsing: Node's own llhttp binding, the parser node:http runs
 * (reached through the public-but-undocumented `_http_common` module, which
 * emits no deprecation warning, unlike `process.binding('http_parser')`).
 * Same strictness, same error codes, same limits as node:http; the parser
 * reads the socket natively (`consume`), so no JS Buffer is made per read.
 * docs/transport.md says why this parser and not another.
 */
import * as http from 'node:http'
import { transportInternals, type NodeParser } from '@vectored/core'

export type { NodeParser } from '@vectored/core'

// Null only on a Node that lacks part of what the transport needs
// (transportMissing says what); nothing then constructs a Connection.
const binding = transportInternals?.HTTPParser ?? null
export const HTTPParser = binding!
export const kOnMessageBegin = (binding?.kOnMessageBegin ?? 0) | 0
export const kOnHeaders = (binding?.kOnHeaders ?? 1) | 0
export const kOnHeadersComplete = (binding?.kOnHeadersComplete ?? 2) | 0
export const kOnBody = (binding?.kOnBody ?? 3) | 0
export const kOnMessageComplete = (binding?.kOnMessageComplete ?? 4) | 0
export const kOnExecute = (binding?.kOnExecute ?? 5) | 0
export const kOnTimeout = (binding?.kOnTimeout ?? 6) | 0
export const kLenientNone = (binding?.kLenientNone ?? 0) | 0
export const kLenientAll = (binding?.kLenientAll ?? 0) | 0

/**
 * Method names by the number llhttp reports. node:http indexes the binding's
 * `allMethods`, which _http_common does not export; the same table is built
 * here by letting the parser name each method once.
 */
export const allMethods: string[] = (() => {
  const table: string[] = []
  if (binding === null) return table
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

// Parsers are C++ objects with a JS wrapper: reuse them as node:http does (its FreeList holds 1000).
const pool: NodeParser[] = []
const POOL_LIMIT = 1000

export function allocParser(): NodeParser {
  return pool.pop() ?? new binding!()
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
