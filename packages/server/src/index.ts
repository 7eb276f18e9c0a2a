/**
 * @vectored/server: the Fastify plugin. `await app.register(vectored)` hands
 * the connections of Fastify's node:http Server to the transport's
 * Connection (take-connections.ts), whose responses reach the socket through
 * core's SocketWriter; with `connections: 'node'`, node:http keeps them and
 * builds a VectoredResponse per request instead (response.ts). The reply
 * gains sendVector and sendFile. Where the direct path cannot serve,
 * nothing changes.
 */
import * as fs from 'node:fs'
import * as http from 'node:http'
import * as tls from 'node:tls'
import fp from 'fastify-plugin'
import type { FastifyInstance, FastifyReply } from 'fastify'
import { backend, backendReason, chainSymbol, serverSymbols, transportMissing } from '@vectored/core'
import { VectoredResponse, flushBeforeClientError, flushBeforeCloseIdle, responseMissing } from './response'
import { TransportResponse, TransportServer } from './transport'
import { takeConnections, takeoverReason } from './take-connections'
import { warnFallback } from './fallback'
import { stats, type VectoredStats } from './stats'
import { vectorLength, vectorPayload } from './vector-payload'

export interface VectoredOptions {
  /** false: register the decorators but leave node:http's transport alone. Default true. */
  enabled?: boolean
  /**
   * Who serves the connections of a plain node:http server.
   * 'vectored' (default): vectored parses the requests (Node's llhttp) and
   * writes the responses; requests are lightweight objects with the
   * IncomingMessage surface Fastify uses. 'node': node:http keeps parsing
   * and its IncomingMessage / ServerResponse; only the response bytes go
   * through vectored's writer. See docs/plugin.md.
   */
  connections?: 'vectored' | 'node'
}

/** Byte range of reply.sendFile, both ends inclusive as in fs.createReadStream. */
export interface FileRange {
  start?: number
  end?: number
}

export interface VectoredDecorator {
  /** Whether replies of this app go through the socket writer. */
  readonly active: boolean
  /** Why the stock path serves this app (empty when active), or which backend writes. */
  readonly reason: string
  /** Counters of the writer and the plugin, process-wide. */
  stats(): VectoredStats
}

declare module 'fastify' {
  interface FastifyReply {
    /** Sends the pieces as one body, in order, without concatenating them. */
    sendVector(pieces: Uint8Array[]): FastifyReply
    /** Sends a file (or a byte range of it) with sendfile where the connection allows. */
    sendFile(path: string, range?: FileRange): FastifyReply
  }
  interface FastifyInstance {
    vectored: VectoredDecorator
  }
}

export type { VectoredStats } from './stats'
export { VectoredResponse } from './response'

/** Why this app's server cannot take the direct path; empty when it can. */
function serverReason(app: FastifyInstance, opts: VectoredOptions): { reason: string; slot: symbol | null } {
  const server = app.server as http.Server & Record<symbol, unknown>
  if (opts.enabled === false) return { reason: 'disabled by the enabled: false option', slot: null }
  if ((app.initialConfig as { http2?: boolean }).http2 === true) return { reason: 'HTTP/2: the session owns the socket', slot: null }
  if (server instanceof tls.Server) return { reason: 'TLS: the socket fd carries ciphertext', slot: null }
  if (process.platform === 'win32') return { reason: 'Windows: sockets have no fd to write on', slot: null }
  if (!(server instanceof http.Server)) return { reason: 'the server is not a node:http Server', slot: null }
  const slot = serverSymbols.ServerResponse ?? null
  if (slot === null) return { reason: 'this Node keeps no ServerResponse class on the server', slot: null }
  const current = server[slot]
  if (current !== http.ServerResponse && current !== VectoredResponse) {
    return { reason: 'the server already uses a custom ServerResponse class', slot: null }
  }
  return { reason: '', slot }
}

// Fastify's per-route context (lib/symbols.js: kRouteContext = Symbol('fastify.context'),
// a getter on Reply.prototype in lib/reply.js), found by description on the first
// reply's prototype chain; its onSend holds every onSend hook of the route.
let kRouteContext: symbol | null | undefined

function hasOnSendHooks(reply: FastifyReply): boolean {
  if (kRouteContext === undefined) kRouteContext = chainSymbol(reply, 'fastify.context')
  if (kRouteContext === null) return true
  const context = (reply as unknown as Record<symbol, { onSend?: unknown[] | null } | undefined>)[kRouteContext]
  return context === undefined || (context.onSend != null && context.onSend.length > 0)
}

function sendVector(this: FastifyReply, pieces: Uint8Array[]): FastifyReply {
  const length = vectorLength(pieces)
  if (!this.hasHeader('content-type')) this.type('application/octet-stream')
  // Unjoined only where nothing else sees the payload; onSend hooks (compress,
  // etag...) and replies without a socket (inject) get the joined Buffer,
  // exactly what reply.send(Buffer.concat(pieces)) would give them.
  if ((this.raw instanceof TransportResponse || this.raw instanceof VectoredResponse) && !hasOnSendHooks(this)) return this.send(vectorPayload(pieces, length))
  return this.send(Buffer.concat(pieces, length))
}

function sendFile(this: FastifyReply, path: string, range?: FileRange): FastifyReply {
  const reply = this
  fs.stat(path, (err, st) => {
    if (err !== null || !st.isFile()) {
      const error = err ?? Object.assign(new Error(`${path} is not a file`), { code: 'EISDIR' })
      if (error.code === 'ENOENT' || error.code === 'EISDIR') (error as { statusCode?: number }).statusCode = 404
      reply.send(error)
      return
    }
    const start = range?.start ?? 0
    const end = Math.min(range?.end ?? Infinity, st.size - 1)
    const length = Math.max(0, end - start + 1)
    if (!reply.hasHeader('content-type')) reply.type('application/octet-stream')
    reply.header('content-length', length)
    reply.send(length === 0 ? Buffer.alloc(0) : fs.createReadStream(path, { start, end }))
  })
  return reply
}

function checkOptions(opts: VectoredOptions): void {
  if (opts.enabled !== undefined && typeof opts.enabled !== 'boolean') {
    throw new TypeError(`@vectored/server: the enabled option must be true or false, got ${JSON.stringify(opts.enabled)}`)
  }
  if (opts.connections !== undefined && opts.connections !== 'vectored' && opts.connections !== 'node') {
    throw new TypeError(`@vectored/server: the connections option must be 'vectored' or 'node', got ${JSON.stringify(opts.connections)}`)
  }
}

async function plugin(app: FastifyInstance, opts: VectoredOptions): Promise<void> {
  checkOptions(opts)
  const { reason, slot } = serverReason(app, opts)
  const onTransport = app.server instanceof TransportServer
  let path = ''
  let stock = reason
  if (slot !== null) {
    let why = opts.connections === 'node' ? "the connections: 'node' option" : takeoverReason(app.server)
    if (why === '' && transportMissing !== '') {
      why = `the transport needs ${transportMissing}, which Node ${process.version} lacks`
      warnFallback('transport', why)
    }
    if (why === '') {
      takeConnections(app.server)
      path = 'vectored connections'
    } else if (responseMissing !== '') {
      // node:http keeps the connections and its own ServerResponse: the stock path.
      stock = `node:http's own ServerResponse serves (${why}): the vectored response needs ${responseMissing}, which Node ${process.version} lacks`
      warnFallback('response', stock)
    } else {
      ;(app.server as unknown as Record<symbol, unknown>)[slot] = VectoredResponse
      app.server.prependListener('clientError', flushBeforeClientError)
      flushBeforeCloseIdle(app.server)
      path = `node:http connections (${why})`
    }
  }
  const active = path !== '' || onTransport
  const decorator: VectoredDecorator = {
    active,
    // On vectored's own transport every reply goes through the writer already.
    reason: active ? `${backendReason || `${backend.name} backend`}, ${onTransport ? 'vectored transport' : path}` : stock,
    stats,
  }
  app.decorate('vectored', decorator)
  app.decorateReply('sendVector', sendVector)
  app.decorateReply('sendFile', sendFile)
}

export const vectored = fp(plugin, { fastify: '5.x', name: '@vectored/server' })
export default vectored
export { vectoredServer, TransportServer, TransportResponse, type TransportServerOptions } from './transport'
