'use strict'
// A child process: Fastify with the plugin (and, with --factory, on
// vectoredServer()) serves real requests over keep-alive connections, and
// an unfinished head meets headersTimeout; prints what it saw as JSON.
const net = require('node:net')
const Fastify = require('fastify')
const { vectored, vectoredServer } = require('@vectored/server')

const warnings = []
process.on('warning', (w) => { if (w.code === 'VECTORED_FALLBACK') warnings.push(w.message) })

function exchange (port, data, wait) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1')
    let text = ''
    const timer = setTimeout(() => { socket.destroy(); resolve(text) }, wait)
    socket.setEncoding('latin1')
    socket.on('data', (d) => { text += d })
    socket.on('error', () => {})
    socket.on('close', () => { clearTimeout(timer); resolve(text) })
    socket.write(data)
  })
}

async function main () {
  const factory = process.argv.includes('--factory')
  const app = Fastify({ http: { headersTimeout: 300, connectionsCheckingInterval: 50 }, ...(factory ? { serverFactory: vectoredServer() } : {}) })
  await app.register(vectored)
  app.get('/n/:n', (req) => ({ n: Number(req.params.n) }))
  await app.listen({ port: 0, host: '127.0.0.1' })
  const port = app.server.address().port
  const pipelined = Array.from({ length: 20 }, (_, i) => `GET /n/${i} HTTP/1.1\r\nHost: t\r\n\r\n`).join('')
  const text = await exchange(port, pipelined, 1500)
  const bodies = [...text.matchAll(/\{"n":(\d+)\}/g)].map((m) => Number(m[1]))
  const timeout = await exchange(port, 'GET / HTTP/1.1\r\nHost: t\r\nX-Slow: ', 3000)
  const out = { version: process.version, reason: app.vectored.reason, active: app.vectored.active, warnings, bodies, timeout: timeout.split('\r\n')[0] }
  await app.close()
  process.stdout.write(JSON.stringify(out) + '\n')
}
main().catch((err) => { process.stdout.write(JSON.stringify({ error: String(err && err.stack || err) }) + '\n'); process.exitCode = 1 })
