/**
 * Behind a proxy: Fastify's `trustProxy` reads X-Forwarded-For, -Proto and
 * -Host through request.raw (the socket's remoteAddress, `encrypted`, the
 * headers). Every request below goes to stock Fastify and to the plugin's
 * default mode, `{ connections: 'node' }` and the transport, over real
 * sockets; what the route sees of the client must be the same in each.
 */
import t from 'tap'
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import vectored, { vectoredServer } from '@vectored/server'
import { rawRequest } from '../helpers/raw-http'

const MODES = ['stock', 'plugin', 'node-connections', 'transport'] as const
type Mode = typeof MODES[number]

// A number (the hops to trust) is documented and handled by Fastify (proxy-addr), not in its types.
type TrustProxy = FastifyServerOptions['trustProxy'] | number

async function appFor(mode: Mode, trustProxy: TrustProxy): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, trustProxy: trustProxy as FastifyServerOptions['trustProxy'], ...(mode === 'transport' ? { serverFactory: vectoredServer() } : {}) })
  if (mode === 'plugin' || mode === 'transport') await app.register(vectored)
  if (mode === 'node-connections') await app.register(vectored, { connections: 'node' })
  app.get('/who', async (req) => ({
    ip: req.ip, ips: req.ips ?? null, protocol: req.protocol, host: req.host, hostname: req.hostname, port: req.port ?? null,
    remote: req.socket.remoteAddress, raw: req.raw.url,
  }))
  await app.listen({ port: 0, host: '127.0.0.1' })
  return app
}

const REQUESTS: { name: string; headers: string }[] = [
  { name: 'no forwarding headers', headers: 'Host: app.example:8080\r\n' },
  { name: 'one proxy', headers: 'Host: 127.0.0.1\r\nX-Forwarded-For: 203.0.113.7\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Host: shop.example\r\n' },
  { name: 'a chain of proxies', headers: 'Host: 127.0.0.1\r\nX-Forwarded-For: 198.51.100.1, 203.0.113.7, 10.0.0.2\r\nX-Forwarded-Proto: https, http\r\nX-Forwarded-Host: shop.example:8443\r\n' },
  { name: 'IPv6 client', headers: 'Host: [::1]:3000\r\nX-Forwarded-For: 2001:db8::5\r\n' },
]

/** What /who answered on each request, in order, on one fresh connection per request. */
async function answers(app: FastifyInstance): Promise<string[]> {
  const port = (app.server.address() as { port: number }).port
  const out: string[] = []
  for (const r of REQUESTS) {
    const res = await rawRequest(port, `GET /who HTTP/1.1\r\n${r.headers}Connection: close\r\n\r\n`, 1, ['GET'])
    const text = res.bytes.toString('latin1')
    const status = text.slice(0, text.indexOf('\r\n'))
    out.push(`${r.name}: ${status} ${text.slice(text.indexOf('\r\n\r\n') + 4)}`)
  }
  return out
}

for (const trustProxy of [false, true, '127.0.0.1', 1] as const) {
  t.test(`trustProxy: ${JSON.stringify(trustProxy)}`, async (t) => {
    const seen: Partial<Record<Mode, string[]>> = {}
    for (const mode of MODES) {
      const app = await appFor(mode, trustProxy)
      try {
        seen[mode] = await answers(app)
        if (mode === 'plugin' || mode === 'transport') t.ok(app.vectored.active, `${mode}: on the vectored path (${app.vectored.reason})`)
      } finally {
        await app.close()
      }
    }
    const stock = seen.stock!
    t.equal(stock.length, REQUESTS.length, 'stock answered every request')
    for (const line of stock) t.match(line, /^[^:]+: HTTP\/1\.1 200 OK \{"ip":/, 'stock: a 200 with the route\'s JSON')
    if (trustProxy === true) t.match(stock[1], /"ip":"203\.0\.113\.7".*"protocol":"https".*"host":"shop\.example"/, 'stock reads the forwarded headers')
    if (trustProxy === false) t.match(stock[1], /"ip":"127\.0\.0\.1".*"protocol":"http"/, 'stock ignores the forwarded headers')
    for (const mode of MODES.slice(1)) t.same(seen[mode], stock, `${mode}: the same ip, ips, protocol, host, hostname and port as stock`)
  })
}
