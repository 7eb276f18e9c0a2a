/**
 * The live connections of one server and the one timer that checks them.
 * Both servers the transport serves on use it: its own TransportServer, and
 * a node:http Server whose connections the plugin takes (connections.ts).
 * The server object is read for its options on every use, so a later
 * `server.keepAliveTimeout = n` applies, as with node:http.
 */
import type { EventEmitter } from 'node:events'
import type { Socket } from 'node:net'
import { Connection } from './connection'

/**
 * What a Connection reads from its server: node:http Server's option fields,
 * with their names and meanings (lib/_http_server.js storeHTTPOptions), and
 * its events.
 */
export interface ConnectionHost extends EventEmitter {
  keepAliveTimeout: number
  requestTimeout: number
  headersTimeout: number
  connectionsCheckingInterval: number
  maxHeaderSize?: number | undefined
  maxHeadersCount: number | null
  maxRequestsPerSocket: number
  /** server.timeout: idle socket timeout (Fastify's connectionTimeout). 0: none. */
  timeout: number
  insecureHTTPParser?: boolean | undefined
  requireHostHeader: boolean
  joinDuplicateHeaders?: boolean | undefined
  httpAllowHalfOpen: boolean
}

const KEEP_ALIVE_BUFFER = 1000 // Node's HTTP_SERVER_KEEP_ALIVE_TIMEOUT_BUFFER

export class ConnectionPool {
  readonly server: ConnectionHost
  /** Lower-cased names of uniqueHeaders, or null (node:http's kUniqueHeaders). */
  readonly uniqueHeaders: ReadonlySet<string> | null
  /** Date.now() as of the last sweep: enough for keep-alive deadlines, and free to read per response. */
  clock = Date.now()
  private readonly live = new Set<Connection>()
  private sweepTimer: NodeJS.Timeout | null = null

  constructor(server: ConnectionHost, uniqueHeaders: ReadonlySet<string> | null) {
    this.server = server
    this.uniqueHeaders = uniqueHeaders
  }

  /** A socket the server accepted: served by a Connection from now on. */
  accept(socket: Socket): void {
    this.live.add(new Connection(this, socket))
  }

  /** The connection left (closed or upgraded). */
  forget(conn: Connection): void {
    this.live.delete(conn)
  }

  /** Header name/value entries kept per request (Node: maxHeadersCount * 2, default 2000). */
  get maxHeaderPairs(): number {
    const count = this.server.maxHeadersCount
    return typeof count === 'number' ? count << 1 : 2000
  }

  closeAll(): void {
    for (const conn of [...this.live]) conn.destroy()
  }

  closeIdle(): void {
    for (const conn of [...this.live]) conn.closeIfIdle()
  }

  /** The server stops listening (its close()): no more sweeps, and the idle connections end now. */
  closing(): void {
    this.stopSweep()
    this.closeIdle()
  }

  // One timer per server checks every connection: headersTimeout and
  // requestTimeout (Node's connectionsCheckingInterval sweep) and the
  // keep-alive timeout (Node arms a socket timer per idle connection).
  startSweep(): void {
    this.stopSweep()
    this.clock = Date.now()
    const server = this.server
    const period = () => {
      const keepAlive = server.keepAliveTimeout > 0 ? Math.max(10, server.keepAliveTimeout / 4) : 1000
      return Math.max(10, Math.min(1000, keepAlive, server.connectionsCheckingInterval || 1000))
    }
    const tick = () => {
      const now = (this.clock = Date.now())
      const keepAliveMs = server.keepAliveTimeout > 0 ? server.keepAliveTimeout + KEEP_ALIVE_BUFFER : 0
      for (const conn of this.live) conn.checkTimeouts(now, server.headersTimeout, server.requestTimeout, keepAliveMs)
      this.sweepTimer = setTimeout(tick, period()).unref()
    }
    this.sweepTimer = setTimeout(tick, period()).unref()
  }

  stopSweep(): void {
    if (this.sweepTimer !== null) clearTimeout(this.sweepTimer)
    this.sweepTimer = null
  }
}
