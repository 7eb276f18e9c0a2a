/**
 * Faults at the Fastify level, through the plugin and beside stock Fastify:
 *
 * - a reply that fails after its head went out: a stream body that errors
 *   after some bytes (with a Content-Length, and chunked), a handler that
 *   writes the head and part of the body on `reply.raw` and then throws
 *   (with a Content-Length, and chunked); an onSend hook that fails (before
 *   the head: Fastify's 500). The affected connection must end with a body
 *   that does not look complete (short of its Content-Length, or no last
 *   chunk), nothing pipelined behind it answered, the slow readers on other
 *   connections receive every byte, no exception escapes, and every
 *   per-request callback (raw 'finish', raw 'close', onResponse, onError)
 *   runs at most once, raw 'close' exactly once.
 * - `app.close()` while slow clients read 8 MiB bodies (16 at soak size) (vector, stream,
 *   file) through a 64 KiB send buffer: close() resolves, no client hangs,
 *   a body that arrives complete is exact and one that is cut comes with a
 *   closed connection. With Fastify's default (`forceCloseConnections:
 *   'idle'`) stream and file bodies arrive whole (Buffer bodies are cut by
 *   Node's closeIdleConnections, in stock as here); with
 *   `forceCloseConnections: true` every connection ends at once.
 *
 * Each outcome is compared with stock Fastify's.
 */
import t, { type Test } from 'tap'
import * as fs from 'node:fs'
import * as native from '@vectored/native'
import * as os from 'node:os'
import * as path from 'node:path'
import { Readable } from 'node:stream'
import Fastify, { type FastifyInstance } from 'fastify'
import vectored from '@vectored/server'
import { PATTERN, exchange, type Exchange } from './helpers/http'
import { size, sleep, watchUncaught } from './helpers/common'

const MiB = 1 << 20
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vectored-ffaults-'))
const FILE = path.join(dir, 'pattern.bin')
// Close test bodies: 8 MiB in CI, 16 MiB at soak size.
const BIG = size(8, 16) * MiB
const FILE_BYTES = BIG
fs.writeFileSync(FILE, PATTERN.subarray(0, FILE_BYTES))
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))

/** A source that gives `bytes` of the pattern, then fails. */
function failingStream(bytes: number): Readable {
  let at = 0
  let failing = false
  return new Readable({
    read() {
      if (at >= bytes) {
        if (!failing) {
          failing = true
          setTimeout(() => this.destroy(new Error('the source failed')), 20)
        }
        return
      }
      const end = Math.min(bytes, at + 65536)
      this.push(PATTERN.subarray(at, end))
      at = end
    },
  })
}

function patternStream(bytes: number): Readable {
  let at = 0
  return new Readable({
    read() {
      if (at >= bytes) return this.push(null)
      const end = Math.min(bytes, at + 65536)
      this.push(PATTERN.subarray(at, end))
      at = end
    },
  })
}

interface Counts {
  url: string
  finish: number
  close: number
  onResponse: number
  onError: number
}

interface Side {
  name: string
  app: FastifyInstance
  port: number
  counts: Counts[]
}

async function build(name: string, plugin: boolean, options: { forceCloseConnections?: boolean | 'idle' } = {}, sendBuffer = 0, connections: 'vectored' | 'node' = 'vectored'): Promise<Side> {
  const app = Fastify({ logger: false, ...options })
  if (plugin) await app.register(vectored, { connections })
  // A fixed send buffer keeps the kernel from taking a whole large body at once.
  if (sendBuffer > 0) app.server.on('connection', (s) => native.setSocketBuffers((s as unknown as { _handle: { fd: number } })._handle.fd, sendBuffer, 0))
  const counts: Counts[] = []
  const key = Symbol('counts')
  app.addHook('onRequest', (req, reply, done) => {
    const c: Counts = { url: req.url, finish: 0, close: 0, onResponse: 0, onError: 0 }
    counts.push(c)
    ;(req as unknown as Record<symbol, Counts>)[key] = c
    reply.raw.on('finish', () => c.finish++)
    reply.raw.on('close', () => c.close++)
    done()
  })
  app.addHook('onResponse', (req, _reply, done) => {
    ;(req as unknown as Record<symbol, Counts>)[key]!.onResponse++
    done()
  })
  app.addHook('onError', (req, _reply, _err, done) => {
    ;(req as unknown as Record<symbol, Counts>)[key]!.onError++
    done()
  })
  app.get('/ok', async () => 'fine')
  app.get('/vector/:n', (req, reply) => {
    const n = Number((req.params as { n: string }).n)
    const body = PATTERN.subarray(0, n)
    if (plugin) reply.sendVector([body.subarray(0, n >> 1), body.subarray(n >> 1)])
    else reply.type('application/octet-stream').send(body)
  })
  app.get('/stream/:n', (req, reply) => {
    reply.type('application/octet-stream').send(patternStream(Number((req.params as { n: string }).n)))
  })
  app.get('/file', (_req, reply) => {
    reply.type('application/octet-stream').header('content-length', String(FILE_BYTES)).send(fs.createReadStream(FILE))
  })
  // Failures after the head went out.
  app.get('/fail/stream-length', (_req, reply) => {
    reply.type('application/octet-stream').header('content-length', String(MiB)).send(failingStream(256 * 1024))
  })
  app.get('/fail/stream-chunked', (_req, reply) => {
    reply.type('application/octet-stream').send(failingStream(256 * 1024))
  })
  app.get('/fail/raw-length', async (_req, reply) => {
    reply.raw.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': '100000' })
    reply.raw.write(PATTERN.subarray(0, 30000))
    await sleep(10)
    throw new Error('the handler failed after the head')
  })
  app.get('/fail/raw-chunked', async (_req, reply) => {
    reply.raw.writeHead(200, { 'content-type': 'application/octet-stream' })
    reply.raw.write(PATTERN.subarray(0, 30000))
    await sleep(10)
    throw new Error('the handler failed after the head')
  })
  // Before the head: Fastify answers 500 and the connection goes on.
  app.register(async (scope) => {
    scope.addHook('onSend', async () => {
      throw new Error('the onSend hook failed')
    })
    scope.get('/fail/onsend', async () => 'never sent')
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  return { name, app, port: (app.server.address() as { port: number }).port, counts }
}

/**
 * Raw 'finish', raw 'close' and onResponse at most once per request. onError
 * is compared with stock instead: Fastify itself runs it twice when the
 * error reply fails too (a failing onSend hook fails on the 500 as well; a
 * head already sent makes the 500's writeHead throw).
 */
function checkCounts(t: Test, side: Side, what: string): void {
  const twice = side.counts.filter((c) => c.finish > 1 || c.close > 1 || c.onResponse > 1)
  t.same(twice, [], `${side.name}: ${what}: no raw 'finish', raw 'close' or onResponse ran twice (${side.counts.length} requests)`)
}

/** Per request, sorted: url and how often each callback ran. */
function countsTable(side: Side): string[] {
  return side.counts.map((c) => `${c.url} finish=${c.finish} close=${c.close} onResponse=${c.onResponse} onError=${c.onError}`).sort()
}

function bodyOf(x: Exchange, i = 0): Buffer | undefined {
  return x.responses[i]?.body
}

/** What a client saw of a failed reply, to compare with stock: status, framing, complete or not. */
function outcome(x: Exchange): string {
  const r = x.responses[0]
  const complete = r ? `${r.status} complete` : 'incomplete'
  return `${complete}, ${x.responses.length} responses, ${x.closed ? 'closed' : 'open'}`
}

for (const connections of ['vectored', 'node'] as const) {
  t.test(`a reply that fails after its head: only its connection ends, the body never looks complete (${connections} connections)`, async (t) => {
    const uncaught = watchUncaught(t)
    const ours = await build('plugin', true, {}, 0, connections)
    const stock = await build('stock', false)
    t.teardown(() => Promise.all([ours.app.close(), stock.app.close()]).then(() => {}))
    t.ok(ours.app.vectored.active, 'the plugin is active')
    const failing = ['/fail/stream-length', '/fail/stream-chunked', '/fail/raw-length', '/fail/raw-chunked']
    const seen: Record<string, Record<string, string>> = {}
    for (const side of [ours, stock]) {
      // Slow healthy readers on other connections, while every failure happens.
      const healthy = ['/vector/4194304', '/stream/4194304', '/file'].map((p) => exchange(side.port, [p], { maxPauseMs: 3, timeoutMs: 60_000 }))
      const failed = await Promise.all(failing.map((p) => exchange(side.port, [p, '/ok'], { timeoutMs: 10_000 })))
      for (const [i, p] of failing.entries()) {
        const x = failed[i]!
        ;(seen[p] ??= {})[side.name] = outcome(x)
        t.notOk(x.timedOut, `${side.name}: ${p}: the connection ended (did not hang)`)
        t.ok(x.closed, `${side.name}: ${p}: the connection is closed`)
        t.equal(x.responses.length, 0, `${side.name}: ${p}: no complete response: neither the failed one nor the pipelined /ok (${x.leftover} bytes of an incomplete one)`)
        t.ok(x.leftover > 0, `${side.name}: ${p}: the head and some bytes went out before the failure`)
      }
      const done = await Promise.all(healthy)
      for (const [i, p] of ['/vector/4194304', '/stream/4194304', '/file'].entries()) {
        const body = bodyOf(done[i]!)
        const want = p === '/file' ? PATTERN.subarray(0, FILE_BYTES) : PATTERN.subarray(0, 4 * MiB)
        t.ok(body !== undefined && body.equals(want), `${side.name}: ${p} on another connection: every byte, exact (${body?.length} bytes)`)
      }
      // The onSend failure is answered before any head: a 500, then the pipelined /ok.
      const onSend = await exchange(side.port, ['/fail/onsend', '/ok'], { timeoutMs: 5000 })
      t.equal(onSend.responses[0]?.status, 500, `${side.name}: failing onSend hook: 500`)
      t.equal(onSend.responses[1]?.body.toString(), 'fine', `${side.name}: failing onSend hook: the connection goes on`)
      await sleep(100)
      checkCounts(t, side, 'replies failing after their head')
    }
    for (const p of failing) t.equal(seen[p]!.plugin, seen[p]!.stock, `${p}: same outcome as stock Fastify (${seen[p]!.stock})`)
    t.same(countsTable(ours), countsTable(stock), 'every callback ran as often as with stock Fastify')
    t.comment(countsTable(stock).filter((c) => c.startsWith('/fail')).join('; '))
    t.same(uncaught, [], 'no uncaught exception')
  })
}

t.test('app.close() while slow clients read large bodies', async (t) => {
  const uncaught = watchUncaught(t)
  const paths = [`/vector/${BIG}`, `/stream/${BIG}`, '/file', `/vector/${BIG}`, `/stream/${BIG}`, '/file']
  const whole = PATTERN.subarray(0, BIG)
  const results: Record<string, string> = {}
  for (const force of ['idle', true] as const) {
    for (const plugin of [true, false]) {
      const side = await build(plugin ? 'plugin' : 'stock', plugin, { forceCloseConnections: force }, 64 * 1024)
      const label = `${side.name}, forceCloseConnections ${force}`
      const clients = paths.map((p) => exchange(side.port, [p], { maxPauseMs: size(5, 10), timeoutMs: 60_000 }))
      // Every request is in its handler and its body under way before close().
      const deadline = Date.now() + 10_000
      while (side.counts.length < paths.length && Date.now() < deadline) await sleep(5)
      await sleep(50)
      const finishedBeforeClose = side.counts.filter((c) => c.finish > 0).length
      const started = Date.now()
      let closed = false
      const closing = side.app.close().then(() => (closed = true))
      const got = await Promise.all(clients)
      await Promise.race([closing, sleep(15_000)])
      t.ok(closed, `${label}: close() resolved (${Date.now() - started} ms)`)
      t.equal(finishedBeforeClose, 0, `${label}: no response had finished when close() was called`)
      let exact = 0
      for (const [i, x] of got.entries()) {
        t.notOk(x.timedOut, `${label}: ${paths[i]}: the client did not hang`)
        const body = bodyOf(x)
        // A response that parsed as complete must be the whole pattern.
        if (body !== undefined) t.ok(body.equals(whole), `${label}: ${paths[i]}: a complete response is exact`)
        if (body?.equals(whole)) exact++
      }
      for (const [i, x] of got.entries()) {
        if (bodyOf(x) === undefined) t.ok(x.closed, `${label}: ${paths[i]}: cut short (${x.leftover} bytes), and the connection closed`)
      }
      if (force === 'idle') {
        // Node 20's closeIdleConnections (lib/_http_server.js) destroys every
        // connection whose response has *called* end() (`_httpMessage.finished`),
        // whether or not its bytes are out: a Buffer body handed to end() in
        // one piece is cut, in stock Fastify as here. Stream bodies call end()
        // after their last chunk and go out whole. Through the plugin a
        // connection whose response has ended is destroyed only once the
        // writer has written its bytes, so every body in flight goes out whole.
        for (const [i, p] of paths.entries()) {
          const isWhole = bodyOf(got[i]!)?.equals(whole) === true
          if (p.startsWith('/stream')) t.ok(isWhole, `${label}: ${p}: the stream body in flight is delivered whole`)
          if (p === '/file') t.ok(isWhole, `${label}: ${p}: the file body in flight is delivered whole`)
          if (plugin) t.ok(isWhole, `${label}: ${p}: through the plugin, every body in flight is delivered whole`)
        }
      } else {
        t.ok(got.every((x) => x.closed), `${label}: every connection ended`)
        t.equal(exact, 0, `${label}: no body delivered whole (they were cut)`)
      }
      results[label] = `${exact}/${paths.length} whole, ${got.map((x) => x.leftover + (bodyOf(x)?.length ?? 0)).join('/')} bytes`
      checkCounts(t, side, `close() with forceCloseConnections ${force}`)
    }
  }
  t.comment(JSON.stringify(results))
  t.same(uncaught, [], 'no uncaught exception')
})
