/**
 * The response head (status line and header fields) as one Buffer, byte for
 * byte what the running Node (20, 22, 24, 26) writes for the same response
 * state: this mirrors ServerResponse.prototype.writeHead (lib/_http_server.js)
 * and OutgoingMessage.prototype._storeHeader / processHeader / storeHeader /
 * matchHeader (lib/_http_outgoing.js). Where the lines differ (how writeHead
 * merges a header list into setHeader headers, lenient header values), the
 * behaviour is probed on node:http itself when this module loads. See
 * docs/head.md.
 */
import { STATUS_CODES, ServerResponse } from 'node:http'
import { dateLine } from './http-date'
import {
  hasInvalidHeaderChar,
  invalidArgValueError,
  invalidCharError,
  invalidStatusCodeError,
  trailerInvalidError,
  validateHeaderName,
  validateHeaderValue
} from './header-validation'
import { flatMerge, headInternals } from './node-internals'

export type HeaderValue = string | number | readonly (string | number)[]

/** The three shapes writeHead/_storeHeader accept: an object, [[name, value], ...] or [name, value, name, value, ...]. */
export type OutgoingHeaders =
  | Readonly<Record<string, HeaderValue | undefined>>
  | readonly (readonly [string, HeaderValue])[]
  | readonly (string | HeaderValue)[]

/**
 * The response state Node's rules read, named after the ServerResponse
 * fields they come from. Defaults are those of a fresh response to an
 * HTTP/1.1 GET on a server with default options.
 */
export interface HeadOptions {
  /** writeHead's reason argument; undefined means STATUS_CODES[code] || 'unknown'. */
  statusMessage?: string
  /** res.sendDate (true on a ServerResponse). */
  sendDate?: boolean
  /** res.shouldKeepAlive: the parser's keep-alive verdict for the request (default true). */
  shouldKeepAlive?: boolean
  /** res.useChunkedEncodingByDefault: true, except HTTP/1.0 requests without `TE: chunked`. */
  useChunkedEncodingByDefault?: boolean
  /** res._hasBody: false for HEAD requests (204, 304 and 1xx are handled here). */
  hasBody?: boolean
  /** res._keepAliveTimeout in ms (server.keepAliveTimeout, default 5000; 0 sends no Keep-Alive). */
  keepAliveTimeout?: number
  /** res._maxRequestsPerSocket (server.maxRequestsPerSocket, default 0 = unlimited). */
  maxRequestsPerSocket?: number
  /** res.maxRequestsOnConnectionReached: this request is the last one the socket may serve. */
  maxRequestsOnConnectionReached?: boolean
  /** res._contentLength: the body length when known before the head (end(chunk) without writeHead). */
  contentLength?: number | null
  /** res._removedConnection / _removedContLen / _removedTE (removeHeader before the head). */
  removedConnection?: boolean
  removedContentLength?: boolean
  removedTransferEncoding?: boolean
  /** res._expect_continue && !res._sent100: a final status to an unanswered Expect: 100-continue. */
  expectContinuePending?: boolean
  /** server uniqueHeaders option, lower-cased (res[kUniqueHeaders]). */
  uniqueHeaders?: ReadonlySet<string> | null
  /**
   * The headers are res[kOutHeaders] entries, already checked by setHeader
   * (see responseHeaderEntries): skip validation, as _storeHeader does for them.
   */
  validated?: boolean
  /** Node writes the head as latin1, but as utf8 when the first body chunk is a utf8 string. */
  encoding?: 'latin1' | 'utf8'
  /**
   * Validate header values with Node 24's lenient rules (only NUL, CR, LF
   * and characters above 0xff refused), as Node 24 and later do for a server
   * with `insecureHTTPParser` or `httpValidation: 'relaxed'`
   * (res._isLenientHeaderValidation()). Default false, the strict rules.
   */
  lenientHeaderValues?: boolean
}

/** The head and what the caller needs to frame and finish the response. */
export interface Head {
  /** Status line, header lines and the empty line. */
  head: Buffer
  /** The same as a string (Node's res._header). */
  text: string
  /** Frame the body with chunked transfer coding and end it with LAST_CHUNK. */
  chunked: boolean
  /** The response may carry a body (false for HEAD, 1xx, 204, 304): drop body bytes otherwise. */
  hasBody: boolean
  /** Close the connection after this response (Node's res._last). */
  last: boolean
  /** Node's res.shouldKeepAlive after the head was built. */
  shouldKeepAlive: boolean
  /** Content-Length in effect (the header's value, or the known body length it was derived from), else null. */
  contentLength: number | null
  /** An Expect field is among the headers (Node sends such a head at once, without waiting for the body). */
  expect: boolean
  /** Every character is ASCII: the head's bytes are the same in latin1 and utf8. */
  ascii: boolean
}

const RE_CONN_CLOSE = /(?:^|\W)close(?:$|\W)/i
const RE_TE_CHUNKED = /(?:^|\W)chunked(?:$|\W)/i
const RE_NON_ASCII = /[^\x00-\x7f]/

/** `HTTP/1.1 <code> <message>\r\n` for every code Node knows, built once. */
const STATUS_LINES: (string | undefined)[] = []
for (const code of Object.keys(STATUS_CODES)) {
  STATUS_LINES[Number(code)] = `HTTP/1.1 ${code} ${STATUS_CODES[code] as string}\r\n`
}

const NO_OPTIONS: HeadOptions = {}

// Servers use one timeout and limit: remember the last Keep-Alive lines built.
let lastTimeout = 5000
let lastMax: number = 0
let lastKeepAlive = 'Connection: keep-alive\r\nKeep-Alive: timeout=5\r\n'

function keepAliveLines (keepAliveTimeout: number, maxRequests: number): string {
  if (keepAliveTimeout !== lastTimeout || maxRequests !== lastMax) {
    const max = ~~maxRequests > 0 ? `, max=${maxRequests}` : ''
    lastKeepAlive = `Connection: keep-alive\r\nKeep-Alive: timeout=${Math.floor(keepAliveTimeout / 1000)}${max}\r\n`
    lastTimeout = keepAliveTimeout
    lastMax = maxRequests
  }
  return lastKeepAlive
}

/** What Node reacts to in a header name, by lower-cased name (matchHeader, isCookieField, isContentDispositionField). */
const enum Kind { Plain, Connection, TransferEncoding, ContentLength, Date, Trailer, KeepAlive, Cookie, ContentDisposition, Expect }

const KINDS = new Map<string, Kind>([
  ['connection', Kind.Connection],
  ['transfer-encoding', Kind.TransferEncoding],
  ['content-length', Kind.ContentLength],
  ['date', Kind.Date],
  ['trailer', Kind.Trailer],
  ['keep-alive', Kind.KeepAlive],
  ['cookie', Kind.Cookie],
  ['content-disposition', Kind.ContentDisposition],
  ['expect', Kind.Expect]
])

// Validated names and their kind; applications use few names, so a Map hit replaces a scan and a toLowerCase.
const nameKinds = new Map<string, Kind>()
const NAME_CACHE_LIMIT = 2048

function nameKind (key: unknown): Kind {
  if (typeof key === 'string') {
    const known = nameKinds.get(key)
    if (known !== undefined) return known
  }
  validateHeaderName(key)
  const kind = KINDS.get(key.toLowerCase()) ?? Kind.Plain
  // Bounded: a client cannot grow it, but an application echoing names could.
  if (nameKinds.size >= NAME_CACHE_LIMIT) nameKinds.clear()
  nameKinds.set(key, kind)
  return kind
}

/** Mutable per-call state, the fields of _storeHeader's `state` and of the response it touches. */
interface State {
  header: string
  connection: boolean
  contLen: boolean
  te: boolean
  date: boolean
  trailer: boolean
  expect: boolean
  last: boolean
  chunkedEncoding: boolean
  shouldKeepAlive: boolean
  defaultKeepAlive: boolean
  removedConnection: boolean
  removedContLen: boolean
  removedTE: boolean
  contentLength: number | null
  unique: ReadonlySet<string> | null
  validate: boolean
  lenient: boolean
}

/**
 * Serializes the head of a response, as `res.writeHead(statusCode, headers)`
 * would on a response in the state `options` describes. Throws Node's errors
 * (same class, code and message) and produces nothing when anything is invalid.
 * The Head returned, and its Buffer, may be returned again for the same
 * input (see CachedHead): read it, never modify it.
 */
export function serializeHead (statusCode: number, headers?: OutgoingHeaders | null, options?: HeadOptions): Head {
  const o = options ?? NO_OPTIONS
  const cacheable = headers != null && !Array.isArray(headers) && o.validated !== true
  if (!cacheable) return buildHead(statusCode, headers, o)
  const record = headers as Readonly<Record<string, unknown>>
  const flags = optionFlags(o)
  const hit = cachedHead(statusCode, record, o, flags)
  if (hit !== null) return hit
  const head = buildHead(statusCode, headers, o)
  rememberHead(statusCode, record, o, flags, head)
  return head
}

function buildHead (statusCode: number, headers: OutgoingHeaders | null | undefined, o: HeadOptions): Head {
  const code = statusCode | 0
  if (code < 100 || code > 999) throw invalidStatusCodeError(statusCode)

  let statusLine: string | undefined
  const message = o.statusMessage
  if (message === undefined) {
    statusLine = STATUS_LINES[code]
    if (statusLine === undefined) statusLine = `HTTP/1.1 ${code} unknown\r\n`
  } else {
    if (hasInvalidHeaderChar(message)) throw invalidCharError('statusMessage')
    statusLine = `HTTP/1.1 ${code} ${message}\r\n`
  }

  const hasBody = (o.hasBody ?? true) && code !== 204 && code !== 304 && (code < 100 || code > 199)
  const st: State = {
    header: statusLine,
    connection: false,
    contLen: false,
    te: false,
    date: false,
    trailer: false,
    expect: false,
    last: false,
    chunkedEncoding: false,
    shouldKeepAlive: (o.shouldKeepAlive ?? true) && o.expectContinuePending !== true,
    defaultKeepAlive: true,
    removedConnection: o.removedConnection === true,
    removedContLen: o.removedContentLength === true,
    removedTE: o.removedTransferEncoding === true,
    contentLength: o.contentLength ?? null,
    unique: o.uniqueHeaders ?? null,
    validate: o.validated !== true,
    lenient: o.lenientHeaderValues === true
  }

  if (headers) {
    if (Array.isArray(headers)) {
      const list = headers as readonly unknown[]
      if (list.length !== 0 && Array.isArray(list[0])) {
        for (let i = 0; i < list.length; i++) {
          const entry = list[i] as readonly unknown[]
          processHeader(st, entry[0], entry[1])
        }
      } else {
        if (list.length % 2 !== 0) throw invalidArgValueError('headers', headers)
        for (let n = 0; n < list.length; n += 2) processHeader(st, list[n], list[n + 1])
      }
    } else {
      const record = headers as Readonly<Record<string, unknown>>
      // Own enumerable keys in for-in order, which is what Node iterates.
      const keys = Object.keys(record)
      for (let i = 0; i < keys.length; i++) processHeader(st, keys[i], record[keys[i]!])
    }
  }

  let header = st.header
  if ((o.sendDate ?? true) && !st.date) header += dateLine()

  // Node suppresses the zero chunk of a chunked 204/304 and closes instead.
  if (st.chunkedEncoding && (code === 204 || code === 304)) {
    st.chunkedEncoding = false
    st.shouldKeepAlive = false
  }

  const useChunkedEncodingByDefault = o.useChunkedEncodingByDefault ?? true
  if (st.removedConnection) {
    st.last = !st.shouldKeepAlive
  } else if (!st.connection) {
    const shouldSendKeepAlive = st.shouldKeepAlive && (st.contLen || useChunkedEncodingByDefault)
    if (shouldSendKeepAlive && o.maxRequestsOnConnectionReached === true) {
      header += 'Connection: close\r\n'
    } else if (shouldSendKeepAlive) {
      const keepAliveTimeout = o.keepAliveTimeout ?? 5000
      header += keepAliveTimeout && st.defaultKeepAlive
        ? keepAliveLines(keepAliveTimeout, o.maxRequestsPerSocket ?? 0)
        : 'Connection: keep-alive\r\n'
    } else {
      st.last = true
      header += 'Connection: close\r\n'
    }
  }

  let lengthAdded = false
  if (!st.contLen && !st.te) {
    if (!hasBody) {
      st.chunkedEncoding = false
    } else if (!useChunkedEncodingByDefault) {
      st.last = true
    } else if (!st.trailer && !st.removedContLen && typeof st.contentLength === 'number') {
      header += 'Content-Length: ' + st.contentLength + '\r\n'
      lengthAdded = true
    } else if (!st.removedTE) {
      header += 'Transfer-Encoding: chunked\r\n'
      st.chunkedEncoding = true
    } else {
      // Neither length nor chunking: the body ends when the connection does.
      st.last = true
    }
  }

  if (st.chunkedEncoding !== true && st.trailer) throw trailerInvalidError()

  header += '\r\n'
  return {
    head: Buffer.from(header, o.encoding ?? 'latin1'),
    text: header,
    chunked: st.chunkedEncoding && hasBody,
    hasBody,
    last: st.last,
    shouldKeepAlive: st.shouldKeepAlive,
    contentLength: st.contLen || lengthAdded ? st.contentLength : null,
    expect: st.expect,
    ascii: !RE_NON_ASCII.test(header)
  }
}

/**
 * The last heads built from a header object, so that a server answering
 * the same status with the same headers (a route's content-type and a
 * length) skips validation, concatenation and the Buffer copy: the usual
 * case under load. An entry matches when the status, every option that
 * serializeHead reads, the Date line of this second and every header name
 * and value (in order, compared with ===) are the same; the head is then
 * the same bytes, and the same Head (with the same Buffer) is
 * returned. Only plain string and number values are cached: arrays and
 * other values are rebuilt every time. Callers treat a Head as read-only.
 */
interface CachedHead {
  code: number
  message: string | undefined
  flags: number
  keepAliveTimeout: number
  maxRequestsPerSocket: number
  contentLength: number | null
  unique: ReadonlySet<string> | null
  date: string | undefined
  keys: string[]
  values: (string | number)[]
  head: Head
}

const HEAD_CACHE_SIZE = 8
const headCache: (CachedHead | undefined)[] = new Array(HEAD_CACHE_SIZE)
let headCacheNext = 0

/** The boolean options as bits, defaults applied as serializeHead applies them. */
function optionFlags (o: HeadOptions): number {
  return ((o.sendDate ?? true) ? 1 : 0) |
    ((o.shouldKeepAlive ?? true) ? 2 : 0) |
    ((o.useChunkedEncodingByDefault ?? true) ? 4 : 0) |
    ((o.hasBody ?? true) ? 8 : 0) |
    (o.maxRequestsOnConnectionReached === true ? 16 : 0) |
    (o.removedConnection === true ? 32 : 0) |
    (o.removedContentLength === true ? 64 : 0) |
    (o.removedTransferEncoding === true ? 128 : 0) |
    (o.expectContinuePending === true ? 256 : 0) |
    (o.encoding === 'utf8' ? 512 : 0) |
    (o.lenientHeaderValues === true ? 1024 : 0)
}

function cachedHead (code: number, record: Readonly<Record<string, unknown>>, o: HeadOptions, flags: number): Head | null {
  const date = (flags & 1) !== 0 ? dateLine() : undefined
  const keepAliveTimeout = o.keepAliveTimeout ?? 5000
  const maxRequests = o.maxRequestsPerSocket ?? 0
  const contentLength = o.contentLength ?? null
  const unique = o.uniqueHeaders ?? null
  const message = o.statusMessage
  for (let i = 0; i < HEAD_CACHE_SIZE; i++) {
    const c = headCache[i]
    if (c === undefined) return null
    if (c.code !== code || c.flags !== flags || c.date !== date || c.message !== message ||
      c.keepAliveTimeout !== keepAliveTimeout || c.maxRequestsPerSocket !== maxRequests ||
      c.contentLength !== contentLength || c.unique !== unique) continue
    const keys = c.keys
    const values = c.values
    let n = 0
    let same = true
    for (const key in record) {
      if (n >= keys.length || key !== keys[n] || record[key] !== values[n]) {
        same = false
        break
      }
      n++
    }
    if (same && n === keys.length) return c.head
  }
  return null
}

function rememberHead (code: number, record: Readonly<Record<string, unknown>>, o: HeadOptions, flags: number, head: Head): void {
  const keys: string[] = []
  const values: (string | number)[] = []
  for (const key in record) {
    const value = record[key]
    if (typeof value !== 'string' && typeof value !== 'number') return
    // for-in also walks inherited enumerable keys, which Object.keys (what is serialized) does not.
    if (!Object.prototype.hasOwnProperty.call(record, key)) return
    keys.push(key)
    values.push(value)
  }
  headCache[headCacheNext] = {
    code,
    message: o.statusMessage,
    flags,
    keepAliveTimeout: o.keepAliveTimeout ?? 5000,
    maxRequestsPerSocket: o.maxRequestsPerSocket ?? 0,
    contentLength: o.contentLength ?? null,
    unique: o.uniqueHeaders ?? null,
    date: (flags & 1) !== 0 ? dateLine() : undefined,
    keys,
    values,
    head
  }
  headCacheNext = (headCacheNext + 1) % HEAD_CACHE_SIZE
}

function processHeader (st: State, key: unknown, value: unknown): void {
  const kind = st.validate ? nameKind(key) : (nameKinds.get(key as string) ?? KINDS.get((key as string).toLowerCase()) ?? Kind.Plain)
  const name = key as string
  // Node re-encodes Content-Disposition as latin1 bytes read back as utf8 (nodejs/node#46528).
  if (kind === Kind.ContentDisposition && st.contentLength) {
    value = Array.isArray(value)
      ? value.map(v => Buffer.from(v as string, 'latin1').toString())
      : Buffer.from(value as string, 'latin1').toString()
  }
  if (Array.isArray(value)) {
    const unique = st.unique
    if ((value.length < 2 || kind !== Kind.Cookie) && (unique === null || !unique.has(name.toLowerCase()))) {
      for (let i = 0; i < value.length; i++) storeHeader(st, name, kind, value[i])
      return
    }
    value = value.join('; ')
  }
  storeHeader(st, name, kind, value)
}

function storeHeader (st: State, key: string, kind: Kind, value: unknown): void {
  if (st.validate) validateHeaderValue(key, value, st.lenient)
  st.header += key + ': ' + (value as string) + '\r\n'
  switch (kind) {
    case Kind.Plain:
      break
    case Kind.Connection:
      st.connection = true
      st.removedConnection = false
      if (RE_CONN_CLOSE.test(value as string)) st.last = true
      else st.shouldKeepAlive = true
      break
    case Kind.TransferEncoding:
      st.te = true
      st.removedTE = false
      if (RE_TE_CHUNKED.test(value as string)) st.chunkedEncoding = true
      break
    case Kind.ContentLength:
      st.contLen = true
      st.contentLength = +(value as string)
      st.removedContLen = false
      break
    case Kind.Date:
      st.date = true
      break
    case Kind.Trailer:
      st.trailer = true
      break
    case Kind.KeepAlive:
      st.defaultKeepAlive = false
      break
    case Kind.Expect:
      st.expect = true
      break
  }
}

/** Node's private response fields that serializeHead reads. */
interface ResponseInternals {
  statusMessage?: string
  sendDate: boolean
  shouldKeepAlive: boolean
  useChunkedEncodingByDefault: boolean
  _hasBody: boolean
  _keepAliveTimeout?: number
  _maxRequestsPerSocket?: number
  maxRequestsOnConnectionReached?: boolean
  _contentLength: number | null
  _removedConnection: boolean
  _removedContLen: boolean
  _removedTE: boolean
  _expect_continue?: boolean
  _sent100?: boolean
  _isLenientHeaderValidation?: () => boolean
}

// What this Node does (kOutHeaders, kUniqueHeaders, how writeHead merges a
// flat list, lenient header values) is probed once on node:http itself in
// node-internals.ts.
const { kUniqueHeaders, kOutHeaders, lenientHeaders } = headInternals


/**
 * The HeadOptions of a node:http ServerResponse whose head is not yet sent,
 * read from its private fields (responseHeadMissing says whether this Node
 * has them all). statusMessage is passed through only when set, like
 * writeHead(code) without a reason.
 */
export function headOptionsFromResponse (res: ServerResponse): HeadOptions {
  const r = res as unknown as ResponseInternals
  const unique = kUniqueHeaders === undefined ? null : (res as unknown as Record<symbol, ReadonlySet<string> | null | undefined>)[kUniqueHeaders]
  return {
    statusMessage: r.statusMessage ? r.statusMessage : undefined,
    sendDate: r.sendDate,
    shouldKeepAlive: r.shouldKeepAlive,
    useChunkedEncodingByDefault: r.useChunkedEncodingByDefault,
    hasBody: r._hasBody,
    keepAliveTimeout: r._keepAliveTimeout ?? 0,
    maxRequestsPerSocket: r._maxRequestsPerSocket ?? 0,
    maxRequestsOnConnectionReached: r.maxRequestsOnConnectionReached === true,
    contentLength: r._contentLength,
    removedConnection: r._removedConnection,
    removedContentLength: r._removedContLen,
    removedTransferEncoding: r._removedTE,
    expectContinuePending: r._expect_continue === true && r._sent100 !== true,
    uniqueHeaders: unique ?? null,
    lenientHeaderValues: lenientHeaders === 'method' && r._isLenientHeaderValidation!() === true
  }
}

// [name as set, value] by lower-cased name; the values are what setHeader took
// (string | number | string[] as Node's types declare it), so HeaderValue.
type OutHeaders = Record<string, [string, HeaderValue]>

function outHeadersOf (res: ServerResponse): OutHeaders | null {
  if (kOutHeaders === undefined) return null
  return ((res as unknown as Record<symbol, OutHeaders | null | undefined>)[kOutHeaders]) ?? null
}

/**
 * writeHead's slow path, for a response that already has setHeader headers:
 * merges `headers` into them as this Node's writeHead does (see FlatMerge),
 * with the response's own setHeader / removeHeader / appendHeader, so the
 * same errors are thrown and the response ends up in the same state; then
 * returns them as [name, value] entries in Node's order, to serialize with
 * `validated: true` and the HeadOptions read from the response afterwards
 * (removeHeader may have changed them). Returns null when the response has
 * no such headers: then serialize `headers` as they are.
 */
export function responseHeaderEntries (res: ServerResponse, headers?: OutgoingHeaders | null): [string, HeaderValue][] | null {
  if (outHeadersOf(res) === null) return null
  if (Array.isArray(headers)) {
    const list = headers as readonly unknown[]
    if (list.length % 2 !== 0) throw invalidArgValueError('headers', headers)
    if (flatMerge === 'set') {
      for (let n = 0; n < list.length; n += 2) {
        const k = list[n]
        if (k) res.setHeader(k as string, list[n + 1] as string)
      }
    } else {
      for (let n = 0; n < list.length; n += 2) res.removeHeader(list[n] as string)
      for (let n = 0; n < list.length; n += 2) {
        const k = list[n]
        if (k) res.appendHeader(k as string, list[n + 1] as string)
      }
    }
  } else if (headers) {
    const record = headers as Readonly<Record<string, HeaderValue>>
    const keys = Object.keys(record)
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!
      if (k) res.setHeader(k, record[k] as string)
    }
  }
  const out = outHeadersOf(res)
  if (out === null) return []
  const keys = Object.keys(out)
  const entries: [string, HeaderValue][] = new Array(keys.length)
  for (let i = 0; i < keys.length; i++) {
    const entry = out[keys[i]!]!
    entries[i] = [entry[0], entry[1]]
  }
  return entries
}
