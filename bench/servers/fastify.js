'use strict'
// Stock Fastify 5: the baseline every ratio is taken against.
// Also run under Bun for the `fastify-bun` variant.
const path = require('node:path')
const Fastify = require('fastify')
const p = require('./payloads')
const { addDeploymentRoutes } = require('./realistic-app')
const { serverOptions, listenOptions, readyLine } = require('./args')

async function main () {
  const opts = serverOptions()
  const app = Fastify({ logger: false })

  // File: @fastify/static with only the headers every variant sends
  // (content-type, content-length), so responses compare byte for byte.
  await app.register(require('@fastify/static'), {
    root: path.dirname(opts.file),
    serve: false,
    etag: false,
    lastModified: false,
    cacheControl: false,
    acceptRanges: false
  })

  app.get(p.routes.hello, async () => p.hello)
  app.get(p.routes.buffer, (req, reply) => { reply.type(p.types.bin).send(p.buffer64k) })
  app.get(p.routes.vector, (req, reply) => { reply.type(p.types.bin).send(Buffer.concat(p.vectorPieces)) })
  app.get(p.routes.file, (req, reply) => { reply.type(p.types.bin).sendFile(path.basename(opts.file)) })
  app.get(p.routes.stream, (req, reply) => { reply.type(p.types.bin).send(p.makeStream()) })
  await addDeploymentRoutes(app) // POST /echo and the realistic app under /app

  await app.listen(listenOptions(opts))
  console.log(readyLine(app))
}

main().catch((err) => { console.error(err); process.exit(1) })
