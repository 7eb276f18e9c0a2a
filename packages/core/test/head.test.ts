import t from 'tap'
import fc from 'fast-check'
import http from 'node:http'
import net from 'node:net'
import type { AddressInfo } from 'node:net'
import { serializeHead, headOptionsFromResponse, responseHeaderEntries, type HeadOptions, type HeaderValue, type OutgoingHeaders, type Head } from '../src/head'
import { responseHeadMissing, flatMerge } from '../src/node-internals'
import { isHttpToken, hasInvalidHeaderChar } from '../src/header-validation'

// Node's own predicates, to pin the table lookups against the regexes they replace.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const common = require('_http_common') as { _checkIsHttpToken: (s: string) => boolean, _checkInvalidHeaderChar: (s: string) => boolean }

const maskDate = (s: string): string => s.replace(/\r\nDate: [^\r]*\r\n/, '\r\nDate: <masked>\r\n')

interface ServerConfig { keepAliveTimeout?: number, maxRequestsPerSocket?: number, uniqueHeaders?: string[] }

interface Case {
  name: string
  /** Request line version and extra request header lines. */
  method?: string
  version?: '1.0' | '1.1'
  requestHeaders?: string
  server?: ServerConfig
  status: number
  reason?: string
  headers?: OutgoingHeaders
  body?: string | Buffer
  /** setHeader per header, statusCode, then end(body): Node derives Content-Length. */
  implicit?: boolean
  remove?: string[]
}

const cases: Case[] = [
  { name: 'keep-alive, content-length given', status: 200, headers: { 'content-type': 'text/plain', 'content-length': 5 }, body: Buffer.from('hello') },
  { name: 'writeHead then end(body): chunked', status: 200, headers: { 'content-type': 'text/plain' }, body: Buffer.from('hello') },
  { name: 'implicit head, content-length derived', status: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from('{"a":1}'), implicit: true },
  { name: 'implicit head, no body: Content-Length: 0', status: 404, implicit: true },
  { name: 'request with Connection: close', requestHeaders: 'Connection: close\r\n', status: 200, headers: { 'content-length': '2' }, body: 'ok' },
  { name: 'HTTP/1.0 without keep-alive, content-length', version: '1.0', status: 200, headers: { 'Content-Length': 2 }, body: 'ok' },
  { name: 'HTTP/1.0 without keep-alive, no length', version: '1.0', status: 200, headers: { 'Content-Type': 'text/plain' }, body: 'ok' },
  { name: 'HTTP/1.0 keep-alive with content-length', version: '1.0', requestHeaders: 'Connection: keep-alive\r\n', status: 200, headers: { 'Content-Length': 2 }, body: 'ok' },
  { name: 'HTTP/1.0 keep-alive without length: close', version: '1.0', requestHeaders: 'Connection: keep-alive\r\n', status: 200, headers: { 'Content-Type': 'text/plain' }, body: 'ok' },
  { name: 'HTTP/1.0 with TE: chunked', version: '1.0', requestHeaders: 'TE: chunked\r\n', status: 200, headers: { 'Content-Type': 'text/plain' }, body: 'ok' },
  { name: 'HTTP/1.0 implicit head, derived length', version: '1.0', requestHeaders: 'Connection: keep-alive\r\n', status: 200, body: 'ok', implicit: true },
  { name: 'HEAD request', method: 'HEAD', status: 200, headers: { 'content-type': 'text/plain' } },
  { name: 'HEAD request with content-length', method: 'HEAD', status: 200, headers: { 'content-length': 100 } },
  { name: '204', status: 204, headers: { 'x-a': 'b' } },
  { name: '304 with etag', status: 304, headers: { etag: '"abc"' } },
  { name: '204 with transfer-encoding chunked: close', status: 204, headers: { 'transfer-encoding': 'chunked' } },
  { name: 'explicit transfer-encoding chunked', status: 200, headers: { 'Transfer-Encoding': 'chunked' }, body: 'abc' },
  { name: 'transfer-encoding gzip (not chunked)', status: 200, headers: { 'Transfer-Encoding': 'gzip', connection: 'close' }, body: 'abc' },
  { name: 'set-cookie array: one line each', status: 200, headers: { 'Set-Cookie': ['a=1; Path=/', 'b=2', 'c=3; HttpOnly'], 'content-length': 0 } },
  { name: 'set-cookie array, implicit', status: 200, headers: { 'set-cookie': ['a=1', 'b=2'] }, body: 'x', implicit: true },
  { name: 'cookie array joined', status: 200, headers: { cookie: ['a=1', 'b=2'], 'content-length': 0 } },
  { name: 'mixed-case names and numeric values', status: 201, headers: { 'X-Request-Id': 12345, 'CONTENT-length': 3, 'Cache-CONTROL': 'no-cache', 'x-float': 1.5 }, body: 'abc' },
  { name: 'header order kept as given', status: 200, headers: { 'z-last': '1', 'a-first': '2', 'm-mid': '3', 'content-length': 0 } },
  { name: 'integer-like header name goes first (for-in order)', status: 200, headers: { 'x-b': '1', 123: 'n', 'content-length': 0 } },
  { name: 'Keep-Alive with maxRequestsPerSocket', server: { maxRequestsPerSocket: 3 }, status: 200, headers: { 'content-length': 0 } },
  { name: 'maxRequestsPerSocket reached: close', server: { maxRequestsPerSocket: 1 }, status: 200, headers: { 'content-length': 0 } },
  { name: 'keepAliveTimeout 0: no Keep-Alive line', server: { keepAliveTimeout: 0 }, status: 200, headers: { 'content-length': 0 } },
  { name: 'keepAliveTimeout 65500', server: { keepAliveTimeout: 65500 }, status: 200, headers: { 'content-length': 0 } },
  { name: 'user Connection: close', status: 200, headers: { Connection: 'close', 'content-length': 0 } },
  { name: 'user Connection: keep-alive on HTTP/1.0', version: '1.0', status: 200, headers: { Connection: 'keep-alive', 'content-length': 0 } },
  { name: 'user Keep-Alive header', status: 200, headers: { 'Keep-Alive': 'timeout=1', 'content-length': 0 } },
  { name: 'user Date header', status: 200, headers: { Date: 'Thu, 01 Jan 1970 00:00:00 GMT', 'content-length': 0 } },
  { name: 'custom reason', status: 200, reason: 'Fine Thanks', headers: { 'content-length': 0 } },
  { name: 'empty reason', status: 200, reason: '', headers: { 'content-length': 0 } },
  { name: 'unknown code 999', status: 999, headers: { 'content-length': 0 } },
  { name: 'code 599', status: 599 },
  { name: 'flat array headers', status: 200, headers: ['X-A', '1', 'x-a', '2', 'Content-Length', '0'] },
  { name: 'pairs array headers', status: 200, headers: [['X-A', '1'], ['Set-Cookie', ['s=1', 's=2']], ['Content-Length', '0']] },
  { name: 'trailer with chunked', status: 200, headers: { Trailer: 'x-checksum' }, body: 'abc' },
  { name: 'uniqueHeaders joins arrays', server: { uniqueHeaders: ['X-Multi'] }, status: 200, headers: { 'x-multi': ['a', 'b'], 'content-length': 0 } },
  { name: 'content-disposition with derived length', status: 200, headers: { 'Content-Disposition': 'attachment; filename="a.txt"' }, body: 'abc', implicit: true },
  { name: 'removeHeader(date)', status: 200, remove: ['date'], body: 'ab', implicit: true },
  { name: 'removeHeader(connection)', status: 200, remove: ['connection'], body: 'ab', implicit: true },
  { name: 'removeHeader(content-length): chunked', status: 200, remove: ['content-length'], body: 'ab', implicit: true },
  { name: 'removeHeader(content-length, transfer-encoding): close', status: 200, remove: ['content-length', 'transfer-encoding'], body: 'ab', implicit: true },
  { name: 'latin1 value bytes', status: 200, headers: { 'x-latin': 'caf\u00e9 \u00ff', 'content-length': 0 } }
]

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void
const servers = new Map<string, { server: http.Server, port: number, handler: { current: Handler | null } }>()

async function serverFor (config: ServerConfig = {}): Promise<{ port: number, handler: { current: Handler | null } }> {
  const key = JSON.stringify(config)
  const existing = servers.get(key)
  if (existing !== undefined) return existing
  const handler: { current: Handler | null } = { current: null }
  const server = http.createServer(config.uniqueHeaders ? { uniqueHeaders: config.uniqueHeaders } : {}, (req, res) => handler.current?.(req, res))
  if (config.keepAliveTimeout !== undefined) server.keepAliveTimeout = config.keepAliveTimeout
  if (config.maxRequestsPerSocket !== undefined) server.maxRequestsPerSocket = config.maxRequestsPerSocket
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const entry = { server, port: (server.address() as AddressInfo).port, handler }
  servers.set(key, entry)
  return entry
}

t.teardown(() => { for (const { server } of servers.values()) { server.closeAllConnections(); server.close() } })

/** The raw head bytes Node writes for `request`, read off a plain TCP socket. */
async function rawHead (port: number, request: string): Promise<Buffer> {
  return await new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    const socket = net.connect(port, '127.0.0.1', () => socket.write(request))
    socket.on('data', (d: Buffer) => {
      chunks.push(d)
      const all = Buffer.concat(chunks)
      const end = all.indexOf('\r\n\r\n')
      if (end >= 0) { socket.destroy(); resolve(all.subarray(0, end + 4)) }
    })
    socket.on('error', reject)
    socket.on('close', () => reject(new Error('closed before the head')))
  })
}

/** Runs one case through real Node and through serializeHead; returns both heads. */
async function run (c: Case): Promise<{ node: Buffer, ours: Head }> {
  const { port, handler } = await serverFor(c.server)
  let ours: Head | undefined
  handler.current = (_req, res) => {
    for (const name of c.remove ?? []) res.removeHeader(name)
    if (c.implicit === true) {
      const headers = (c.headers ?? {}) as Record<string, string | number | string[]>
      for (const name of Object.keys(headers)) res.setHeader(name, headers[name]!)
      const bodyLength = c.body === undefined ? 0 : Buffer.byteLength(c.body)
      ours = serializeHead(c.status, c.headers, { ...headOptionsFromResponse(res), statusMessage: c.reason, contentLength: bodyLength })
      res.statusCode = c.status
      if (c.reason !== undefined) res.statusMessage = c.reason
      // A Buffer body keeps Node's head in latin1, as serializeHead encodes it.
      res.end(c.body === undefined ? undefined : Buffer.from(c.body))
    } else {
      ours = serializeHead(c.status, c.headers, { ...headOptionsFromResponse(res), statusMessage: c.reason })
      if (c.reason !== undefined) res.writeHead(c.status, c.reason, c.headers as http.OutgoingHttpHeaders)
      else res.writeHead(c.status, c.headers as http.OutgoingHttpHeaders)
      res.end(c.body === undefined ? undefined : Buffer.from(c.body))
    }
  }
  const request = `${c.method ?? 'GET'} / HTTP/${c.version ?? '1.1'}\r\nHost: localhost\r\n${c.requestHeaders ?? ''}\r\n`
  const node = await rawHead(port, request)
  if (ours === undefined) throw new Error('handler did not run')
  return { node, ours }
}

t.test('this Node has every private part of its responses that the head reads, and a known merge', async t => {
  t.equal(responseHeadMissing, '', 'nothing missing')
  t.ok(flatMerge === 'set' || flatMerge === 'append', `writeHead merges a flat list by ${String(flatMerge)}`)
})

t.test('serializeHead writes the bytes Node writes', async t => {
  for (const c of cases) {
    const { node, ours } = await run(c)
    const userDate = c.headers !== undefined && JSON.stringify(c.headers).toLowerCase().includes('"date"')
    const mask = userDate ? (s: string) => s : maskDate
    t.equal(mask(ours.head.toString('latin1')), mask(node.toString('latin1')), c.name)
  }
})

t.test('framing verdicts', async t => {
  const v = (status: number, headers: OutgoingHeaders | null, o?: HeadOptions): Omit<Head, 'head' | 'text' | 'expect' | 'ascii'> => {
    const { head: _h, text: _t, expect: _e, ascii: _a, ...rest } = serializeHead(status, headers, o)
    return rest
  }
  t.equal(serializeHead(200, { Expect: 'x' }).expect, true, 'an Expect field is reported')
  t.equal(serializeHead(200, [['expect', 'x']]).expect, true, 'in any header shape')
  t.equal(serializeHead(200, { 'x-expect': 'x' }).expect, false)
  t.equal(serializeHead(200, { a: 'b' }).ascii, true)
  t.equal(serializeHead(200, { a: '\u00e9' }).ascii, false, 'a latin1 byte above 0x7f is not ASCII')
  t.same(v(200, { 'content-length': 5 }), { chunked: false, hasBody: true, last: false, shouldKeepAlive: true, contentLength: 5 })
  t.same(v(200, {}), { chunked: true, hasBody: true, last: false, shouldKeepAlive: true, contentLength: null })
  t.same(v(200, {}, { contentLength: 7 }), { chunked: false, hasBody: true, last: false, shouldKeepAlive: true, contentLength: 7 })
  t.same(v(200, {}, { hasBody: false }), { chunked: false, hasBody: false, last: false, shouldKeepAlive: true, contentLength: null })
  t.same(v(204, { 'transfer-encoding': 'chunked' }), { chunked: false, hasBody: false, last: true, shouldKeepAlive: false, contentLength: null })
  t.same(v(200, {}, { useChunkedEncodingByDefault: false, shouldKeepAlive: false }), { chunked: false, hasBody: true, last: true, shouldKeepAlive: false, contentLength: null })
  t.same(v(200, { connection: 'close', 'content-length': 0 }), { chunked: false, hasBody: true, last: true, shouldKeepAlive: true, contentLength: 0 })
  t.same(v(200, { 'content-length': 0 }, { expectContinuePending: true }), { chunked: false, hasBody: true, last: true, shouldKeepAlive: false, contentLength: 0 })
  t.match(serializeHead(200, null, { sendDate: false }).text, /^HTTP\/1\.1 200 OK\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\nTransfer-Encoding: chunked\r\n\r\n$/)
  t.equal(serializeHead(200, null, { encoding: 'utf8', sendDate: false, headers: undefined } as HeadOptions).head.length, serializeHead(200, null, { sendDate: false }).head.length)
  t.equal(serializeHead(200, { x: '\u00e9' }, { encoding: 'utf8' }).head.includes(Buffer.from('x: \u00c3\u00a9', 'latin1')), true, 'utf8 head for a string body')
})

t.test('errors are Node\'s', async t => {
  t.throws(() => serializeHead(99, null), { name: 'RangeError', code: 'ERR_HTTP_INVALID_STATUS_CODE', message: 'Invalid status code: 99' })
  t.throws(() => serializeHead(1000, null), { code: 'ERR_HTTP_INVALID_STATUS_CODE' })
  t.throws(() => serializeHead(NaN, null), { code: 'ERR_HTTP_INVALID_STATUS_CODE', message: 'Invalid status code: NaN' })
  t.equal(serializeHead(200.7, null).text.slice(0, 15), 'HTTP/1.1 200 OK', 'Node truncates with |0, so do we')
  t.throws(() => serializeHead(200, { 'bad name': 'x' }), { name: 'TypeError', code: 'ERR_INVALID_HTTP_TOKEN', message: 'Header name must be a valid HTTP token ["bad name"]' })
  t.throws(() => serializeHead(200, { '': 'x' }), { code: 'ERR_INVALID_HTTP_TOKEN' })
  t.throws(() => serializeHead(200, { x: 'a\r\nInjected: 1' }), { name: 'TypeError', code: 'ERR_INVALID_CHAR', message: 'Invalid character in header content ["x"]' })
  t.throws(() => serializeHead(200, { x: 'a\0' }), { code: 'ERR_INVALID_CHAR' })
  t.throws(() => serializeHead(200, { x: undefined }), { name: 'TypeError', code: 'ERR_HTTP_INVALID_HEADER_VALUE', message: 'Invalid value "undefined" for header "x"' })
  t.throws(() => serializeHead(200, { x: ['ok', 'b\n'] }), { code: 'ERR_INVALID_CHAR' })
  t.throws(() => serializeHead(200, null, { statusMessage: 'OK\r\nSet-Cookie: a=1' }), { code: 'ERR_INVALID_CHAR', message: 'Invalid character in statusMessage' })
  t.throws(() => serializeHead(200, ['a']), { code: 'ERR_INVALID_ARG_VALUE' })
  t.throws(() => serializeHead(200, { trailer: 'x', 'content-length': 1 }), { code: 'ERR_HTTP_TRAILER_INVALID' })
  const err = (() => { try { serializeHead(99, null) } catch (e) { return e } })()
  t.equal(String(err), 'RangeError [ERR_HTTP_INVALID_STATUS_CODE]: Invalid status code: 99')
})

t.test('validation predicates equal Node\'s', async t => {
  for (let c = 0; c < 0x200; c++) {
    const s = String.fromCharCode(c)
    if (isHttpToken(s) !== common._checkIsHttpToken(s)) t.fail(`token ${c}`)
    if (hasInvalidHeaderChar(s) !== common._checkInvalidHeaderChar(s)) t.fail(`char ${c}`)
  }
  t.equal(isHttpToken(''), common._checkIsHttpToken(''))
  t.equal(isHttpToken('a\n'), common._checkIsHttpToken('a\n'))
  t.pass('all of U+0000..U+01FF agree')
})

// ---- properties against Node's own writeHead ----

const tokenChars = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
const special = ['Connection', 'content-length', 'Transfer-Encoding', 'Date', 'Keep-Alive', 'Trailer', 'Set-Cookie', 'cookie', 'Content-Disposition', 'Expect', 'x-unique']
const nameArb = fc.oneof(
  { weight: 6, arbitrary: fc.string({ unit: fc.constantFrom(...tokenChars), minLength: 1, maxLength: 12 }) },
  { weight: 3, arbitrary: fc.constantFrom(...special) },
  { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom('a', 'B', ' ', ':', '\u00e9', '\n', '(', '"', '\u0100'), maxLength: 4 }) }
)
// Invalid names and values are rare per header so that about half the heads are valid.
const rareNameArb = fc.oneof({ weight: 30, arbitrary: nameArb.filter(isHttpToken) }, { weight: 1, arbitrary: nameArb })
const valueStringArb = fc.oneof(
  { weight: 40, arbitrary: fc.string({ unit: fc.constantFrom('a', 'Z', '0', ' ', '\t', ';', '=', ',', 'chunked', 'close', 'keep-alive', '5', '\u00e9'), maxLength: 10 }) },
  { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom('a', '\r', '\n', '\0', '\x7f', '\x1f', '\u00e9', '\u00ff', '\u0100', '\u20ac'), maxLength: 4 }) }
)
const scalarArb = fc.oneof({ weight: 30, arbitrary: valueStringArb }, { weight: 10, arbitrary: fc.integer({ min: -5, max: 100000 }) }, { weight: 1, arbitrary: fc.constant(undefined) })
const valueArb = fc.oneof({ weight: 5, arbitrary: scalarArb }, { weight: 2, arbitrary: fc.array(scalarArb, { maxLength: 3 }) })
const entriesArb = fc.array(fc.tuple(rareNameArb, valueArb), { maxLength: 8 })
const shapeArb = fc.constantFrom('object', 'pairs', 'flat')
const optionsArb = fc.record({
  sendDate: fc.boolean(),
  shouldKeepAlive: fc.boolean(),
  useChunkedEncodingByDefault: fc.boolean(),
  hasBody: fc.boolean(),
  keepAliveTimeout: fc.constantFrom(0, 500, 5000, 72000),
  maxRequestsPerSocket: fc.constantFrom(0, 1, 10),
  maxRequestsOnConnectionReached: fc.boolean(),
  contentLength: fc.constantFrom(null, 0, 17),
  removedConnection: fc.boolean(),
  removedContentLength: fc.boolean(),
  removedTransferEncoding: fc.boolean(),
  uniqueHeaders: fc.constantFrom(null, new Set(['x-unique'])),
  // The response's server is lenient (Node 24 and later then accept more header values).
  insecureServer: fc.boolean()
}, { requiredKeys: [] })
const statusArb = fc.oneof(fc.constantFrom(100, 103, 200, 201, 204, 304, 404, 500, 599, 999), fc.integer({ min: 50, max: 1050 }), fc.double({ min: 90, max: 1010, noNaN: true }))
const reasonArb = fc.option(valueStringArb, { nil: undefined })

function shape (kind: string, entries: [string, unknown][]): OutgoingHeaders {
  if (kind === 'pairs') return entries as unknown as OutgoingHeaders
  if (kind === 'flat') return entries.flat() as unknown as OutgoingHeaders
  const o: Record<string, unknown> = {}
  for (const [k, v] of entries) o[k] = v
  return o as OutgoingHeaders
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { kUniqueHeaders } = require('_http_outgoing') as { kUniqueHeaders: symbol }

/** Response state: HeadOptions, and whether the server is lenient (insecureHTTPParser), which headOptionsFromResponse reads. */
type State = HeadOptions & { insecureServer?: boolean }

/** A detached ServerResponse in the state `o` describes, as the server would have made it. */
function nodeResponse (o: State): http.ServerResponse {
  const socket = { server: o.insecureServer === true ? { insecureHTTPParser: true } : {} }
  const req = { method: o.hasBody === false ? 'HEAD' : 'GET', httpVersionMajor: 1, httpVersionMinor: 1, headers: {}, rawHeaders: [], socket }
  const res = new http.ServerResponse(req as unknown as http.IncomingMessage)
  const r = res as unknown as Record<string | symbol, unknown>
  if (o.sendDate !== undefined) res.sendDate = o.sendDate
  if (o.shouldKeepAlive !== undefined) r.shouldKeepAlive = o.shouldKeepAlive
  if (o.useChunkedEncodingByDefault !== undefined) r.useChunkedEncodingByDefault = o.useChunkedEncodingByDefault
  r._keepAliveTimeout = o.keepAliveTimeout ?? 5000
  r._maxRequestsPerSocket = o.maxRequestsPerSocket ?? 0
  if (o.maxRequestsOnConnectionReached !== undefined) r.maxRequestsOnConnectionReached = o.maxRequestsOnConnectionReached
  if (o.contentLength !== undefined) r._contentLength = o.contentLength
  if (o.removedConnection !== undefined) r._removedConnection = o.removedConnection
  if (o.removedContentLength !== undefined) r._removedContLen = o.removedContentLength
  if (o.removedTransferEncoding !== undefined) r._removedTE = o.removedTransferEncoding
  r[kUniqueHeaders] = o.uniqueHeaders ?? null
  return res
}

type Outcome = { ok: true, text: string, last: boolean, chunked: boolean, hasBody: boolean } | { ok: false, name: string, code: unknown, message: string }

const fail = (e: unknown): Outcome => {
  const err = e as Error & { code?: unknown }
  return { ok: false, name: err.name, code: err.code, message: err.message }
}

function viaNode (status: number, reason: string | undefined, headers: OutgoingHeaders, o: State): Outcome {
  const res = nodeResponse(o)
  const r = res as unknown as { _header: string, _last: boolean, chunkedEncoding: boolean, _hasBody: boolean }
  try {
    if (reason !== undefined) res.writeHead(status, reason, headers as http.OutgoingHttpHeaders)
    else res.writeHead(status, headers as http.OutgoingHttpHeaders)
  } catch (e) { return fail(e) }
  return { ok: true, text: maskDate(r._header), last: r._last, chunked: r.chunkedEncoding && r._hasBody, hasBody: r._hasBody }
}

/** What headOptionsFromResponse makes of the server's leniency on this Node (always false before Node 24). */
const lenientOf = (o: State): boolean => headOptionsFromResponse(nodeResponse(o)).lenientHeaderValues === true

function viaUs (status: number, reason: string | undefined, headers: OutgoingHeaders, o: State): Outcome {
  try {
    const { insecureServer: _insecure, ...options } = o
    const h = serializeHead(status, headers, { ...options, statusMessage: reason, lenientHeaderValues: lenientOf(o) })
    if (h.head.toString('latin1') !== h.text) throw new Error('head and text disagree')
    return { ok: true, text: maskDate(h.text), last: h.last, chunked: h.chunked, hasBody: h.hasBody }
  } catch (e) { return fail(e) }
}

t.test('property: same bytes, or the same error, as Node\'s writeHead', async t => {
  let errors = 0
  fc.assert(fc.property(statusArb, reasonArb, entriesArb, shapeArb, optionsArb, (status, reason, entries, kind, o) => {
    const nodeOut = viaNode(status, reason, shape(kind, entries.map(([k, v]) => [k, Array.isArray(v) ? [...v] : v])), o)
    const ours = viaUs(status, reason, shape(kind, entries), o)
    if (!nodeOut.ok) errors++
    t.same(ours, nodeOut)
    return JSON.stringify(ours) === JSON.stringify(nodeOut)
  }), { numRuns: 3000 })
  t.ok(errors > 300 && errors < 2700, `errors were exercised too (${errors})`)
})

t.test('property: heads served again from the cache equal Node\'s, call after call', async t => {
  // A few inputs drawn again and again (the cache's case), some header
  // objects changed in place between calls: every call is checked.
  const inputArb = fc.tuple(statusArb, reasonArb, entriesArb, optionsArb)
  let hits = 0
  fc.assert(fc.property(fc.array(inputArb, { minLength: 1, maxLength: 4 }), fc.array(fc.tuple(fc.nat(), fc.boolean()), { minLength: 2, maxLength: 24 }), (pool, calls) => {
    const objects = pool.map(([, , entries]) => shape('object', entries) as Record<string, unknown>)
    const seen = new Set<number>()
    for (const [pick, mutate] of calls) {
      const i = pick % pool.length
      const [status, reason, , o] = pool[i]!
      const headers = objects[i]!
      const keys = Object.keys(headers)
      if (mutate && keys.length > 0) headers[keys[0]!] = `${String(headers[keys[0]!])}x`
      if (seen.has(i)) hits++
      seen.add(i)
      const nodeOut = viaNode(status, reason, shape('object', Object.entries(headers).map(([k, v]) => [k, Array.isArray(v) ? [...v] : v])), o)
      const ours = viaUs(status, reason, headers as OutgoingHeaders, o)
      if (JSON.stringify(ours) !== JSON.stringify(nodeOut)) {
        t.same(ours, nodeOut, `call ${JSON.stringify([status, reason, headers, o])}`)
        return false
      }
    }
    return true
  }), { numRuns: 1000 })
  t.ok(hits > 5000, `inputs were repeated (${hits} repeats)`)
})

t.test('a repeated head is the same bytes; any change in status, header or option is seen', async t => {
  const headers = { 'content-type': 'application/json; charset=utf-8', 'content-length': '17' }
  const a = serializeHead(200, headers, {})
  const b = serializeHead(200, { ...headers }, {})
  t.equal(b.text, a.text)
  t.equal(serializeHead(201, headers, {}).text.split('\r\n')[0], 'HTTP/1.1 201 Created')
  t.match(serializeHead(200, { ...headers, 'content-length': '18' }, {}).text, /Content-Length: 18|content-length: 18/)
  t.match(serializeHead(200, headers, { shouldKeepAlive: false }).text, /Connection: close/)
  t.match(serializeHead(200, headers, { keepAliveTimeout: 7000 }).text, /timeout=7/)
  t.notMatch(serializeHead(200, headers, { sendDate: false }).text, /Date:/)
  t.match(serializeHead(200, headers, { statusMessage: 'Fine' }).text, /^HTTP\/1\.1 200 Fine\r\n/)
  t.match(serializeHead(200, { ...headers, extra: '1' }, {}).text, /extra: 1/)
  const fewer: Record<string, string> = { 'content-type': headers['content-type'] }
  t.notMatch(serializeHead(200, fewer, {}).text, /content-length/)
  // An invalid value is refused every time, cached neighbours or not.
  t.throws(() => serializeHead(200, { ...headers, 'content-type': 'a\nb' }, {}), { code: 'ERR_INVALID_CHAR' })
  t.throws(() => serializeHead(200, { ...headers, 'content-type': 'a\nb' }, {}), { code: 'ERR_INVALID_CHAR' })
})

t.test('a head served from the cache carries the Date of the second it is served in', async t => {
  const headers = { 'content-type': 'text/plain', 'content-length': '2' }
  const dateOf = (h: Head) => /\r\nDate: ([^\r]+)\r\n/.exec(h.text)![1]
  const first = serializeHead(200, headers)
  t.equal(serializeHead(200, headers), first, 'the same second: the cached head itself')
  // Wait past the next second boundary, then the head must be rebuilt with the new Date.
  const now = Date.now()
  await new Promise(resolve => setTimeout(resolve, 1000 - (now % 1000) + 20))
  const later = serializeHead(200, headers)
  t.not(later, first, 'a new second: a new head')
  t.not(dateOf(later), dateOf(first))
  t.equal(dateOf(later), new Date().toUTCString())
  t.equal(later.text.replace(dateOf(later), ''), first.text.replace(dateOf(first), ''), 'only the Date differs')
})

t.test('property: valid heads equal the raw bytes on the wire', async t => {
  const { port, handler } = await serverFor({ keepAliveTimeout: 4000 })
  const validName = fc.string({ unit: fc.constantFrom(...tokenChars), minLength: 1, maxLength: 10 }).filter(n => !/^(connection|content-length|transfer-encoding|date|keep-alive|trailer|expect|content-disposition)$/i.test(n))
  const validValue = fc.oneof(fc.string({ unit: fc.constantFrom('a', 'Z', '0', ' ', '\t', ';', '=', '\u00e9'), maxLength: 12 }), fc.nat())
  await fc.assert(fc.asyncProperty(
    fc.array(fc.tuple(validName, fc.oneof(validValue, fc.array(validValue, { minLength: 1, maxLength: 3 }))), { maxLength: 10 }),
    fc.constantFrom('GET', 'HEAD'), fc.constantFrom(200, 201, 204, 404), fc.option(fc.nat({ max: 100 }), { nil: undefined }),
    async (entries, method, status, length) => {
      const headers: OutgoingHeaders = length === undefined ? entries : [...entries, ['Content-Length', length]]
      let ours: Head | undefined
      handler.current = (_req, res) => {
        ours = serializeHead(status, headers, headOptionsFromResponse(res))
        res.writeHead(status, headers as unknown as http.OutgoingHttpHeaders)
        res.end()
      }
      const node = await rawHead(port, `${method} / HTTP/1.1\r\nHost: x\r\n\r\n`)
      t.equal(maskDate(ours!.head.toString('latin1')), maskDate(node.toString('latin1')))
    }
  ), { numRuns: 60 })
})

t.test('property: setHeader headers merged like writeHead\'s slow path', async t => {
  const validEntry = fc.tuple(rareNameArb.filter(isHttpToken), fc.oneof(valueStringArb.filter(v => !hasInvalidHeaderChar(v)), fc.nat(), fc.array(valueStringArb.filter(v => !hasInvalidHeaderChar(v)), { minLength: 1, maxLength: 3 })))
  let merged = 0
  fc.assert(fc.property(fc.array(validEntry, { maxLength: 6 }), fc.array(fc.tuple(rareNameArb, valueArb), { maxLength: 5 }), fc.constantFrom('object', 'flat'), fc.boolean(), fc.constantFrom(200, 204, 404), optionsArb,
    (preset, entries, kind, removeOne, status, o) => {
      const make = (): http.ServerResponse => {
        const res = nodeResponse(o)
        for (const [k, v] of preset) res.setHeader(k, Array.isArray(v) ? [...v] : v)
        if (removeOne && preset.length > 0) res.removeHeader(preset[0]![0])
        return res
      }
      // Node rewrites Content-Disposition arrays in place: each side gets its own copy.
      const copy = (): OutgoingHeaders => shape(kind, entries.map(([k, v]) => [k, Array.isArray(v) ? [...v] : v]))
      const headers = copy()
      const nodeRes = make()
      let nodeOut: Outcome
      try {
        nodeRes.writeHead(status, headers as http.OutgoingHttpHeaders)
        const r = nodeRes as unknown as { _header: string, _last: boolean, chunkedEncoding: boolean, _hasBody: boolean }
        nodeOut = { ok: true, text: maskDate(r._header), last: r._last, chunked: r.chunkedEncoding && r._hasBody, hasBody: r._hasBody }
      } catch (e) { nodeOut = fail(e) }
      const ourRes = make()
      let ours: Outcome
      try {
        const ourHeaders = copy()
        const list = responseHeaderEntries(ourRes, ourHeaders)
        if (list !== null) merged++
        // Read after the merge: Node 22's writeHead removes the listed names first (sendDate, _removedConnection...).
        const opts = { ...headOptionsFromResponse(ourRes), keepAliveTimeout: o.keepAliveTimeout ?? 5000, maxRequestsPerSocket: o.maxRequestsPerSocket ?? 0 }
        const h = serializeHead(status, list ?? ourHeaders, { ...opts, validated: list !== null })
        ours = { ok: true, text: maskDate(h.text), last: h.last, chunked: h.chunked, hasBody: h.hasBody }
      } catch (e) { ours = fail(e) }
      t.same(ours, nodeOut)
      return JSON.stringify(ours) === JSON.stringify(nodeOut)
    }), { numRuns: 1500 })
  t.ok(merged > 500, `the merge path ran (${merged})`)
})

t.test('a flat header list merged into setHeader headers as this Node\'s writeHead merges it', async t => {
  // Node 20: setHeader per pair. Node 22 and later: removeHeader of every
  // listed name, then appendHeader per pair (duplicates kept, merged names
  // last, removeHeader's flags set): the order, the duplicates and the
  // Date / Connection / Content-Length / Transfer-Encoding lines differ.
  const cases: [string, [string, HeaderValue][], unknown[], State?][] = [
    ['a repeated name', [['a', '1'], ['b', '2']], ['a', '3', 'a', '4']],
    ['a name set before, in another case', [['X-A', '1'], ['z', '2']], ['x-a', '3']],
    ['Content-Length with no value', [['x', '1']], ['content-length', []], { contentLength: 17 }],
    ['Transfer-Encoding with no value', [['x', '1']], ['Transfer-Encoding', []]],
    ['Connection with no value', [['x', '1']], ['Connection', []]],
    ['Date with no value', [['x', '1']], ['Date', []], { sendDate: true }],
    ['an empty name', [['x', '1']], ['', 'v', 'y', '2']],
    ['a Keep-Alive set before and listed again', [['Keep-Alive', ['']]], ['!', '', 'Keep-Alive', 0]],
    ['Set-Cookie twice', [['set-cookie', 'a=1']], ['Set-Cookie', 'b=2', 'set-cookie', ['c=3', 'd=4']]],
    ['a Trailer without chunking', [['x', '1']], ['trailer', 'x', 'content-length', 0]],
    ['a name that is not a string', [['x', '1']], [7, 'v']]
  ]
  for (const [name, preset, list, state] of cases) {
    const o: State = { sendDate: false, ...state }
    const outcome = (ours: boolean): Outcome => {
      const res = nodeResponse(o)
      for (const [k, v] of preset) res.setHeader(k, (Array.isArray(v) ? [...v] : v) as string | number | string[])
      const headers = list.map(v => Array.isArray(v) ? [...v] : v) as unknown as OutgoingHeaders
      try {
        if (!ours) {
          res.writeHead(200, headers as http.OutgoingHttpHeaders)
          const r = res as unknown as { _header: string, _last: boolean, chunkedEncoding: boolean, _hasBody: boolean }
          return { ok: true, text: maskDate(r._header), last: r._last, chunked: r.chunkedEncoding && r._hasBody, hasBody: r._hasBody }
        }
        const entries = responseHeaderEntries(res, headers)
        const h = serializeHead(200, entries, { ...headOptionsFromResponse(res), validated: true })
        return { ok: true, text: maskDate(h.text), last: h.last, chunked: h.chunked, hasBody: h.hasBody }
      } catch (e) { return fail(e) }
    }
    t.same(outcome(true), outcome(false), name)
  }
})

t.test('header values of a lenient server are checked as this Node checks them', async t => {
  // Node 24 and later validate with the Fetch rules (only NUL, CR, LF and
  // characters above 0xff refused) when the server is lenient; Node 20 and
  // 22 refuse every control character whatever the server.
  const servers: [string, object][] = [['default', {}], ['insecureHTTPParser', { insecureHTTPParser: true }],
    ['httpValidation relaxed', { httpValidation: 'relaxed' }], ['httpValidation strict', { httpValidation: 'strict', insecureHTTPParser: true }]]
  for (const [label, server] of servers) {
    for (const value of ['a\x01b', 'a\x7f', '\x1f', 'a\x00', 'a\rb', 'a\nb', '\u0100', 'caf\u00e9']) {
      const make = (): http.ServerResponse => new http.ServerResponse({ method: 'GET', httpVersionMajor: 1, httpVersionMinor: 1, headers: {}, rawHeaders: [], socket: { server } } as unknown as http.IncomingMessage)
      const nodeRes = make()
      let nodeOut: Outcome
      try {
        nodeRes.writeHead(200, { 'x-v': value, 'content-length': 0 })
        nodeOut = { ok: true, text: maskDate((nodeRes as unknown as { _header: string })._header), last: false, chunked: false, hasBody: true }
      } catch (e) { nodeOut = fail(e) }
      let ours: Outcome
      try {
        const h = serializeHead(200, { 'x-v': value, 'content-length': 0 }, headOptionsFromResponse(make()))
        ours = { ok: true, text: maskDate(h.text), last: false, chunked: false, hasBody: true }
      } catch (e) { ours = fail(e) }
      t.same(ours, nodeOut, `${label}: ${JSON.stringify(value)}`)
    }
  }
})
