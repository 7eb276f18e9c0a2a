'use strict'
// What each scenario requests, with how many connections, and the bytes
// a correct response carries. The 4 MiB bodies use 8 connections: with 64,
// each response takes longer than a quick window and few complete in it.
const p = require('../servers/payloads')
const realistic = require('../servers/realistic-app')

const json = { 'content-type': 'application/json' }

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
  { name: 'nginx-unix', route: p.routes.hello, connections: 64, pipelining: 1, body: () => p.helloBody, type: p.types.json, front: 'nginx-unix', desc: 'hello through nginx to the app on a unix socket (app CPU/req)' },
  // The rows deployments feel (issue 17; docs/benchmark.md). quick: 'if-fits'
  // rows are in the quick run when its budget has room for them (plan.js),
  // quick: false rows only with --full or by name.
  { name: 'post-json-1k', route: p.routes.echo, connections: 64, pipelining: 1, quick: 'if-fits', requests: [{ method: 'POST', path: p.routes.echo, headers: json, body: p.postBody, expect: () => p.echoBody }], type: p.types.json, desc: 'POST of a 1 KiB JSON body, parsed; a small JSON derived from it' },
  {
    name: 'connection-close',
    route: p.routes.hello,
    connections: 64,
    pipelining: 1,
    quick: false,
    closes: true, // correctness: the server must close the connection after the response
    requests: [{ method: 'GET', path: p.routes.hello, headers: { connection: 'close' }, expect: () => p.helloBody }],
    type: p.types.json,
    // autocannon, on a response that closes, writes its next request on the closing socket and
    // keeps that request queued, so every later latency is measured from an older request (and
    // the queue grows by one per connection); its reconnectRate never reports the response that
    // triggers the reconnect. wrk reconnects before writing again.
    loadgens: { autocannon: 'autocannon cannot measure a new connection per request (it writes the next request on the closing socket; docs/benchmark.md): run with --loadgen wrk' },
    desc: 'hello with Connection: close: a new connection per request'
  },
  { name: 'idle-10k', route: p.routes.hello, connections: 10000, pipelining: 1, quick: false, kind: 'idle', body: () => p.helloBody, type: p.types.json, desc: 'RSS per idle keep-alive connection: 10,000 connections, one request each, held open' },
  { name: 'latency-fixed', route: p.routes.hello, connections: 64, pipelining: 1, quick: false, kind: 'latency', levels: [0.25, 0.5, 0.9], body: () => p.helloBody, type: p.types.json, desc: 'hello at 25%, 50% and 90% of stock Fastify\'s peak req/s (measured in this run): p50 and p99' },
  { name: 'realistic', route: p.routes.app, connections: 64, pipelining: 1, quick: 'if-fits', requests: realistic.loadRequests.map((r) => ({ method: 'GET', path: r.path, expect: () => Buffer.from(JSON.stringify(r.data())) })), type: p.types.json, desc: `an app of ${realistic.ROUTES} routes, schema serializer, onRequest + onResponse hooks, 1 KiB JSON, ${realistic.loadRequests.length} routes in turn` }
]

// The requests of a scenario: [{ method, path, headers, body, expect() }],
// one for most, in turn per connection when several.
function requestsOf (s) {
  return s.requests ?? [{ method: 'GET', path: s.route, headers: {}, body: null, expect: s.body }]
}

let fileCache
function fileBody () { return (fileCache ??= p.fileBytes()) }

module.exports = { scenarios, requestsOf, byName: Object.fromEntries(scenarios.map((s) => [s.name, s])) }
