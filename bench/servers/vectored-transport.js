'use strict'
// Fastify on vectored's own transport (`serverFactory: vectoredServer()`,
// no node:http underneath) plus the plugin's reply decorators.
const Fastify = require('fastify')
const p = require('./payloads')
const { addDeploymentRoutes } = require('./realistic-app')
const { serverOptions, listenOptions, readyLine } = require('./args')

async function main () {
  const opts = serverOptions()
  let server
  try {
    server = require('@vectored/server')
  } catch (err) {
    console.log(`unavailable @vectored/server cannot be loaded (${String(err.message).split('\n')[0]})`)
    return
  }
  if (typeof server.vectoredServer !== 'function') {
    console.log('unavailable @vectored/server exports no vectoredServer')
    return
  }
  const app = Fastify({ logger: false, serverFactory: server.vectoredServer() })
  await app.register(server.vectored)

  app.get(p.routes.hello, async () => p.hello)
  app.get(p.routes.buffer, (req, reply) => { reply.type(p.types.bin).send(p.buffer64k) })
  app.get(p.routes.stream, (req, reply) => { reply.type(p.types.bin).send(p.makeStream()) })
  app.get(p.routes.vector, (req, reply) => { reply.type(p.types.bin).sendVector(p.vectorPieces) })
  app.get(p.routes.file, (req, reply) => { reply.type(p.types.bin).sendFile(opts.file) })
  await addDeploymentRoutes(app) // POST /echo and the realistic app under /app

  await app.listen(listenOptions(opts))
  console.log(readyLine(app))
}

main().catch((err) => { console.error(err); process.exit(1) })
