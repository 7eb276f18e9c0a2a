/**
 * headersTimeout, requestTimeout, connectionsCheckingInterval,
 * keepAliveTimeout (and Node 22's keepAliveTimeoutBuffer),
 * closeIdleConnections and maxRequestsPerSocket, each run against node:http
 * of the running Node line and against the transport (TransportServer, and
 * the plugin on Fastify's own http.Server against stock Fastify), over real
 * sockets: the same bytes, the same close, in the same time window. Since
 * Node 22 the parser has no duration(); the transport reads the same
 * ConnectionsList node:http's sweep asks, and these tests hold it to
 * node:http's answers on every line.
 */
import t, { type Test } from 'tap'
import * as http from 'node:http'
import * as net from 'node:net'
import Fastify from 'fastify'
import vectored, { TransportServer } from '@vectored/server'

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void
interface Served { port: number; server: http.Server; close(): Promise<void> }
type Make = (options: Record<string, unknown>, handler: Handler) => Promise<Served>

async function listening(server: http.Server): Promise<Served> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return {
    port: (server.address() as net.AddressInfo).port,
    server,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()) }),
  }
}

/** Each kind of server, built with the same http.createServer options and handler. */
const kinds: Record<string, Make> = {
  'node:http': (options, handler) => listening(http.createServer(options, handler)),
  transport: (options, handler) => listening(new TransportServer(options, handler) as unknown as http.Server),
}
/** Fastify with and without the plugin; the handler answers every GET and POST on /. */
const fastifyKinds: Record<string, Make> = {
  'stock Fastify': (options, handler) => fastifyServer(options, handler, false),
  'Fastify + vectored': (options, handler) => fastifyServer(options, handler, true),
}

async function fastifyServer(options: Record<string, unknown>, handler: Handler, plugin: boolean): Promise<Served> {
  // Fastify sets requestTimeout on its server itself (0 unless given).
  const app = Fastify({ http: options as http.ServerOptions, requestTimeout: options.requestTimeout as number | undefined, keepAliveTimeout: options.keepAliveTimeout as number | undefined })
  if (plugin) await app.register(vectored)
  app.all('/*', (req, reply) => {
    reply.hijack()
    handler(req.raw, reply.raw)
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  return { port: (app.server.address() as net.AddressInfo).port, server: app.server, close: () => app.close() }
}

interface Seen { text: string; closed: boolean; ms: number }

/** Opens a connection, runs `script` on it, collects bytes until close or `ms`; bounded. */
function session(port: number, script: (socket: net.Socket) => Promise<void> | void, ms = 4000): Promise<Seen> {
  return new Promise((resolve) => {
    const began = Date.now()
    const socket = net.connect(port, '127.0.0.1')
    let text = ''
    let settled = false
    const done = (closed: boolean) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      socket.destroy()
      resolve({ text, closed, ms: Date.now() - began })
    }
    const timer = setTimeout(() => done(false), ms)
    socket.setEncoding('latin1')
    socket.on('data', (d: string) => { text += d })
    socket.on('error', () => {})
    socket.on('close', () => done(true))
    socket.on('connect', () => void script(socket))
  })
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const mask = (text: string) => text.replace(/Date: [^\r]*/g, 'Date: <masked>')
const statusLines = (text: string) => text.match(/HTTP\/1\.1 \d{3}[^\r]*/g) ?? []
const answer: Handler = (req, res) => {
  req.resume()
  req.on('end', () => res.end('ok'))
}

/**
 * Runs one scenario on each kind and checks that every kind saw what the
 * first (node:http's own) saw; `window` bounds when the connection closed.
 */
async function compare(t: Test, kindsHere: Record<string, Make>, options: Record<string, unknown>, handler: Handler,
  script: (socket: net.Socket) => Promise<void> | void, window: [number, number] | null, sameBytes: boolean): Promise<void> {
  const seen: Record<string, Seen> = {}
  for (const [name, make] of Object.entries(kindsHere)) {
    const served = await make(options, handler)
    try {
      seen[name] = await session(served.port, script, window === null ? 1500 : 4000)
    } finally {
      await served.close()
    }
  }
  const [reference, ...others] = Object.keys(seen)
  const ref = seen[reference!]!
  for (const name of Object.keys(seen)) {
    const s = seen[name]!
    if (window === null) continue
    t.ok(s.closed, `${name}: the connection closed`)
    t.ok(s.ms >= window[0] && s.ms <= window[1], `${name}: closed after ${s.ms} ms, within ${window[0]}..${window[1]}`)
  }
  for (const name of others) {
    const s = seen[name]!
    t.equal(s.closed, ref.closed, `${name}: the connection ${ref.closed ? 'closed' : 'stayed open'} as with ${reference}`)
    if (sameBytes) t.equal(mask(s.text), mask(ref.text), `${name}: the same bytes as ${reference}`)
    else t.same(statusLines(s.text), statusLines(ref.text), `${name}: the same status lines as ${reference}`)
  }
}

for (const [label, set] of [['node:http and the transport', kinds], ['stock Fastify and the plugin', fastifyKinds]] as const) {
  const sameBytes = set === kinds

  t.test(`${label}: headersTimeout answers an unfinished head with 408 at the sweep`, async (t) => {
    await compare(t, set, { headersTimeout: 300, requestTimeout: 2000, connectionsCheckingInterval: 100 }, answer,
      (s) => { s.write('GET / HTTP/1.1\r\nHost: t\r\nX-Slow: ') }, [250, 1500], sameBytes)
  })

  t.test(`${label}: requestTimeout answers an unfinished body with 408`, async (t) => {
    await compare(t, set, { headersTimeout: 200, requestTimeout: 500, connectionsCheckingInterval: 100 }, answer,
      (s) => { s.write('POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc') }, [450, 1700], sameBytes)
  })

  t.test(`${label}: a connection that sends nothing meets headersTimeout`, async (t) => {
    await compare(t, set, { headersTimeout: 300, requestTimeout: 0, connectionsCheckingInterval: 100 }, answer,
      () => {}, [250, 1500], sameBytes)
  })

  t.test(`${label}: a head sent slowly but completed in time is answered, then the keep-alive deadline closes`, async (t) => {
    // keepAliveTimeout 200 (+ the 1000 ms buffer node:http adds): closed
    // about 1.2 s after the response. Bytes of a next head refresh that
    // deadline as they refresh node:http's socket timer.
    await compare(t, set, { headersTimeout: 3000, requestTimeout: 0, connectionsCheckingInterval: 100, keepAliveTimeout: 200 }, answer,
      async (s) => {
        s.write('GET / HTTP/1.1\r\nHost: t\r\nX-A: ')
        await sleep(150)
        s.write('1\r\n\r\n')
        await sleep(900)
        s.write('GET / HTTP/1.1\r\nHo') // 0.9 s into the idle 1.2 s
        await sleep(800)
        s.write('st: t\r\n\r\n') // 0.8 s later: within a refreshed deadline
      }, [2700, 3900], sameBytes)
  })

  t.test(`${label}: maxRequestsPerSocket answers the one past the limit with 503`, async (t) => {
    // Not an http.createServer option: node:http reads the server's property (Fastify sets it).
    const perSocket: Record<string, Make> = Object.fromEntries(Object.entries(set).map(([name, make]) => [name, async (options, handler) => {
      const served = await make(options, handler)
      served.server.maxRequestsPerSocket = 2
      return served
    }]))
    await compare(t, perSocket, {}, answer,
      (s) => { s.write('GET / HTTP/1.1\r\nHost: t\r\n\r\n'.repeat(3)) }, null, sameBytes)
  })
}

t.test('keepAliveTimeoutBuffer is read where this Node line reads it', async (t) => {
  // Node 22 and later add server.keepAliveTimeoutBuffer to keepAliveTimeout;
  // Node 20 adds a fixed 1000 ms whatever the property says.
  const probe = http.createServer() as http.Server & { keepAliveTimeoutBuffer?: number }
  const has = typeof probe.keepAliveTimeoutBuffer === 'number'
  const window: [number, number] = has ? [200, 1000] : [1100, 2200]
  for (const [name, make] of Object.entries({ ...kinds, ...fastifyKinds })) {
    const served = await make({ keepAliveTimeout: 200 }, answer)
    ;(served.server as http.Server & { keepAliveTimeoutBuffer?: number }).keepAliveTimeoutBuffer = 100
    const seen = await session(served.port, (s) => { s.write('GET / HTTP/1.1\r\nHost: t\r\n\r\n') })
    await served.close()
    t.match(seen.text, /^HTTP\/1\.1 200 OK\r\n/, `${name}: answered`)
    t.ok(seen.closed && seen.ms >= window[0] && seen.ms <= window[1], `${name} on ${process.version}: idle connection closed after ${seen.ms} ms, within ${window[0]}..${window[1]}`)
  }
})

t.test('closeIdleConnections closes the idle connections only, as node:http', async (t) => {
  for (const [name, make] of Object.entries({ ...kinds, ...fastifyKinds })) {
    const served = await make({}, (req, res) => {
      req.resume()
      if (req.url === '/slow') setTimeout(() => res.end('slow'), 300)
      else res.end('ok')
    })
    const idle = session(served.port, (s) => { s.write('GET / HTTP/1.1\r\nHost: t\r\n\r\n') }, 3000)
    const partial = session(served.port, (s) => { s.write('GET / HTTP/1.1\r\nHo') }, 1200)
    const inFlight = session(served.port, (s) => { s.write('GET /slow HTTP/1.1\r\nHost: t\r\n\r\n') }, 1200)
    await sleep(100)
    served.server.closeIdleConnections()
    const [a, b, c] = await Promise.all([idle, partial, inFlight])
    t.ok(a.closed && a.ms < 1000, `${name}: the idle connection closed (${a.ms} ms)`)
    t.notOk(b.closed, `${name}: a connection in the middle of a head stays open`)
    t.match(c.text, /\r\n\r\nslow$/, `${name}: the request in flight is answered`)
    t.notOk(c.closed, `${name}: and its connection stays open`)
    await served.close()
  }
})
