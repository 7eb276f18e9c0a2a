/**
 * The plugin's own surface: decorators, stats, the reason (no log lines), fallbacks, and
 * what Fastify and Node observe around a direct write (hooks, log, flags), with
 * both owners of the connections: vectored's (the default) and node:http's.
 */
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { Writable } from 'node:stream'
import t from 'tap'
import Fastify from 'fastify'
import * as http from 'node:http'
import * as net from 'node:net'
import vectored, { vectored as named, TransportResponse, VectoredResponse, type VectoredOptions } from '@vectored/server'
import { request } from 'undici'
import { maskDates, rawRequest } from './helpers/raw-http'

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vectored-plugin-'))
const file = path.join(dir, 'data.bin')
const data = Buffer.alloc(3 << 20)
for (let i = 0; i < data.length; i++) data[i] = (i * 7) & 0xff
fs.writeFileSync(file, data)
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))

function logSink() {
  const lines: Record<string, unknown>[] = []
  const stream = new Writable({ write(chunk, _enc, cb) { lines.push(JSON.parse(String(chunk))); cb() } })
  return { lines, stream }
}

t.test('default and named exports are the same plugin', async (t) => {
  t.equal(vectored, named)
})

/** Both owners of a node:http server's connections, and the class of reply.raw with each. */
const modes: { connections: NonNullable<VectoredOptions['connections']>; raw: Function; path: RegExp }[] = [
  { connections: 'vectored', raw: TransportResponse, path: /, vectored connections$/ },
  { connections: 'node', raw: VectoredResponse, path: /, node:http connections \(the connections: 'node' option\)$/ },
]

for (const mode of modes) t.test(`connections: '${mode.connections}'`, async (t) => {
  t.test('sendVector, sendFile with a range, stats, no log lines', async (t) => {
    const log = logSink()
    const app = Fastify({ logger: { level: 'debug', stream: log.stream } })
    await app.register(vectored, { connections: mode.connections })
    app.get('/vector', (_req, reply) => reply.sendVector([Buffer.from('he'), new Uint8Array([108, 108]), Buffer.from('o')]))
    app.get('/file', (_req, reply) => reply.sendFile(file))
    app.get('/range', (_req, reply) => reply.code(206).sendFile(file, { start: 10, end: 1000009 }))
    app.get('/missing', (_req, reply) => reply.sendFile(path.join(dir, 'nope')))
    await app.listen({ port: 0, host: '127.0.0.1' })
    t.teardown(() => app.close())
    const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`
    t.same(log.lines.filter((l) => String(l.msg).includes('vectored')), [], 'no log line of its own: users and the tests of Fastify count exact lines')
    t.match(app.vectored.reason, /native|portable/)
    t.match(app.vectored.reason, mode.path)
    t.equal(app.vectored.active, true)
    t.ok(app.server instanceof http.Server, 'the server is still the node:http Server')

    const before = app.vectored.stats()
    const v = await request(`${base}/vector`)
    t.equal(await v.body.text(), 'hello')
    t.equal(v.headers['content-length'], '5')
    const f = await request(`${base}/file`)
    t.ok(Buffer.from(await f.body.arrayBuffer()).equals(data), '3 MiB file intact')
    const r = await request(`${base}/range`)
    t.equal(r.statusCode, 206)
    t.ok(Buffer.from(await r.body.arrayBuffer()).equals(data.subarray(10, 1000010)), 'range intact')
    const m = await request(`${base}/missing`)
    t.equal(m.statusCode, 404)
    await m.body.dump()
    const after = app.vectored.stats()
    t.ok(after.sendfileBytes - before.sendfileBytes >= data.length + 1000000, 'file bodies went by sendfile')
    t.ok(after.responses > before.responses)
    t.ok(after.directWrites > before.directWrites)
    t.equal(after.files - before.files, 2, 'two file bodies by sendfile')
    for (const key of ['shortWrites', 'eagainWaits', 'batchedResponses', 'bytes', 'fallbacks'] as const) t.ok(key in after, key)
  })

  t.test('hooks, the completed log, reply and raw flags around a direct write', async (t) => {
    const log = logSink()
    const app = Fastify({ logger: { level: 'info', stream: log.stream } })
    await app.register(vectored, { connections: mode.connections })
    const seen: string[] = []
    let rawState: unknown = null
    app.addHook('onRequest', async () => { seen.push('onRequest') })
    app.addHook('onSend', async () => { seen.push('onSend') })
    app.addHook('onError', async () => { seen.push('onError') })
    app.addHook('onResponse', async (_req, reply) => {
      seen.push('onResponse')
      rawState = { sent: reply.sent, headersSent: reply.raw.headersSent, ended: reply.raw.writableEnded, finished: reply.raw.writableFinished, direct: reply.raw instanceof mode.raw }
    })
    app.get('/ok', async () => ({ ok: true }))
    app.get('/fail', async () => { throw new Error('nope') })
    await app.listen({ port: 0, host: '127.0.0.1' })
    t.teardown(() => app.close())
    const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`
    const ok = await request(`${base}/ok`)
    t.same(await ok.body.json(), { ok: true })
    await new Promise((r) => setTimeout(r, 20))
    t.same(seen, ['onRequest', 'onSend', 'onResponse'])
    t.same(rawState, { sent: true, headersSent: true, ended: true, finished: true, direct: true })
    const done = log.lines.filter((l) => l.msg === 'request completed')
    t.equal(done.length, 1)
    t.equal(typeof done[0]!.responseTime, 'number')
    seen.length = 0
    const fail = await request(`${base}/fail`)
    t.equal(fail.statusCode, 500)
    await fail.body.dump()
    await new Promise((r) => setTimeout(r, 20))
    t.same(seen, ['onRequest', 'onError', 'onSend', 'onResponse'])
  })

  t.test('Connection: close is honoured and the socket closes after the reply', async (t) => {
    const app = Fastify()
    await app.register(vectored, { connections: mode.connections })
    app.get('/', async () => 'bye')
    await app.listen({ port: 0, host: '127.0.0.1' })
    t.teardown(() => app.close())
    const port = (app.server.address() as { port: number }).port
    const r = await rawRequest(port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 1, ['GET'], 5000)
    t.equal(r.responses, 1)
    t.ok(r.closed, 'server closed the connection')
    t.match(r.bytes.toString(), /Connection: close\r\n/)
  })

  t.test('server.close() with forceCloseConnections ends idle keep-alive sockets', async (t) => {
    const app = Fastify({ forceCloseConnections: true })
    await app.register(vectored, { connections: mode.connections })
    app.get('/', async () => 'x')
    await app.listen({ port: 0, host: '127.0.0.1' })
    const port = (app.server.address() as { port: number }).port
    const r = rawRequest(port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /slow HTTP/1.1\r\nHost: x\r\n\r\n', 3, ['GET', 'GET'], 5000)
    await new Promise((res) => setTimeout(res, 100))
    const began = Date.now()
    await app.close()
    t.ok(Date.now() - began < 2000, 'close did not wait for keep-alive')
    const result = await r
    t.ok(result.closed)
    t.ok(result.responses >= 1)
  })

  t.test('sendVector sends the bytes stock Fastify sends for the joined Buffer, hooks or not', async (t) => {
    // Every piece handed to sendVector, so joins of them can be told from other joins.
    const handed = new WeakSet<Uint8Array>()
    const pieces = () => {
      const list = [Buffer.from('head|'), Buffer.alloc(0), Buffer.alloc(70_000, 1), new Uint8Array([2, 3, 4])]
      for (const piece of list) handed.add(piece)
      return list
    }
    const joined = Buffer.concat(pieces())
    async function serve(plugin: boolean, onSend: boolean) {
      const app = Fastify()
      if (plugin) await app.register(vectored, { connections: mode.connections })
      if (onSend) app.addHook('onSend', async (_req, reply, payload) => (reply.header('x-hooked', '1'), payload))
      app.get('/v', (_req, reply) => {
        reply.code(201).header('x-extra', 'yes').type('application/x-test')
        return plugin ? reply.sendVector(pieces()) : reply.send(Buffer.concat(pieces()))
      })
      await app.listen({ port: 0, host: '127.0.0.1' })
      return app
    }
    for (const onSend of [false, true]) {
      const stock = await serve(false, onSend)
      const ours = await serve(true, onSend)
      const port = (app: typeof stock) => (app.server.address() as { port: number }).port
      for (const method of ['GET', 'HEAD']) {
        const request = `${method} /v HTTP/1.1\r\nHost: x\r\n\r\n${method} /v HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`
        const a = await rawRequest(port(stock), request, 2, [method, method])
        // Counts the joins made while the plugin app answers: none without hooks.
        const concat = Buffer.concat
        let joins = 0
        Buffer.concat = ((list: readonly Uint8Array[], length?: number) => {
          if (list.some((piece) => handed.has(piece))) joins++
          return concat(list, length)
        }) as typeof Buffer.concat
        const b = await rawRequest(port(ours), request, 2, [method, method]).finally(() => (Buffer.concat = concat))
        // Fastify answers HEAD through an onSend hook of its own, so HEAD is joined like a hooked GET.
        if (onSend || method === 'HEAD') t.ok(joins >= 1, `${method}, onSend ${onSend}: hooks are shown the joined Buffer`)
        else t.equal(joins, 0, `${method} without hooks: the pieces go out unjoined`)
        t.equal(b.responses, 2, `${method}, onSend ${onSend}: both responses`)
        t.ok(maskDates(b.bytes).equals(maskDates(a.bytes)), `${method}, onSend ${onSend}: the same bytes as stock`)
      }
      const injected = await ours.inject('/v')
      t.ok(injected.rawPayload.equals(joined), `inject (no socket), onSend ${onSend}: the joined bytes`)
      await stock.close()
      await ours.close()
    }
  })
})

t.test('app.inject() takes the stock path and still answers', async (t) => {
  const app = Fastify()
  await app.register(vectored)
  app.get('/v', (_req, reply) => reply.sendVector([Buffer.from('a'), Buffer.from('b')]))
  app.get('/f', (_req, reply) => reply.sendFile(file, { start: 0, end: 9 }))
  const v = await app.inject('/v')
  t.equal(v.body, 'ab')
  const f = await app.inject('/f')
  t.ok(f.rawPayload.equals(data.subarray(0, 10)))
  await app.close()
})

t.test('HTTPS app: stock path, reason in app.vectored.reason', async (t) => {
  const log = logSink()
  const app = Fastify({ logger: { level: 'debug', stream: log.stream }, https: {} as never })
  await app.register(vectored)
  await app.ready()
  t.equal(app.vectored.active, false)
  t.match(app.vectored.reason, /TLS/)
  t.same(log.lines.filter((l) => String(l.msg).includes('vectored')), [])
  await app.close()
})

t.test('app.vectored says which path serves: node:http with the plugin, or the transport', async (t) => {
  const { vectoredServer } = await import('@vectored/server')
  const onTransport = Fastify({ serverFactory: vectoredServer() })
  await onTransport.register(vectored)
  await onTransport.ready()
  t.equal(onTransport.vectored.active, true)
  t.match(onTransport.vectored.reason, /vectored transport/)
  const disabled = Fastify()
  await disabled.register(vectored, { enabled: false })
  await disabled.ready()
  t.equal(disabled.vectored.active, false)
  t.match(disabled.vectored.reason, /disabled/)
  await onTransport.close()
  await disabled.close()
})

t.test('a bad option value is refused, saying which and why', async (t) => {
  const app = Fastify()
  app.register(vectored, { connections: 'fast' as never })
  await t.rejects(async () => { await app.ready() }, /connections option must be 'vectored' or 'node', got "fast"/)
  const other = Fastify()
  other.register(vectored, { enabled: 'yes' as never })
  await t.rejects(async () => { await other.ready() }, /enabled option must be true or false, got "yes"/)
})

t.test('a server with a custom IncomingMessage class keeps node:http connections, and says why', async (t) => {
  class Incoming extends http.IncomingMessage {}
  const app = Fastify({ serverFactory: (handler) => http.createServer({ IncomingMessage: Incoming }, handler) })
  await app.register(vectored)
  let raw: unknown = null
  let incoming = false
  app.get('/', async (req, reply) => {
    raw = reply.raw
    incoming = req.raw instanceof Incoming
    return 'x'
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => app.close())
  t.match(app.vectored.reason, /node:http connections \(the server has a custom IncomingMessage class\)$/)
  const r = await request(`http://127.0.0.1:${(app.server.address() as { port: number }).port}/`)
  t.equal(await r.body.text(), 'x')
  t.ok(raw instanceof VectoredResponse, 'node:http builds the response, vectored writes it')
  t.ok(incoming, "the user's request class")
})

t.test("connections: 'node': end()'s callbacks run as node:http runs them, also those given after end()", async (t) => {
  // Node 24 and later queue end()'s callbacks on the response (kEndCallbacks)
  // and run them from their own onFinish, before 'finish': a response whose
  // last bytes the writer wrote runs them the same way.
  const run = async (ours: boolean) => {
    const app = Fastify()
    if (ours) await app.register(vectored, { connections: 'node' })
    const events: string[] = []
    app.get('/', (_req, reply) => {
      reply.hijack()
      const res = reply.raw
      res.on('finish', () => {
        events.push('finish')
        res.end((err?: Error & { code?: string }) => events.push(`after finish: ${err?.code ?? err}`))
      })
      res.writeHead(200, { 'content-length': 1 })
      res.end('a')
      res.end((err?: Error & { code?: string }) => events.push(`after end: ${err?.code ?? err}`))
    })
    await app.listen({ port: 0, host: '127.0.0.1' })
    t.teardown(() => app.close())
    const r = await request(`http://127.0.0.1:${(app.server.address() as { port: number }).port}/`)
    t.equal(await r.body.text(), 'a')
    await new Promise((resolve) => setTimeout(resolve, 50))
    return events
  }
  const stock = await run(false)
  const ours = await run(true)
  t.equal(ours.filter((e) => e.startsWith('after end:')).length, 1, 'the callback given after end() ran once')
  t.same(ours.filter((e) => e.startsWith('after finish:')), ['after finish: ERR_STREAM_ALREADY_FINISHED'], "the one given after 'finish' as stock")
  if (stock[0] === 'after end: null') {
    // Node 24 and later: exactly stock's sequence.
    t.same(ours, stock)
  } else {
    // Node 20 and 22 call it at once when the socket took every byte (writableFinished);
    // the writer still holds them until the end of the tick, so it waits for 'finish'.
    t.same(stock, ['after end: ERR_STREAM_ALREADY_FINISHED', 'finish', 'after finish: ERR_STREAM_ALREADY_FINISHED'])
    t.same(ours, ['finish', 'after finish: ERR_STREAM_ALREADY_FINISHED', 'after end: undefined'])
  }
})

t.test('a Node without a private part the vectored response uses: node:http\'s own ServerResponse serves, and says what is missing', async (t) => {
  // A child process whose node:http hides Symbol('kNeedDrain') while the plugin
  // loads: response.ts checks its Node once, at load, and must fall back, not
  // throw then or later (from a write callback or a timer).
  const script = `
    const real = Object.getOwnPropertySymbols
    Object.getOwnPropertySymbols = (o) => real(o).filter((s) => s.description !== 'kNeedDrain')
    const { vectored, VectoredResponse } = require('@vectored/server')
    Object.getOwnPropertySymbols = real
    const warnings = []
    process.on('warning', (w) => warnings.push(w.code + ' ' + w.message))
    const Fastify = require('fastify')
    const http = require('node:http')
    ;(async () => {
      const app = Fastify()
      await app.register(vectored, { connections: 'node' })
      app.get('/', (_req, reply) => { reply.send({ stock: reply.raw.constructor === http.ServerResponse, ours: reply.raw instanceof VectoredResponse }) })
      await app.listen({ port: 0, host: '127.0.0.1' })
      const body = await new Promise((resolve, reject) => http.get('http://127.0.0.1:' + app.server.address().port + '/', (res) => {
        let b = ''
        res.on('data', (c) => (b += c)).on('end', () => resolve(b))
      }).on('error', reject))
      await new Promise((resolve) => setImmediate(resolve))
      console.log(JSON.stringify({ active: app.vectored.active, reason: app.vectored.reason, body: JSON.parse(body), warnings }))
      await app.close()
    })().catch((err) => { console.error(err); process.exit(1) })
  `
  const { execFileSync } = await import('node:child_process')
  const out = JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd: __dirname, encoding: 'utf8' }))
  t.equal(out.active, false, 'not active')
  t.match(out.reason, /node:http's own ServerResponse serves \(the connections: 'node' option\): the vectored response needs OutgoingMessage's Symbol\('kNeedDrain'\)/)
  t.same(out.body, { stock: true, ours: false }, "node:http's own ServerResponse answered")
  t.equal(out.warnings.filter((w: string) => w.startsWith('VECTORED_FALLBACK') && w.includes('kNeedDrain')).length, 1, 'one warning, naming it')
})

t.test('taken connections: the http.Server options are read when used, and its close methods act on them', async (t) => {
  const app = Fastify({ requestTimeout: 400 })
  await app.register(vectored)
  app.get('/', async () => 'x')
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => app.close())
  const server = app.server
  const port = (server.address() as { port: number }).port
  t.match(app.vectored.reason, /vectored connections$/)

  /** A raw connection that sends `req`; resolves once it got bytes, or after 100 ms for a request left unfinished. */
  const open = (req: string) => new Promise<{ closed: Promise<string> }>((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(req))
    let received = ''
    const closed = new Promise<string>((r) => socket.on('close', () => r(received)))
    socket.on('error', () => {})
    socket.on('data', (chunk) => { received += chunk })
    socket.once('data', () => resolve({ closed }))
    if (!req.includes('\r\n\r\n')) setTimeout(() => resolve({ closed }), 100)
  })

  // requestTimeout (Fastify's option, through http.createServer): an unfinished head gets 408 and the connection ends.
  const slow = await open('GET / HTTP/1.1\r\nHost: x\r\n')
  t.match(await slow.closed, /^HTTP\/1\.1 408 Request Timeout\r\n/, 'a 408, then the connection closed')

  // keepAliveTimeout set on the server after listen: an idle connection ends after it and the 1 s Node adds, counted on the coarse clock of the pool's sweep (up to a sweep period early).
  server.keepAliveTimeout = 100
  const began = Date.now()
  const kept = await open('GET / HTTP/1.1\r\nHost: x\r\n\r\n')
  await kept.closed
  const waited = Date.now() - began
  t.ok(waited >= 100 && waited < 4000, `the idle connection closed after ${waited} ms`)

  // closeIdleConnections / closeAllConnections, called on the http.Server.
  server.keepAliveTimeout = 60_000
  const idleSocket = await open('GET / HTTP/1.1\r\nHost: x\r\n\r\n')
  const busySocket = await open('GET / HTTP/1.1\r\nHost: x\r\n')
  server.closeIdleConnections()
  await idleSocket.closed
  t.pass('closeIdleConnections ended the idle connection')
  const stillOpen = await Promise.race([busySocket.closed.then(() => false), new Promise((r) => setTimeout(() => r(true), 100))])
  t.ok(stillOpen, 'and left the one in the middle of a request')
  server.closeAllConnections()
  await busySocket.closed
  t.pass('closeAllConnections ended it')
})
