/**
 * The scenario corpus of the differential harness: one set of routes, built
 * into an app with and without the plugin, and the raw requests both answer.
 * Each scenario is the exact bytes a client sends (several requests when
 * pipelined) and how many final responses come back.
 */
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { Readable } from 'node:stream'
import type { FastifyInstance, FastifyServerOptions } from 'fastify'

export interface Scenario {
  name: string
  config: keyof typeof configs
  /** Raw request bytes, possibly several pipelined requests. */
  request: string
  /** Final (non-1xx) responses expected before the comparison is made. */
  responses: number
  /** Methods of the requests in order (HEAD responses have no body). */
  methods: string[]
  /** The client half-closes (FIN) right after writing the request. */
  halfClose?: boolean
}

export const configs = {
  default: {} as FastifyServerOptions,
  limited: { maxRequestsPerSocket: 3 } as FastifyServerOptions,
  shortKeepAlive: { keepAliveTimeout: 2000 } as FastifyServerOptions,
}

/** Deterministic bytes: the same for both apps, not all one value. */
export function pattern(n: number): Buffer {
  const b = Buffer.allocUnsafe(n)
  for (let i = 0; i < n; i++) b[i] = (i * 31 + (i >> 8)) & 0xff
  return b
}

const fileDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vectored-diff-'))
const files = new Map<number, string>()
export function fileOf(n: number): string {
  let f = files.get(n)
  if (f === undefined) {
    f = path.join(fileDir, `f${n}`)
    fs.writeFileSync(f, pattern(n))
    files.set(n, f)
  }
  return f
}
export function removeFiles(): void {
  fs.rmSync(fileDir, { recursive: true, force: true })
}

const buffers = new Map<number, Buffer>()
function buf(n: number): Buffer {
  let b = buffers.get(n)
  if (b === undefined) buffers.set(n, (b = pattern(n)))
  return b
}

function chunks(n: number, size = 16 * 1024): Buffer[] {
  const out: Buffer[] = []
  const all = buf(n)
  for (let i = 0; i < n; i += size) out.push(all.subarray(i, Math.min(n, i + size)))
  return out
}

export const SIZES = [0, 1, 100, 4096, 65536, 65537, 1 << 20, 16 << 20]

/** Registers every route of the corpus on `app`. */
export function routes(app: FastifyInstance): void {
  app.get('/json/:n', async (req) => {
    const n = Number((req.params as { n: string }).n)
    return { items: Array.from({ length: n }, (_, i) => ({ i, name: `item-${i}`, ok: i % 2 === 0 })) }
  })
  app.get('/json-sync', (req, reply) => { reply.send({ hello: 'world' }) })
  app.get('/schema', {
    schema: { response: { 200: { type: 'object', properties: { id: { type: 'integer' }, name: { type: 'string' } } } } },
  }, async () => ({ id: 7, name: 'seven', secret: 'dropped by the schema' }))
  app.get('/string/:n', async (req) => 'x'.repeat(Number((req.params as { n: string }).n)))
  app.get('/utf8', async (_req, reply) => { reply.type('text/plain; charset=utf-8'); return 'héllo wörld ✓ 日本語 🚀' })
  app.get('/buffer/:n', async (req) => buf(Number((req.params as { n: string }).n)))
  app.get('/typed', async () => new Uint16Array([1, 2, 3, 65535]))
  app.get('/null', (_req, reply) => { reply.send(null) })
  app.get('/undefined', (_req, reply) => { reply.send() })
  app.get('/empty', async () => '')
  app.get('/status/:code', (req, reply) => {
    reply.code(Number((req.params as { code: string }).code)).send('status body')
  })
  app.get('/status-empty/:code', (req, reply) => { reply.code(Number((req.params as { code: string }).code)).send() })
  app.get('/stream/:n', (req, reply) => { reply.send(Readable.from(chunks(Number((req.params as { n: string }).n)))) })
  app.get('/stream-cl/:n', (req, reply) => {
    const n = Number((req.params as { n: string }).n)
    reply.header('content-length', n).send(Readable.from(chunks(n)))
  })
  app.get('/webstream/:n', (req, reply) => {
    const parts = chunks(Number((req.params as { n: string }).n))
    let i = 0
    reply.send(new ReadableStream({
      pull(c) { if (i < parts.length) c.enqueue(new Uint8Array(parts[i++]!)); else c.close() },
    }))
  })
  app.get('/response/:n', async (req) => {
    const n = Number((req.params as { n: string }).n)
    return new Response(buf(n), { status: 202, headers: { 'x-from': 'response', 'content-type': 'application/x-test' } })
  })
  app.get('/file/:n', (req, reply) => {
    reply.send(fs.createReadStream(fileOf(Number((req.params as { n: string }).n))))
  })
  app.get('/file-cl/:n', (req, reply) => {
    const n = Number((req.params as { n: string }).n)
    reply.header('content-length', n).type('application/octet-stream').send(fs.createReadStream(fileOf(n)))
  })
  app.get('/file-range/:n', (req, reply) => {
    const n = Number((req.params as { n: string }).n)
    const start = Math.floor(n / 3)
    const end = n - 2
    reply.code(206).header('content-length', end - start + 1).send(fs.createReadStream(fileOf(n), { start, end }))
  })
  app.get('/error', async () => { throw new Error('boom') })
  app.get('/error-sync', () => { throw Object.assign(new Error('teapot'), { statusCode: 418 }) })
  app.get('/error-stream', (_req, reply) => {
    reply.send(new Readable({ read() { this.destroy(new Error('stream failed before data')) } }))
  })
  app.get('/missing-file', (_req, reply) => { reply.send(fs.createReadStream('/nonexistent/vectored-test')) })
  app.register(async (child) => {
    child.setErrorHandler<Error>(async (err, _req, reply) => {
      reply.code(409).header('x-handled', 'custom')
      return { custom: true, message: err.message }
    })
    child.get('/custom-error', async () => { throw new Error('handled by child') })
    child.setNotFoundHandler((req, reply) => { reply.code(404).send(`no ${req.url} here`) })
  }, { prefix: '/child' })
  app.get('/headers', (_req, reply) => {
    reply.header('X-Mixed-Case', 'Value').header('set-cookie', ['a=1; Path=/', 'b=2; HttpOnly', 'c=3'])
      .header('x-multi', ['one', 'two']).header('cache-control', 'no-store').send({ ok: true })
  })
  app.get('/close', (_req, reply) => { reply.header('connection', 'close').send('closing') })
  app.get('/redirect', (_req, reply) => { reply.redirect('/json-sync') })
  app.get('/early-hints', async (_req, reply) => {
    reply.writeEarlyHints({ link: '</style.css>; rel=preload; as=style' })
    return 'after hints'
  })
  app.get('/raw', (_req, reply) => {
    reply.hijack()
    reply.raw.writeHead(200, { 'content-type': 'text/plain', 'x-raw': 'yes' })
    reply.raw.end('raw body')
  })
  app.get('/raw-write', (_req, reply) => {
    reply.hijack()
    reply.raw.setHeader('content-type', 'text/plain')
    reply.raw.write('part one, ')
    reply.raw.write(buf(1000))
    setImmediate(() => reply.raw.end('the end'))
  })
  app.get('/trailers', (_req, reply) => {
    reply.trailer('x-checksum', async () => 'abc123')
    reply.send('with trailers')
  })
  app.get('/slow/:ms', async (req) => {
    await new Promise((r) => setTimeout(r, Number((req.params as { ms: string }).ms)))
    return { waited: (req.params as { ms: string }).ms }
  })
  app.post('/echo', async (req) => req.body)
  app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer' }, (_req, body, done) => done(null, body))
  app.post('/echo-buffer', async (req) => req.body)
  app.put('/put', async (req) => ({ method: req.method, body: req.body }))
  app.delete('/item/:id', async (req, reply) => { reply.code(204) })
  app.patch('/item/:id', async (req) => ({ patched: (req.params as { id: string }).id }))
  app.options('/opt', async (_req, reply) => { reply.header('allow', 'GET, OPTIONS').code(200).send() })
  app.register(async (hooked) => {
    hooked.addHook('onRequest', async (req, reply) => {
      if (req.headers['x-deny'] !== undefined) return reply.code(401).send({ denied: true })
    })
    hooked.addHook('onSend', async (_req, reply, payload) => {
      reply.header('x-onsend', 'yes')
      return typeof payload === 'string' ? payload.replace('hook', 'HOOK') : payload
    })
    hooked.addHook('preHandler', async (req) => { (req as unknown as { pre: string }).pre = 'set' })
    hooked.get('/', async (req) => ({ via: 'hook', pre: (req as unknown as { pre: string }).pre }))
    hooked.get('/throw', async () => { throw new Error('hooked error') })
  }, { prefix: '/hooked' })
}

function get(p: string, extra = ''): string {
  return `GET ${p} HTTP/1.1\r\nHost: t\r\n${extra}\r\n`
}

function one(name: string, request: string, method = 'GET', config: Scenario['config'] = 'default'): Scenario {
  return { name, config, request, responses: 1, methods: [method] }
}

/** ≥ 200 scenarios, built from the routes above. */
export function scenarios(): Scenario[] {
  const out: Scenario[] = []
  const paths = [
    '/json/0', '/json/3', '/json/2000', '/json-sync', '/schema', '/utf8', '/typed', '/null', '/undefined', '/empty',
    '/string/0', '/string/10', '/string/70000', '/error', '/error-sync', '/error-stream', '/missing-file',
    '/child/custom-error', '/child/nothing', '/nothing', '/headers', '/redirect', '/early-hints', '/raw', '/raw-write',
    '/trailers', '/hooked/', '/hooked/throw', '/slow/5', '/webstream/0', '/webstream/100000', '/response/0',
    '/response/5000',
  ]
  for (const size of SIZES) {
    paths.push(`/buffer/${size}`, `/stream-cl/${size}`, `/file-cl/${size}`)
    if (size <= 65536) paths.push(`/file/${size}`)
    if (size <= 1 << 20) paths.push(`/stream/${size}`)
  }
  paths.push('/file-range/100000')
  for (const code of [200, 201, 202, 204, 206, 301, 304, 400, 404, 410, 418, 500, 503]) {
    paths.push(`/status/${code}`)
    if (code === 204 || code === 304 || code === 200) paths.push(`/status-empty/${code}`)
  }
  for (const p of paths) {
    out.push(one(`GET ${p}`, get(p)))
    const big = /\/(16777216|1048576)$/.test(p)
    if (!big && p !== '/early-hints') out.push(one(`HEAD ${p}`, `HEAD ${p} HTTP/1.1\r\nHost: t\r\n\r\n`, 'HEAD'))
  }
  // HTTP/1.0 clients, with and without keep-alive; Connection: close on 1.1.
  for (const p of ['/json-sync', '/string/10', '/buffer/100000', '/stream/5000', '/file/1000', '/null', '/status/204', '/error', '/nothing']) {
    out.push(one(`HTTP/1.0 ${p}`, `GET ${p} HTTP/1.0\r\n\r\n`))
    out.push(one(`HTTP/1.0 keep-alive ${p}`, `GET ${p} HTTP/1.0\r\nConnection: keep-alive\r\n\r\n`))
    out.push(one(`close ${p}`, get(p, 'Connection: close\r\n')))
  }
  out.push(one('reply connection: close', get('/close')))
  out.push(one('onRequest denies', get('/hooked/', 'X-Deny: 1\r\n')))
  out.push(one('Accept header', get('/json/3', 'Accept: application/json\r\nAccept-Encoding: gzip\r\n')))
  // Bodies, methods.
  const json = '{"a":1,"b":[1,2,3],"c":"héllo"}'
  out.push(one('POST json', `POST /echo HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(json)}\r\n\r\n${json}`, 'POST'))
  out.push(one('POST bad json', `POST /echo HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 5\r\n\r\n{bad}`, 'POST'))
  out.push(one('POST unsupported type', `POST /echo HTTP/1.1\r\nHost: t\r\nContent-Type: text/x-nope\r\nContent-Length: 2\r\n\r\nhi`, 'POST'))
  out.push(one('POST buffer', `POST /echo-buffer HTTP/1.1\r\nHost: t\r\nContent-Type: application/octet-stream\r\nContent-Length: 5\r\n\r\nhello`, 'POST'))
  out.push(one('POST chunked body', `POST /echo HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n7\r\n{"a":1}\r\n0\r\n\r\n`, 'POST'))
  out.push(one('POST expect 100-continue', `POST /echo HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: 7\r\n\r\n{"a":1}`, 'POST'))
  out.push(one('PUT', `PUT /put HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}`, 'PUT'))
  out.push(one('DELETE 204', `DELETE /item/9 HTTP/1.1\r\nHost: t\r\n\r\n`, 'DELETE'))
  out.push(one('PATCH', `PATCH /item/9 HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n`, 'PATCH'))
  out.push(one('OPTIONS', `OPTIONS /opt HTTP/1.1\r\nHost: t\r\n\r\n`, 'OPTIONS'))
  out.push(one('method not routed', `PATCH /json-sync HTTP/1.1\r\nHost: t\r\n\r\n`, 'PATCH'))
  out.push(one('unknown method', `FOO / HTTP/1.1\r\nHost: t\r\n\r\n`, 'FOO'))
  out.push(one('missing Host', `GET /json-sync HTTP/1.1\r\n\r\n`))
  out.push(one('bad request line', `GARBAGE\r\n\r\n`))
  // Pipelines: order, early writes, mixing sync, async, slow, streams, close.
  const pipelines: string[][] = [
    ['/json-sync', '/json-sync'],
    Array(10).fill('/json-sync'),
    Array(10).fill('/json/3'),
    ['/slow/30', '/json-sync', '/slow/5', '/string/10'],
    ['/json-sync', '/stream/70000', '/json-sync'],
    ['/buffer/1048576', '/json-sync', '/file-cl/100000', '/null'],
    ['/json-sync', '/error', '/nothing', '/headers', '/status/204', '/redirect'],
    ['/raw', '/json-sync', '/raw-write', '/json-sync'],
    ['/trailers', '/json-sync', '/webstream/1000'],
    ['/slow/20', '/file/1000', '/buffer/100'],
    ['/early-hints', '/json-sync'],
    ['/response/100', '/schema', '/typed'],
    ['/json-sync', '/close', '/json-sync'],
    Array(5).fill('/buffer/65537'),
  ]
  pipelines.forEach((list, i) => {
    out.push({ name: `pipeline ${i}: ${list.join(' ')}`, config: 'default', request: list.map((p) => get(p)).join(''), responses: list.includes('/close') ? list.indexOf('/close') + 1 : list.length, methods: list.map(() => 'GET') })
    const heads = list.map((p, j) => (j % 2 === 1 ? 'HEAD' : 'GET'))
    if (!list.includes('/early-hints')) {
      out.push({ name: `pipeline ${i} GET/HEAD mix`, config: 'default', request: list.map((p, j) => `${heads[j]} ${p} HTTP/1.1\r\nHost: t\r\n\r\n`).join(''), responses: list.includes('/close') ? list.indexOf('/close') + 1 : list.length, methods: heads })
    }
  })
  out.push({ name: 'pipeline ending in Connection: close', config: 'default', request: get('/json-sync') + get('/string/10', 'Connection: close\r\n') + get('/json-sync'), responses: 2, methods: ['GET', 'GET'] })
  out.push({ name: 'pipelined HTTP/1.0', config: 'default', request: 'GET /json-sync HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /string/10 HTTP/1.0\r\n\r\n', responses: 2, methods: ['GET', 'GET'] })
  // maxRequestsPerSocket: 3, and a short keepAliveTimeout.
  out.push({ name: 'maxRequestsPerSocket 3, five pipelined', config: 'limited', request: Array(5).fill(get('/json-sync')).join(''), responses: 5, methods: Array(5).fill('GET') })
  out.push({ name: 'maxRequestsPerSocket 3, one', config: 'limited', request: get('/json/3'), responses: 1, methods: ['GET'] })
  out.push({ name: 'keepAliveTimeout 2s', config: 'shortKeepAlive', request: get('/json/3'), responses: 1, methods: ['GET'] })
  out.push({ name: 'keepAliveTimeout 2s, HTTP/1.0', config: 'shortKeepAlive', request: 'GET /json/3 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n', responses: 1, methods: ['GET'] })
  // A client that half-closes right after its request(s): Node ends the socket on the
  // FIN once the responses are out; bytes still in the writer (1 MiB waits on EAGAIN) must go first.
  const halfClosed: string[][] = [
    ['/json-sync'], ['/json/3'], ['/buffer/1048576'], ['/stream/70000'],
    Array(10).fill('/json-sync'), ['/json-sync', '/buffer/1048576', '/json-sync'], ['/json-sync', '/close', '/json-sync'],
  ]
  for (const list of halfClosed) {
    out.push({ name: `half-closed client: ${list.join(' ')}`, config: 'default', request: list.map((p) => get(p)).join(''), responses: list.includes('/close') ? list.indexOf('/close') + 1 : list.length, methods: list.map(() => 'GET'), halfClose: true })
  }
  // A response not ready when the FIN is read: Node ends the connection, neither answers.
  out.push({ name: 'half-closed client: /slow/20', config: 'default', request: get('/slow/20'), responses: 0, methods: ['GET'], halfClose: true })
  return out
}
