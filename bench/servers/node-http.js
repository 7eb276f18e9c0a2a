'use strict'
// A hand-written node:http handler: what Node itself costs, without Fastify.
const http = require('node:http')
const fs = require('node:fs')
const p = require('./payloads')
const { serverOptions } = require('./args')

const opts = serverOptions()
const json = { 'content-type': p.types.json, 'content-length': p.helloBody.length }

const handlers = {
  [p.routes.hello] (req, res) {
    res.writeHead(200, json)
    res.end(JSON.stringify(p.hello))
  },
  [p.routes.buffer] (req, res) {
    res.writeHead(200, { 'content-type': p.types.bin, 'content-length': p.buffer64k.length })
    res.end(p.buffer64k)
  },
  [p.routes.vector] (req, res) {
    // node:http has no vector API: corked writes of each piece.
    res.writeHead(200, { 'content-type': p.types.bin, 'content-length': p.vectorConcat.length })
    res.cork()
    for (const piece of p.vectorPieces) res.write(piece)
    res.end()
    res.uncork()
  },
  [p.routes.file] (req, res) {
    fs.stat(opts.file, (err, st) => {
      if (err) { res.writeHead(500); res.end(); return }
      res.writeHead(200, { 'content-type': p.types.bin, 'content-length': st.size })
      fs.createReadStream(opts.file).pipe(res)
    })
  },
  [p.routes.stream] (req, res) {
    res.writeHead(200, { 'content-type': p.types.bin })
    p.makeStream().pipe(res)
  },
  // POST: the body read whole, parsed, a small JSON derived from it
  [p.routes.echo] (req, res) {
    const chunks = []
    req.on('data', (c) => chunks.push(c))
    req.on('end', () => {
      let reply
      try { reply = Buffer.from(JSON.stringify(p.echoReply(JSON.parse(Buffer.concat(chunks))))) } catch { res.writeHead(400); res.end(); return }
      res.writeHead(200, { 'content-type': p.types.json, 'content-length': reply.length })
      res.end(reply)
    })
  }
}

const server = http.createServer((req, res) => {
  const h = handlers[req.url]
  if (h) return h(req, res)
  res.writeHead(404)
  res.end()
})
server.keepAliveTimeout = 72000 // as Fastify sets it
server.listen(opts.port, opts.host, () => console.log(`ready ${server.address().port}`))
