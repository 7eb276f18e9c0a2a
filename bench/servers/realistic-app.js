'use strict'
// The realistic app of the `realistic` scenario, and the POST /echo route of
// `post-json-1k`: shared by every Fastify server of the bench (stock, the
// plugin, the transport, and stock Fastify on Bun), registered with
// addDeploymentRoutes(app). The app is 20 routes under /app, every reply
// serialized by a response JSON schema (fast-json-stringify), one onRequest
// and one onResponse hook in the app's own encapsulated context (the other
// scenarios' routes do not run them), and replies of 1 KiB. The bench loads
// five of its routes in turn (loadRequests) and rebuilds the same bytes to
// check them (payloads of the correctness pass).
const p = require('./payloads')

const RESOURCES = ['users', 'products', 'orders', 'invoices', 'carts']
const REPLY_BYTES = 1024

const str = { type: 'string' }
const int = { type: 'integer' }
const recordSchema = {
  type: 'object',
  properties: {
    id: int,
    kind: str,
    name: str,
    email: str,
    createdAt: str,
    active: { type: 'boolean' },
    tags: { type: 'array', items: str },
    lines: { type: 'array', items: { type: 'object', properties: { sku: str, qty: int, price: int } } },
    description: str
  }
}
const listSchema = {
  type: 'object',
  properties: {
    kind: str,
    total: int,
    page: int,
    data: { type: 'array', items: { type: 'object', properties: { id: int, name: str, active: { type: 'boolean' } } } },
    description: str
  }
}

// `description` pads each reply to exactly REPLY_BYTES of JSON.
function padded (obj) {
  obj.description = ''
  obj.description = 'd'.repeat(Math.max(0, REPLY_BYTES - JSON.stringify(obj).length))
  return obj
}

// Deterministic data: the same in the servers and in the bench's check.
function record (kind, id) {
  return padded({
    id,
    kind,
    name: `${kind}-${id}`,
    email: `${kind}.${id}@example.com`,
    createdAt: new Date(Date.UTC(2026, 0, 1 + (id % 28))).toISOString(),
    active: id % 2 === 1,
    tags: Array.from({ length: 6 }, (_, i) => `tag-${(id + i) % 10}`),
    lines: Array.from({ length: 8 }, (_, i) => ({ sku: `sku-${1000 + ((id + i) % 50)}`, qty: 1 + (i % 3), price: 100 + i * 7 }))
  })
}

function list (kind, page) {
  return padded({
    kind,
    total: 500,
    page,
    data: Array.from({ length: 12 }, (_, i) => ({ id: page * 12 + i, name: `${kind}-${page * 12 + i}`, active: i % 2 === 0 }))
  })
}

// The requests the scenario spreads its load over, in turn on each connection.
const loadRequests = [
  { path: '/app/users/17', data: () => record('users', 17) },
  { path: '/app/products/42', data: () => record('products', 42) },
  { path: '/app/orders/7/history', data: () => record('orders-history', 7) },
  { path: '/app/products?page=3', data: () => list('products', 3) },
  { path: '/app/carts/3', data: () => record('carts', 3) }
]

async function realisticApp (app) {
  const stats = { requests: 0, ms: 0 }
  app.decorateRequest('startedAt', 0)
  app.addHook('onRequest', async (req) => { req.startedAt = performance.now() })
  app.addHook('onResponse', async (req) => {
    stats.requests++
    stats.ms += performance.now() - req.startedAt
  })
  const reply200 = (schema) => ({ schema: { response: { 200: schema } } })
  const id = (req) => Number(req.params.id) | 0
  for (const kind of RESOURCES) { // 3 routes each: 15
    app.get(`/${kind}`, reply200(listSchema), async (req) => list(kind, Number(req.query.page) | 0))
    app.get(`/${kind}/:id`, reply200(recordSchema), async (req) => record(kind, id(req)))
    app.get(`/${kind}/:id/history`, reply200(recordSchema), async (req) => record(`${kind}-history`, id(req)))
  }
  app.post('/orders', reply200(recordSchema), async (req) => record('orders', Number(req.body?.id) | 0))
  app.put('/users/:id', reply200(recordSchema), async (req) => record('users', id(req)))
  app.get('/health', reply200({ type: 'object', properties: { ok: { type: 'boolean' } } }), async () => ({ ok: true }))
  app.get('/stats', reply200({ type: 'object', properties: { requests: int, meanMs: { type: 'number' } } }), async () => ({ requests: stats.requests, meanMs: stats.requests ? stats.ms / stats.requests : 0 }))
  app.get('/version', reply200({ type: 'object', properties: { version: str } }), async () => ({ version: '1.0.0' }))
}

function addDeploymentRoutes (app) {
  app.post(p.routes.echo, async (req) => p.echoReply(req.body))
  return app.register(realisticApp, { prefix: p.routes.app })
}

module.exports = { addDeploymentRoutes, loadRequests, record, list, ROUTES: RESOURCES.length * 3 + 5 }
