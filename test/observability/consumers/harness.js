'use strict'
// The child side of the consumer tests: a consumer script registers its
// instrumentation first, then calls build(mode) (which requires fastify and
// @vectored/server only then, so require hooks see them), adds its routes and
// calls serve(app, report). serve listens on 127.0.0.1, tells the parent the
// port over IPC, and on { report: true } answers with report()'s JSON and closes.

const MODES = ['stock', 'plugin', 'node-connections', 'transport']

// Only a test forks these scripts, with a mode; run without one (tap given
// the folder), they say so in TAP and stop before anything is instrumented.
if (!MODES.includes(process.argv[2]) || typeof process.send !== 'function') {
  process.stdout.write('1..0 # SKIP a consumer script, forked by test/observability/*.test.ts\n')
  process.exit(0)
}

function modeArg () {
  const mode = process.argv[2]
  if (!MODES.includes(mode)) throw new Error(`mode must be one of ${MODES.join(', ')}, not ${mode}`)
  return mode
}

async function build (mode, options = {}) {
  const Fastify = require('fastify')
  const { default: vectored, vectoredServer } = require('@vectored/server')
  const app = Fastify({ logger: false, ...options, ...(mode === 'transport' ? { serverFactory: vectoredServer() } : {}) })
  if (mode === 'plugin' || mode === 'transport') await app.register(vectored)
  if (mode === 'node-connections') await app.register(vectored, { connections: 'node' })
  return app
}

async function serve (app, report) {
  await app.listen({ port: 0, host: '127.0.0.1' })
  process.on('message', async (msg) => {
    if (!msg || msg.report !== true) return
    try {
      const data = await report()
      process.send({ data }, () => { app.close().then(() => process.disconnect()) })
    } catch (err) {
      process.send({ error: String(err && err.stack || err) }, () => process.exit(1))
    }
  })
  process.send({ port: app.server.address().port })
}

function fail (err) {
  if (process.send) process.send({ error: String(err && err.stack || err) }, () => process.exit(1))
  else { console.error(err); process.exit(1) }
}

module.exports = { MODES, modeArg, build, serve, fail }
