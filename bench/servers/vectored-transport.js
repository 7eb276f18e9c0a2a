'use strict'
// Slot for the `vectored-transport` variant: vectored's own HTTP transport
// (no node:http underneath), planned after the Fastify plugin. Until it
// exists this server reports itself unavailable and the runner marks its
// cells SKIPPED. When it lands: serve the same routes as fastify.js, print
// `ready <port>`, and (if a feature is missing) `missing <route> <reason>`.
console.log('unavailable vectored-transport is not built yet (planned after the Fastify plugin)')
