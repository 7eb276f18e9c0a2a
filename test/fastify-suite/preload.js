'use strict'
/**
 * Preloaded (NODE_OPTIONS=--require) into every process of Fastify's own test
 * suite. The first time a test loads fastify, its exports are replaced (in
 * require's cache) by a factory that, by VECTORED_SUITE:
 * - `vectored`: registers @vectored/server in every app before anything else;
 * - `node-connections`: the same with `{ connections: 'node' }`;
 * - `transport`: adds `serverFactory: vectoredServer()` to every app that does
 *   not bring its own server (serverFactory, https, http2).
 * Any other value leaves fastify alone: the stock baseline runs the same files
 * through the same runner. Wrapped on first load, not eagerly: some tests stub
 * Fastify's internals (require('../lib/hooks').x = ...) before they require it.
 */
const path = require('node:path')
const Module = require('node:module')

const mode = process.env.VECTORED_SUITE

if (mode === 'vectored' || mode === 'node-connections' || mode === 'transport') {
  const fastifyMain = require.resolve(process.env.VECTORED_FASTIFY_DIR)
  const serverDist = path.join(__dirname, '../../packages/server/dist/index.js')
  const load = Module._load
  let original = null
  let wrapped = null

  function withPlugin (fastify) {
    const { vectored } = load(serverDist, module, false)
    const options = mode === 'node-connections' ? { connections: 'node' } : {}
    return function fastifyWithVectored (...args) {
      const app = fastify(...args)
      app.register(vectored, options)
      return app
    }
  }

  function onTransport (fastify) {
    const { vectoredServer } = load(serverDist, module, false)
    return function fastifyOnTransport (options, ...rest) {
      if (options !== undefined && (options === null || typeof options !== 'object')) return fastify(options, ...rest)
      const opts = options ?? {}
      const own = opts.serverFactory || opts.https || opts.http2
      return fastify(own ? options : { ...opts, serverFactory: vectoredServer() }, ...rest)
    }
  }

  function wrap (fastify) {
    const factory = mode === 'transport' ? onTransport(fastify) : withPlugin(fastify)
    for (const key of Reflect.ownKeys(fastify)) {
      if (key === 'length' || key === 'name' || key === 'prototype') continue
      Object.defineProperty(factory, key, Object.getOwnPropertyDescriptor(fastify, key))
    }
    factory.default = factory
    factory.fastify = factory
    return factory
  }

  Module._load = function loadWrapped (request, parent, isMain) {
    const exported = load.apply(this, arguments)
    if (original === null) {
      const cached = require.cache[fastifyMain]
      if (cached === undefined || !cached.loaded || exported !== cached.exports) return exported
      original = cached.exports
      wrapped = wrap(original)
      cached.exports = wrapped
    }
    return exported === original ? wrapped : exported
  }
}
