'use strict'
// The servers compared. `strictHeaders` variants (Fastify on Node) must send the same header
// bytes as stock Fastify (modulo Date); the others may order headers
// differently and add a few harmless ones (see correctness.js).
const path = require('node:path')
const { nginxSpec } = require('./nginx')

const SERVERS = path.join(__dirname, '..', 'servers')
// Every Node server starts with settle-ticks.js preloaded (docs/benchmark.md),
// on the Node of --node (ctx.node.bin: scripts/node-lines.js), by default the
// one running the bench.
const nodeServerArgs = (file) => ['-r', path.join(SERVERS, 'settle-ticks.js'), file]
const nodeBin = (ctx) => ctx?.node?.bin ?? process.execPath
const node = (file) => (peers, port, ctx) => ({ ok: true, spec: { cmd: nodeBin(ctx), args: nodeServerArgs(path.join(SERVERS, file)) } })

// The realistic scenario is a Fastify app (bench/servers/realistic-app.js).
const APP_ONLY = 'n/a: the realistic app is a Fastify app (routes, schema serializer, hooks); this variant is not Fastify'

const variants = [
  // listensOnPath: the server listens on LISTEN_PATH (a unix socket) when set (the nginx-unix scenario).
  { name: 'fastify', strictHeaders: true, listensOnPath: true, desc: 'Fastify 5 stock (baseline)', prepare: node('fastify.js') },
  { name: 'node-http', strictHeaders: false, desc: 'hand-written node:http handler', unsupported: { realistic: APP_ONLY }, prepare: node('node-http.js') },
  { name: 'fastify-vectored', strictHeaders: true, listensOnPath: true, desc: 'Fastify + await app.register(vectored)', prepare: node('fastify-vectored.js') },
  // optIn: run only when named with --variant.
  {
    name: 'fastify-vectored-node',
    optIn: true,
    strictHeaders: true,
    listensOnPath: true,
    desc: "Fastify + register(vectored, { connections: 'node' }): node:http parses, vectored writes",
    prepare: (peers, port, ctx) => ({ ok: true, spec: { cmd: nodeBin(ctx), args: [...nodeServerArgs(path.join(SERVERS, 'fastify-vectored.js')), '--connections', 'node'] } })
  },
  { name: 'vectored-transport', strictHeaders: false, desc: "Fastify on vectored's transport (serverFactory: vectoredServer())", prepare: node('vectored-transport.js') },
  {
    name: 'fastify-bun',
    strictHeaders: false, // Bun writes the head itself: a peer
    desc: 'stock Fastify 5 running on Bun',
    prepare: (peers) => peers.bun
      ? { ok: true, spec: { cmd: peers.bun.path, args: [path.join(SERVERS, 'fastify.js')] } }
      : { ok: false, reason: 'bun not installed (run with --install-peers)' }
  },
  {
    name: 'bun-serve',
    strictHeaders: false,
    desc: 'Bun.serve',
    unsupported: { realistic: APP_ONLY },
    prepare: (peers) => peers.bun
      ? { ok: true, spec: { cmd: peers.bun.path, args: [path.join(SERVERS, 'bun-serve.js')] } }
      : { ok: false, reason: 'bun not installed (run with --install-peers)' }
  },
  {
    name: 'nginx',
    strictHeaders: false,
    desc: 'nginx, one process, return 200 / static files',
    unsupported: {
      'stream-256x16k': 'nginx has no streaming source to serve from (n/a)',
      'post-json-1k': 'n/a: nginx cannot parse a JSON body and derive a reply from it',
      realistic: APP_ONLY
    },
    prepare: (peers, port, ctx) => peers.nginx
      ? { ok: true, spec: nginxSpec(peers.nginx.path, port, ctx.file, ctx.serverConnections) }
      : { ok: false, reason: 'nginx not installed (run with --install-peers)' }
  }
]

module.exports = { variants, byName: Object.fromEntries(variants.map((v) => [v.name, v])), nodeServerArgs }
