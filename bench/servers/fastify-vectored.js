'use strict'
// Fastify + `await app.register(vectored)`: the project under test.
// `--connections node`: register(vectored, { connections: 'node' }) (the
// fastify-vectored-node variant).
// Features the plugin does not provide yet are announced as
// `missing <route> <reason>` lines; the runner reports those cells SKIPPED.
const Fastify = require('fastify')
const p = require('./payloads')
const { addDeploymentRoutes } = require('./realistic-app')
const { parseArgs } = require('node:util')
const { serverOptions, listenOptions, readyLine } = require('./args')

function loadPlugin () {
  try {
    const mod = require('@vectored/server')
    const plugin = mod.vectored || mod.default
    if (typeof plugin !== 'function') return { reason: '@vectored/server exports no `vectored` plugin' }
    return { plugin }
  } catch (err) {
    return { reason: `@vectored/server cannot be loaded (${String(err.message).split('\n')[0]})` }
  }
}

async function main () {
  const opts = serverOptions()
  const { plugin, reason } = loadPlugin()
  if (!plugin) { console.log(`unavailable ${reason}`); return }

  const app = Fastify({ logger: false })
  const { values } = parseArgs({ options: { connections: { type: 'string' } }, strict: false })
  await app.register(plugin, values.connections ? { connections: values.connections } : {}) // loads the plugin now: its decorators are visible below

  // Probe the reply decorations the scenarios need.
  const has = (name) => app.hasReplyDecorator(name)
  app.get(p.routes.hello, async () => p.hello)
  app.get(p.routes.buffer, (req, reply) => { reply.type(p.types.bin).send(p.buffer64k) })
  app.get(p.routes.stream, (req, reply) => { reply.type(p.types.bin).send(p.makeStream()) })
  await addDeploymentRoutes(app) // POST /echo and the realistic app under /app
  if (has('sendVector')) {
    app.get(p.routes.vector, (req, reply) => { reply.type(p.types.bin).sendVector(p.vectorPieces) })
  } else {
    console.log(`missing ${p.routes.vector} reply.sendVector is not provided by @vectored/server yet`)
  }
  if (has('sendFile')) {
    app.get(p.routes.file, (req, reply) => { reply.type(p.types.bin).sendFile(opts.file) })
  } else {
    console.log(`missing ${p.routes.file} reply.sendFile is not provided by @vectored/server yet`)
  }

  await app.listen(listenOptions(opts))
  console.log(readyLine(app))
}

main().catch((err) => { console.error(err); process.exit(1) })
