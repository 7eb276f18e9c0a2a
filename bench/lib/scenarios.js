'use strict'
// What each scenario requests, with how many connections, and the bytes
// a correct response carries. The 4 MiB bodies use 8 connections: with 64,
// each response takes longer than a quick window and few complete in it.
const p = require('../servers/payloads')

const scenarios = [
  { name: 'hello', route: p.routes.hello, connections: 64, pipelining: 1, body: () => p.helloBody, type: p.types.json, desc: 'JSON {"hello":"world"}' },
  { name: 'pipelined', route: p.routes.hello, connections: 64, pipelining: 10, body: () => p.helloBody, type: p.types.json, desc: 'hello, 10 pipelined requests per connection' },
  { name: 'buffer-64k', route: p.routes.buffer, connections: 64, pipelining: 1, body: () => p.buffer64k, type: p.types.bin, desc: 'a 64 KiB Buffer' },
  { name: 'vector-16x4k', route: p.routes.vector, connections: 64, pipelining: 1, body: () => p.vectorConcat, type: p.types.bin, desc: '16 x 4 KiB pieces (stock: one concatenated Buffer; vectored: reply.sendVector)' },
  { name: 'file-4m', route: p.routes.file, connections: 8, pipelining: 1, body: fileBody, type: p.types.bin, desc: 'a 4 MiB file (stock: @fastify/static; vectored: reply.sendFile)' },
  { name: 'stream-256x16k', route: p.routes.stream, connections: 8, pipelining: 1, body: () => Buffer.concat(p.streamChunks), type: p.types.bin, chunked: true, desc: 'a Readable of 256 x 16 KiB chunks' },
  { name: 'connections-1000', route: p.routes.hello, connections: 1000, pipelining: 1, body: () => p.helloBody, type: p.types.json, desc: 'hello with 1,000 connections' },
  // The app listens on a unix socket behind nginx (proxy_pass unix:, keep-alive
  // upstream); the load goes to nginx, CPU/req is the app process's.
  { name: 'nginx-unix', route: p.routes.hello, connections: 64, pipelining: 1, body: () => p.helloBody, type: p.types.json, front: 'nginx-unix', desc: 'hello through nginx to the app on a unix socket (app CPU/req)' }
]

let fileCache
function fileBody () { return (fileCache ??= p.fileBytes()) }

module.exports = { scenarios, byName: Object.fromEntries(scenarios.map((s) => [s.name, s])) }
