'use strict'
// Bun.serve (run with the `bun` binary): a fast non-Node peer.
/* global Bun */
const p = require('./payloads')
const { serverOptions } = require('./args')

const opts = serverOptions()
// One fd for the file, opened once: Bun.file(path) would add a
// content-disposition header that no other variant sends.
const file = Bun.file(require('node:fs').openSync(opts.file, 'r'))
const json = { 'content-type': p.types.json }
const bin = { 'content-type': p.types.bin }

function streamBody () {
  let i = 0
  return new ReadableStream({
    pull (controller) {
      if (i < p.streamChunks.length) controller.enqueue(p.streamChunks[i++])
      else controller.close()
    }
  })
}

const server = Bun.serve({
  hostname: opts.host,
  port: opts.port,
  idleTimeout: 255, // seconds, the most Bun takes (its default, 10 s, would close the idle-10k scenario's connections)
  fetch (req) {
    const path = req.url.slice(req.url.indexOf('/', 8))
    switch (path) {
      case p.routes.hello: return new Response(JSON.stringify(p.hello), { headers: json })
      case p.routes.buffer: return new Response(p.buffer64k, { headers: bin })
      case p.routes.vector: return new Response(new Blob(p.vectorPieces), { headers: bin })
      case p.routes.file: return new Response(file, { headers: bin })
      case p.routes.stream: return new Response(streamBody(), { headers: bin })
      case p.routes.echo: return req.json().then((o) => new Response(JSON.stringify(p.echoReply(o)), { headers: json }))
      default: return new Response('', { status: 404 })
    }
  }
})
console.log(`ready ${server.port}`)
