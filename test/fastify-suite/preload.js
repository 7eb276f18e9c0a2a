'use strict'
/**
 * Preloaded (NODE_OPTIONS=--require) into every process of Fastify's own test
 * suite: the fastify factory is replaced, in require's cache, by one that
 * registers @vectored/server in every app before anything else the test does.
 * Loaded only when VECTORED_SUITE=1, so the stock baseline runs the same files
 * through the same runner.
 */
const path = require('node:path')

if (process.env.VECTORED_SUITE === '1') {
  const Module = require('node:module')
  const fastifyMain = require.resolve(process.env.VECTORED_FASTIFY_DIR)
  let wrapped = null

  // Wrapped on first load, not eagerly: some tests stub Fastify's internals
  // (require('../lib/hooks').x = ...) before they require the factory.
  const load = Module._load
  Module._load = function loadWithVectored (request, parent, isMain) {
    const exported = load.apply(this, arguments)
    if (wrapped === null) {
      const cached = require.cache[fastifyMain]
      if (cached !== undefined && cached.loaded && exported === cached.exports) wrapped = wrap(cached)
      else return exported
    }
    return exported === wrapped.raw ? wrapped.fn : exported
  }

  function wrap (cached) {
    const fastify = cached.exports
    const { vectored } = load(path.join(__dirname, '../../packages/server/dist/index.js'), module, false)
    function fastifyWithVectored (...args) {
      const app = fastify(...args)
      app.register(vectored)
      return app
    }
    for (const key of Reflect.ownKeys(fastify)) {
      if (key === 'length' || key === 'name' || key === 'prototype') continue
      Object.defineProperty(fastifyWithVectored, key, Object.getOwnPropertyDescriptor(fastify, key))
    }
    fastifyWithVectored.default = fastifyWithVectored
    fastifyWithVectored.fastify = fastifyWithVectored
    cached.exports = fastifyWithVectored
    return { raw: fastify, fn: fastifyWithVectored }
  }
}
