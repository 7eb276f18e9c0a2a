/**
 * The plugin's default: the connections of Fastify's node:http Server are
 * served by the transport's Connection (Node's llhttp parser, lightweight
 * requests, responses written through core's SocketWriter) instead of
 * node:http's IncomingMessage / ServerResponse. The server stays the same
 * http.Server: listen, address, close, its options and events are node:http's.
 *
 * Node 20, lib/_http_server.js:
 *
 *     function Server(options, requestListener) { ...
 *       this.on('connection', connectionListener);   // the one listener replaced here
 *     function httpServerPreClose(server) {
 *       server.closeIdleConnections();                // called through the instance
 *       clearInterval(server[kConnectionsCheckingInterval]);
 *     }
 *
 * See docs/plugin.md, "Whose connections".
 */
import * as http from 'node:http'
import type { Socket } from 'node:net'
import { ConnectionPool, type ConnectionHost } from './transport/connection-pool'
import { lineOptimizeEmptyRequestsKey } from './transport/line-options'
import { serverSymbols } from '@vectored/core'

type NodeServer = http.Server & Record<symbol, unknown>

/** Why node:http must keep this server's connections; empty when they can be taken. */
export function takeoverReason(server: http.Server): string {
  const s = server as NodeServer
  const kIncoming = serverSymbols.IncomingMessage
  if (kIncoming === undefined) return `this Node (${process.version}) keeps no IncomingMessage class on its http.Server`
  if (s[kIncoming] !== http.IncomingMessage) return 'the server has a custom IncomingMessage class'
  const kResponse = serverSymbols.ServerResponse
  if (kResponse === undefined) return `this Node (${process.version}) keeps no ServerResponse class on its http.Server`
  if (s[kResponse] !== http.ServerResponse) return 'the server has a custom ServerResponse class'
  if (!s.listeners('connection').some((l) => l.name === 'connectionListener')) return "node:http's connection listener is not on the server"
  if (s.listening) return 'the server is already listening'
  return ''
}

/**
 * Replaces node:http's connection listener with a ConnectionPool's; the
 * server's closeAllConnections / closeIdleConnections / close act on the
 * pool (own ones a custom server set before still run, after). Call only
 * when takeoverReason(server) is empty.
 */
export function takeConnections(server: http.Server): ConnectionPool {
  const s = server as NodeServer
  const kUnique = serverSymbols.uniqueHeaders
  const unique = kUnique === undefined ? null : (s[kUnique] as ReadonlySet<string> | null | undefined) ?? null
  const optimize = lineOptimizeEmptyRequestsKey !== undefined && s[lineOptimizeEmptyRequestsKey] === true
  const pool = new ConnectionPool(server as unknown as ConnectionHost, unique, optimize)
  const nodeListener = s.listeners('connection').find((l) => l.name === 'connectionListener') as (socket: Socket) => void
  server.removeListener('connection', nodeListener)
  server.prependListener('connection', (socket: Socket) => pool.accept(socket))
  server.on('listening', () => pool.startSweep())
  // Own methods a custom server set before (wrappers around node:http's) still run, after the pool's.
  const onPool = (name: 'closeIdleConnections' | 'closeAllConnections', first: () => void): PropertyDescriptor => {
    const own = Object.prototype.hasOwnProperty.call(server, name) ? (server[name] as (...args: unknown[]) => unknown) : null
    return {
      configurable: true,
      writable: true,
      value(this: http.Server, ...args: unknown[]) {
        first()
        return own === null ? undefined : Reflect.apply(own, this, args)
      },
    }
  }
  const close = server.close
  Object.defineProperties(server, {
    closeIdleConnections: onPool('closeIdleConnections', () => pool.closeIdle()),
    closeAllConnections: onPool('closeAllConnections', () => pool.closeAll()),
    close: {
      configurable: true,
      writable: true,
      value(this: http.Server, ...args: unknown[]) {
        // Idle connections end now even if closeIdleConnections was replaced after the takeover.
        pool.closing()
        return Reflect.apply(close, this, args) // node:http's close, which calls closeIdleConnections
      },
    },
  })
  return pool
}
