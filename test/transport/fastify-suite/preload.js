'use strict'
/**
 * Preloaded (NODE_OPTIONS=--require) into every process of Fastify's own test
 * suite when VECTORED_TRANSPORT=1: the first time a test loads fastify, its
 * exports are replaced (in require's cache) by a factory that adds
 * `serverFactory: vectoredServer()` to the options of every app that does not
 * bring its own server (serverFactory, https, http2), so each test runs on
 * the transport unchanged. Loading is left to the test (some stub Fastify's
 * internal modules before requiring it).
 */
const path = require('node:path')
const Module = require('node:module')

if (process.env.VECTORED_TRANSPORT === '1') {
  const fastifyMain = require.resolve(process.env.VECTORED_FASTIFY_DIR)
  const serverDist = path.join(__dirname, '../../../packages/server/dist/index.js')
  let original = null
  let wrapped = null

  function wrap (fastify) {
    const { vectoredServer } = require(serverDist)
    function fastifyOnTransport (options, ...rest) {
      if (options !== undefined && (options === null || typeof options !== 'object')) return fastify(options, ...rest)
      const opts = options ?? {}
      const own = opts.serverFactory || opts.https || opts.http2
      return fastify(own ? options : { ...opts, serverFactory: vectoredServer() }, ...rest)
    }
    for (const key of Reflect.ownKeys(fastify)) {
      if (key === 'length' || key === 'name' || key === 'prototype') continue
      Object.defineProperty(fastifyOnTransport, key, Object.getOwnPropertyDescriptor(fastify, key))
    }
    fastifyOnTransport.default = fastifyOnTransport
    fastifyOnTransport.fastify = fastifyOnTransport
    return fastifyOnTransport
  }

  const load = Module._load
  Module._load = function (request, parent, isMain) {
    const exported = load.apply(this, arguments)
    if (original === null) {
      const cached = require.cache[fastifyMain]
      if (cached === undefined || !cached.loaded) return exported
      original = cached.exports
      wrapped = wrap(original)
      cached.exports = wrapped
    }
    return exported === original ? wrapped : exported
  }
}
