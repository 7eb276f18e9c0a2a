/**
 * node:http's diagnostics channels for servers (http.server.request.start,
 * http.server.response.created on Node 22+, http.server.response.finish),
 * event by event against stock Fastify on the running line: in the plugin's
 * default mode, with { connections: 'node' } and on the transport. Real
 * sockets, real Fastify. Before, the default mode and the transport
 * published none of them.
 */
import t from 'tap'
import * as dc from 'node:diagnostics_channel'
import * as net from 'node:net'
import Fastify, { type FastifyInstance } from 'fastify'
import vectored, { vectoredServer } from '@vectored/server'
import { parseResponses } from '../helpers/raw-http'

const CHANNELS = ['http.server.request.start', 'http.server.response.created', 'http.server.response.finish']
const lineHasCreated = Number(process.versions.node.split('.')[0]) >= 22
const MODES = ['stock', 'plugin', 'node-connections', 'transport'] as const
type Mode = typeof MODES[number]

async function appFor(mode: Mode): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, ...(mode === 'transport' ? { serverFactory: vectoredServer() } : {}) })
  if (mode === 'plugin' || mode === 'transport') await app.register(vectored)
  if (mode === 'node-connections') await app.register(vectored, { connections: 'node' })
  app.get('/hello', async () => ({ hello: 'world' }))
  app.get('/created', async (_req, reply) => { reply.code(201); return 'made' })
  app.get('/error', async () => { throw new Error('route failed') })
  await app.listen({ port: 0, host: '127.0.0.1' })
  return app
}

interface Message { request?: { method?: string; url?: string; socket?: unknown }; response?: { statusCode?: number }; socket?: unknown; server?: unknown }

/** Every http.server.* event while `run` goes, as lines that can be compared across modes, with the objects checked. */
async function record(app: FastifyInstance, run: () => Promise<void>): Promise<{ events: string[]; problems: string[] }> {
  const events: string[] = []
  const problems: string[] = []
  const responseOf = new WeakMap<object, object>()
  const subscribers = CHANNELS.map((name) => {
    const fn = (raw: unknown) => {
      const m = raw as Message
      const req = m.request
      const res = m.response
      if (req === undefined || res === undefined) { problems.push(`${name}: no request or response`); return }
      events.push(`${name} ${req.method} ${req.url} ${res.statusCode}`)
      // The same response object for a request at every event.
      const seen = responseOf.get(req)
      if (seen === undefined) responseOf.set(req, res)
      else if (seen !== res) problems.push(`${name} ${req.url}: another response object than at the earlier event`)
      if (name !== 'http.server.response.created') {
        if (m.socket === undefined || m.socket !== req.socket) problems.push(`${name} ${req.url}: socket is not the request's socket`)
        if (!(m.socket instanceof net.Socket)) problems.push(`${name} ${req.url}: socket is not a net.Socket`)
        if (m.server !== app.server) problems.push(`${name} ${req.url}: server is not the app's server`)
      } else if ('socket' in m || 'server' in m) {
        problems.push(`${name}: carries ${Object.keys(m).join(', ')}, node:http gives request and response only`)
      }
    }
    dc.subscribe(name, fn)
    return { name, fn }
  })
  try {
    await run()
    await new Promise((resolve) => setTimeout(resolve, 50)) // the last 'finish'
  } finally {
    for (const s of subscribers) dc.unsubscribe(s.name, s.fn)
  }
  return { events, problems }
}

/** One keep-alive connection: each batch is written at once (a batch of several is pipelined), the next after its responses. */
function converse(port: number, batches: { text: string; methods: string[] }[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1')
    let data = Buffer.alloc(0)
    let done = 0
    let i = 0
    const methods: string[] = []
    const next = () => {
      if (i === batches.length) { socket.end(); return resolve(data.toString('latin1')) }
      const b = batches[i++]!
      methods.push(...b.methods)
      socket.write(b.text)
    }
    const timer = setTimeout(() => { socket.destroy(); reject(new Error(`timed out after ${done} responses`)) }, 10000)
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk])
      const complete = parseResponses(data, methods).complete
      if (complete === methods.length && complete > done) { done = complete; if (i === batches.length) clearTimeout(timer); next() }
    })
    socket.on('error', reject)
    socket.on('connect', next)
  })
}

const get = (path: string, method = 'GET') => ({ text: `${method} ${path} HTTP/1.1\r\nHost: t\r\n\r\n`, methods: [method] })
const SCRIPT = [
  get('/hello'), get('/created'), get('/missing'), get('/error'), get('/hello', 'HEAD'),
  { text: get('/hello').text + get('/created').text, methods: ['GET', 'GET'] }, // pipelined
]

const results = new Map<Mode, { events: string[]; problems: string[] }>()

for (const mode of MODES) {
  t.test(`${mode}: the http.server.* events of a keep-alive conversation`, async (t) => {
    const app = await appFor(mode)
    t.teardown(() => app.close())
    const port = (app.server.address() as net.AddressInfo).port
    const r = await record(app, async () => { await converse(port, SCRIPT) })
    results.set(mode, r)
    t.same(r.problems, [], 'request, response, socket and server are the right objects')
    const perChannel = (name: string) => r.events.filter((e) => e.startsWith(name + ' ')).length
    t.equal(perChannel('http.server.request.start'), 7, 'request.start for each of the 7 requests')
    t.equal(perChannel('http.server.response.finish'), 7, 'response.finish for each')
    t.equal(perChannel('http.server.response.created'), lineHasCreated ? 7 : 0, `response.created ${lineHasCreated ? 'for each (Node 22+)' : 'never (Node 20 has no such channel)'}`)
    if (mode !== 'stock') {
      const stock = results.get('stock')
      t.ok(stock, 'stock ran first')
      t.same(r.events, stock?.events, 'the same events as stock Fastify, in the same order, with the same status codes')
    }
  })
}

for (const mode of MODES) {
  t.test(`${mode}: a subscriber that throws is an uncaught exception; the response still goes out`, async (t) => {
    const app = await appFor(mode)
    t.teardown(() => app.close())
    const port = (app.server.address() as net.AddressInfo).port
    const uncaught: Error[] = []
    const onUncaught = (err: Error) => { uncaught.push(err) }
    process.on('uncaughtException', onUncaught)
    t.teardown(() => process.removeListener('uncaughtException', onUncaught))
    const throwing = () => { throw new Error('subscriber failed') }
    for (const name of CHANNELS) dc.subscribe(name, throwing)
    let text: string
    try {
      text = await converse(port, [get('/hello'), get('/created')])
      await new Promise((resolve) => setTimeout(resolve, 50))
    } finally {
      for (const name of CHANNELS) dc.unsubscribe(name, throwing)
    }
    t.match(text, /^HTTP\/1\.1 200 OK\r\n[^]*\{"hello":"world"\}HTTP\/1\.1 201 Created\r\n[^]*made$/, 'both responses, whole')
    const perRequest = lineHasCreated ? 3 : 2
    t.equal(uncaught.length, 2 * perRequest, `one uncaught exception per event (${perRequest} per request), as node:http`)
    t.ok(uncaught.every((e) => e.message === 'subscriber failed'), 'the subscriber\'s own error')
  })
}
