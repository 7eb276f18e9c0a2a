/**
 * fs.ReadStream bodies on the transport (reply.sendFile, @fastify/static):
 * sent with sendfile, bytes equal to the stream path's (a PassThrough in
 * front of the same file, and stock Fastify on node:http for
 * @fastify/static), Date aside; HEAD and the odd cases stay stock.
 */
import t from 'tap'
import * as fs from 'node:fs'
import * as net from 'node:net'
import * as os from 'node:os'
import * as path from 'node:path'
import { PassThrough } from 'node:stream'
import Fastify, { type FastifyInstance } from 'fastify'
import fastifyStatic from '@fastify/static'
import vectored, { vectoredServer } from '@vectored/server'
import { maskDates, rawRequest } from '../helpers/raw-http'

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vectored-transport-sendfile-'))
const file = path.join(dir, 'data.bin')
const data = Buffer.alloc(3 * 1024 * 1024)
for (let i = 0; i < data.length; i++) data[i] = (i * 7 + (i >> 11)) & 0xff
fs.writeFileSync(file, data)
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))

const RANGE = { start: 10, end: 1000009 }

function portOf(app: FastifyInstance): number {
  return (app.server.address() as net.AddressInfo).port
}

async function transportApp(): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, serverFactory: vectoredServer() })
  await app.register(vectored)
  await app.register(fastifyStatic, { root: dir, prefix: '/static/', decorateReply: false })
  app.get('/file', (_req, reply) => { reply.sendFile(file) })
  app.get('/range', (_req, reply) => { reply.code(206).sendFile(file, RANGE) })
  // Today's stream path: the same file behind a PassThrough, so the response never sees an fs.ReadStream.
  const viaStream = (start: number, end: number) => fs.createReadStream(file, { start, end }).pipe(new PassThrough())
  app.get('/ref/file', (_req, reply) => {
    reply.type('application/octet-stream').header('content-length', data.length).send(viaStream(0, data.length - 1))
  })
  app.get('/ref/range', (_req, reply) => {
    reply.code(206).type('application/octet-stream').header('content-length', RANGE.end - RANGE.start + 1).send(viaStream(RANGE.start, RANGE.end))
  })
  // No Content-Length: chunked framing, stock (one chunk per read).
  app.get('/chunked', (_req, reply) => { reply.type('application/octet-stream').send(fs.createReadStream(file)) })
  // A trailer: stock.
  app.get('/trailer', (_req, reply) => {
    reply.type('application/octet-stream').trailer('x-t', (_r, _p, done) => done(null, 'v')).send(fs.createReadStream(file))
  })
  // A Content-Length that contradicts the stream's range: stock (sendfile would send other bytes).
  app.get('/mismatch', (_req, reply) => {
    reply.type('application/octet-stream').header('content-length', 100).send(fs.createReadStream(file, { start: 0, end: 49 }))
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  return app
}

async function get(port: number, url: string, method = 'GET'): Promise<Buffer> {
  const r = await rawRequest(port, `${method} ${url} HTTP/1.1\r\nHost: x\r\n\r\n`, 1, [method], 10000)
  return maskDates(r.bytes)
}

function split(bytes: Buffer): { head: string; body: Buffer } {
  const end = bytes.indexOf('\r\n\r\n', 0, 'latin1')
  return { head: bytes.toString('latin1', 0, end + 4), body: bytes.subarray(end + 4) }
}

t.test('reply.sendFile and a range: byte-exact, by sendfile', async (t) => {
  const app = await transportApp()
  t.teardown(() => app.close())
  const port = portOf(app)
  t.equal(app.vectored.active, true)
  for (const [url, ref, expected] of [
    ['/file', '/ref/file', data],
    ['/range', '/ref/range', data.subarray(RANGE.start, RANGE.end + 1)],
  ] as const) {
    const before = app.vectored.stats()
    const got = await get(port, url)
    const mid = app.vectored.stats()
    const want = await get(port, ref)
    const after = app.vectored.stats()
    t.ok(got.equals(want), `${url}: the bytes of the stream path`)
    t.ok(split(got).body.equals(expected), `${url}: body intact (${expected.length} bytes)`)
    t.match(split(got).head, new RegExp(`\r\nContent-Length: ${expected.length}\r\n`, 'i'))
    t.ok(mid.sendfileBytes - before.sendfileBytes >= expected.length, `${url}: sent by sendfile`)
    t.equal(mid.files - before.files, 1, `${url}: one file body`)
    t.equal(after.sendfileBytes, mid.sendfileBytes, `${url}: the PassThrough reference does not use sendfile`)
  }
})

t.test('@fastify/static (decorateReply: false): byte-exact against stock Fastify, by sendfile', async (t) => {
  const app = await transportApp()
  t.teardown(() => app.close())
  const stock = Fastify({ logger: false })
  await stock.register(fastifyStatic, { root: dir, prefix: '/static/', decorateReply: false })
  await stock.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => stock.close())
  const port = portOf(app)

  const before = app.vectored.stats()
  const got = await get(port, '/static/data.bin')
  const after = app.vectored.stats()
  t.ok(got.equals(await get(portOf(stock), '/static/data.bin')), 'same bytes as stock')
  t.ok(split(got).body.equals(data), 'body intact')
  t.ok(after.sendfileBytes - before.sendfileBytes >= data.length, 'sent by sendfile')

  // A Range request: @fastify/send's ranged ReadStream.
  const rangeReq = `GET /static/data.bin HTTP/1.1\r\nHost: x\r\nRange: bytes=${RANGE.start}-${RANGE.end}\r\n\r\n`
  const b2 = app.vectored.stats()
  const ranged = maskDates((await rawRequest(port, rangeReq, 1, ['GET'], 10000)).bytes)
  const a2 = app.vectored.stats()
  const stockRanged = maskDates((await rawRequest(portOf(stock), rangeReq, 1, ['GET'], 10000)).bytes)
  t.ok(ranged.equals(stockRanged), 'range: same bytes as stock')
  t.match(split(ranged).head, /^HTTP\/1\.1 206 /)
  t.ok(split(ranged).body.equals(data.subarray(RANGE.start, RANGE.end + 1)), 'range: body intact')
  t.ok(a2.sendfileBytes - b2.sendfileBytes >= RANGE.end - RANGE.start + 1, 'range: sent by sendfile')
})

t.test('HEAD has no body and uses no sendfile', async (t) => {
  const app = await transportApp()
  t.teardown(() => app.close())
  const port = portOf(app)
  for (const url of ['/file', '/range', '/static/data.bin']) {
    const before = app.vectored.stats()
    const r = await rawRequest(port, `HEAD ${url} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`, 1, ['HEAD'], 10000)
    const after = app.vectored.stats()
    const { head, body } = split(r.bytes)
    t.equal(body.length, 0, `${url}: no body`)
    t.match(head, /\r\nContent-Length: \d+\r\n/i, `${url}: Content-Length kept`)
    t.equal(after.sendfileBytes, before.sendfileBytes, `${url}: no sendfile`)
  }
})

t.test('pipelined file requests arrive whole and in order', async (t) => {
  const app = await transportApp()
  t.teardown(() => app.close())
  const port = portOf(app)
  const req = 'GET /range HTTP/1.1\r\nHost: x\r\n\r\nGET /file HTTP/1.1\r\nHost: x\r\n\r\nGET /static/data.bin HTTP/1.1\r\nHost: x\r\n\r\n'
  const r = await rawRequest(port, req, 3, ['GET', 'GET', 'GET'], 10000)
  t.equal(r.responses, 3)
  const single = Buffer.concat([await get(port, '/ref/range'), await get(port, '/ref/file'), await get(port, '/static/data.bin')])
  t.ok(maskDates(r.bytes).equals(single), 'the bytes of three separate responses')
})

t.test('no Content-Length, trailers, a contradicting length: the stream path, as before', async (t) => {
  const app = await transportApp()
  t.teardown(() => app.close())
  const port = portOf(app)
  for (const url of ['/chunked', '/trailer']) {
    const before = app.vectored.stats()
    const bytes = await get(port, url)
    const after = app.vectored.stats()
    t.equal(after.sendfileBytes, before.sendfileBytes, `${url}: no sendfile`)
    const { head, body } = split(bytes)
    t.match(head, /\r\nTransfer-Encoding: chunked\r\n/i)
    // Decode the chunks.
    const parts: Buffer[] = []
    let off = 0
    for (;;) {
      const eol = body.indexOf('\r\n', off, 'latin1')
      const size = parseInt(body.toString('latin1', off, eol), 16)
      if (size === 0) break
      parts.push(body.subarray(eol + 2, eol + 2 + size))
      off = eol + 2 + size + 2
    }
    t.ok(Buffer.concat(parts).equals(data), `${url}: body intact`)
    if (url === '/trailer') t.match(body.toString('latin1', off), /^0\r\nx-t: v\r\n\r\n$/i, 'trailer sent')
  }
  // 50 bytes under a Content-Length of 100: stock writes the 50 and the client waits; no sendfile of 100.
  const before = app.vectored.stats()
  const r = await rawRequest(port, 'GET /mismatch HTTP/1.1\r\nHost: x\r\n\r\n', 1, ['GET'], 500)
  const after = app.vectored.stats()
  t.equal(after.sendfileBytes, before.sendfileBytes, '/mismatch: no sendfile')
  t.ok(split(r.bytes).body.equals(data.subarray(0, 50)), '/mismatch: the stream bytes only')
})
