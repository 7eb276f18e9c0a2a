/** Real @fastify/* plugins registered alongside vectored, over real sockets. */
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { gunzipSync } from 'node:zlib'
import t, { type Test } from 'tap'
import Fastify, { type FastifyInstance } from 'fastify'
import vectored from '@vectored/server'
import { request, FormData } from 'undici'
import WebSocket from 'ws'
// Types only (and the plugins' declaration merging): each plugin is still loaded by its own test.
import type fastifyStatic from '@fastify/static'
import type fastifyCompress from '@fastify/compress'
import type fastifyCors from '@fastify/cors'
import type fastifyCookie from '@fastify/cookie'
import type fastifyMultipart from '@fastify/multipart'
import type fastifyWebsocket from '@fastify/websocket'
import type fastifySensible from '@fastify/sensible'

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vectored-real-'))
const big = Buffer.alloc(1 << 20, 'abcdefgh')
fs.writeFileSync(path.join(dir, 'big.txt'), big)
fs.writeFileSync(path.join(dir, 'small.css'), 'body{}')
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))

async function start(t: Test, setup: (app: FastifyInstance) => Promise<void> | void): Promise<{ app: FastifyInstance; base: string }> {
  const app = Fastify()
  await app.register(vectored)
  await setup(app)
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => app.close())
  return { app, base: `http://127.0.0.1:${(app.server.address() as { port: number }).port}` }
}

// Both decorate reply.sendFile: with vectored, register static with decorateReply: false (docs/plugin.md).
t.test('@fastify/static: files by sendfile, ranges, 304', async (t) => {
  const { app, base } = await start(t, async (app) => { await app.register(require('@fastify/static') as typeof fastifyStatic, { root: dir, decorateReply: false }) })
  const before = app.vectored.stats().sendfileBytes
  const r = await request(`${base}/big.txt`)
  t.equal(r.statusCode, 200)
  t.ok(Buffer.from(await r.body.arrayBuffer()).equals(big))
  t.ok(app.vectored.stats().sendfileBytes - before >= big.length, 'sent with sendfile')
  const range = await request(`${base}/big.txt`, { headers: { range: 'bytes=100-199' } })
  t.equal(range.statusCode, 206)
  t.equal(await range.body.text(), big.subarray(100, 200).toString())
  const etag = r.headers.etag as string
  const again = await request(`${base}/big.txt`, { headers: { 'if-none-match': etag } })
  t.equal(again.statusCode, 304)
  await again.body.dump()
  const head = await request(`${base}/small.css`, { method: 'HEAD' })
  t.equal(head.headers['content-length'], '6')
  t.equal(await head.body.text(), '')
})

t.test('@fastify/compress: gzip of JSON and of a file stream', async (t) => {
  const { base } = await start(t, async (app) => {
    await app.register(require('@fastify/compress') as typeof fastifyCompress, { threshold: 0 })
    app.get('/json', async () => ({ text: 'x'.repeat(5000) }))
    app.get('/file', (_req, reply) => { reply.type('text/plain').send(fs.createReadStream(path.join(dir, 'big.txt'))) })
  })
  const j = await request(`${base}/json`, { headers: { 'accept-encoding': 'gzip' } })
  t.equal(j.headers['content-encoding'], 'gzip')
  t.same(JSON.parse(gunzipSync(Buffer.from(await j.body.arrayBuffer())).toString()), { text: 'x'.repeat(5000) })
  const f = await request(`${base}/file`, { headers: { 'accept-encoding': 'gzip' } })
  t.equal(f.headers['content-encoding'], 'gzip')
  t.ok(gunzipSync(Buffer.from(await f.body.arrayBuffer())).equals(big))
})

t.test('@fastify/cors: preflight and simple request headers', async (t) => {
  const { base } = await start(t, async (app) => {
    await app.register(require('@fastify/cors') as typeof fastifyCors, { origin: 'https://a.example', credentials: true })
    app.get('/', async () => 'ok')
  })
  const pre = await request(`${base}/`, { method: 'OPTIONS', headers: { origin: 'https://a.example', 'access-control-request-method': 'GET' } })
  t.equal(pre.statusCode, 204)
  t.equal(pre.headers['access-control-allow-origin'], 'https://a.example')
  await pre.body.dump()
  const r = await request(`${base}/`, { headers: { origin: 'https://a.example' } })
  t.equal(r.headers['access-control-allow-credentials'], 'true')
  t.equal(await r.body.text(), 'ok')
})

t.test('@fastify/cookie: several Set-Cookie headers survive', async (t) => {
  const { base } = await start(t, async (app) => {
    await app.register(require('@fastify/cookie') as typeof fastifyCookie)
    app.get('/', (req, reply) => {
      reply.setCookie('a', '1').setCookie('b', '2', { httpOnly: true }).setCookie('c', String((req.cookies as Record<string, string>).in ?? 'none'))
      reply.send('cookies')
    })
  })
  const r = await request(`${base}/`, { headers: { cookie: 'in=yes' } })
  const set = r.headers['set-cookie'] as string[]
  t.equal(set.length, 3)
  t.match(set[0], /^a=1/)
  t.match(set[1], /^b=2.*HttpOnly/)
  t.match(set[2], /^c=yes/)
  await r.body.dump()
})

t.test('@fastify/multipart: a file upload is read and answered', async (t) => {
  const { base } = await start(t, async (app) => {
    await app.register(require('@fastify/multipart') as typeof fastifyMultipart)
    app.post('/upload', async (req) => {
      const part = await req.file()
      if (part === undefined) throw new Error('no file part')
      const body = await part.toBuffer()
      return { name: part.filename, size: body.length }
    })
  })
  const form = new FormData()
  form.append('f', new Blob([big]), 'big.txt')
  const r = await request(`${base}/upload`, { method: 'POST', body: form })
  t.same(await r.body.json(), { name: 'big.txt', size: big.length })
})

t.test('@fastify/websocket: upgrade works next to direct HTTP replies', async (t) => {
  const { base } = await start(t, async (app) => {
    await app.register(require('@fastify/websocket') as typeof fastifyWebsocket)
    app.get('/ws', { websocket: true }, (socket: WebSocket) => { socket.on('message', (m: Buffer) => socket.send(`echo ${m}`)) })
    app.get('/http', async () => ({ http: true }))
  })
  const h = await request(`${base}/http`)
  t.same(await h.body.json(), { http: true })
  const ws = new WebSocket(`${base.replace('http', 'ws')}/ws`)
  await new Promise((res, rej) => { ws.once('open', res); ws.once('error', rej) })
  ws.send('hi')
  const msg = await new Promise<string>((res) => ws.once('message', (m) => res(String(m))))
  t.equal(msg, 'echo hi')
  ws.close()
})

t.test('@fastify/sensible: httpErrors and reply helpers', async (t) => {
  const { base } = await start(t, async (app) => {
    await app.register(require('@fastify/sensible') as typeof fastifySensible)
    app.get('/teapot', async (_req, reply) => reply.badRequest('short and stout'))
    app.get('/notfound', async () => { throw app.httpErrors.notFound('gone') })
  })
  const a = await request(`${base}/teapot`)
  t.equal(a.statusCode, 400)
  t.match(await a.body.json(), { message: 'short and stout' })
  const b = await request(`${base}/notfound`)
  t.equal(b.statusCode, 404)
  t.match(await b.body.json(), { message: 'gone' })
})
