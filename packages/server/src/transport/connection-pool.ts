/**
 * The live connections of one server and the one timer that checks them.
 * Both servers the transport serves on use it: its own TransportServer, and
 * a node:http Server whose connections the plugin takes (connections.ts).
 * The server object is read for its options on every use, so a later
 * `server.keepAliveTimeout = n` applies, as with node:http.
 */
import type { EventEmitter } from 'node:events'
import type { Socket } from 'node:net'
import { transportInternals, transportMissing, type ConnectionsList } from '@vectored/core'
import { Connection } from './connection'
import { lineHasKeepAliveTimeoutBuffer } from './line-options'

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
  /** Node 24: 'strict' | 'relaxed' | 'insecure' (lib/_http_common.js calculateLenientFlags). */
  httpValidation?: unknown
  /** Node 22: added to keepAliveTimeout for the idle deadline (default 1000). */
  keepAliveTimeoutBuffer?: number
  /** Node 22: whether an Upgrade request goes to 'upgrade' (default: there is an 'upgrade' listener). */
  shouldUpgradeCallback?: (req: any) => boolean
  requireHostHeader: boolean
  joinDuplicateHeaders?: boolean | undefined
  httpAllowHalfOpen: boolean
}

/** A timeout option as node:http 24 reads it (checkConnections, resOnFinish): finite and >= 0, else 0. */
function milliseconds(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? Math.min(Math.floor(value), 0xffffffff) : fallback
}

export class ConnectionPool {
  readonly server: ConnectionHost
  /** Lower-cased names of uniqueHeaders, or null (node:http's kUniqueHeaders). */
  readonly uniqueHeaders: ReadonlySet<string> | null
  /** Date.now() as of the last sweep: enough for keep-alive deadlines, and free to read per response. */
  clock = Date.now()
  /** Every connection's parser, as node:http's server[kConnections]: message starts, idle and expired parsers. */
  readonly connections: ConnectionsList
  private readonly live = new Set<Connection>()
  private sweepTimer: NodeJS.Timeout | null = null
  private checkTimer: NodeJS.Timeout | null = null

  /**
   * The server's optimizeEmptyRequests (Node 24 and later): a request with
   * neither Content-Length nor Transfer-Encoding reads as ended and closed
   * from the start, and emits no 'end', 'close' or 'aborted'.
   */
  readonly optimizeEmptyRequests: boolean

  constructor(server: ConnectionHost, uniqueHeaders: ReadonlySet<string> | null, optimizeEmptyRequests = false) {
    if (transportInternals === null) throw new Error(`vectored transport: this Node (${process.version}) lacks ${transportMissing}`)
    this.server = server
    this.uniqueHeaders = uniqueHeaders
    this.optimizeEmptyRequests = optimizeEmptyRequests
    this.connections = new transportInternals.ConnectionsList()
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

  /** node:http's closeIdleConnections: the connections whose parser is between requests. */
  closeIdle(): void {
    for (const parser of this.connections.idle()) (parser as { owner?: Connection | null }).owner?.closeIfIdle()
  }

  /** The server stops listening (its close()): no more sweeps, and the idle connections end now. */
  closing(): void {
    this.stopSweep()
    this.closeIdle()
  }

  // Two timers per server. One asks the ConnectionsList for the parsers past
  // headersTimeout or requestTimeout every connectionsCheckingInterval, as
  // node:http's checkConnections does (lib/_http_server.js,
  // setupConnectionsTracking); the other checks the keep-alive deadlines,
  // for which node:http arms a socket timer per idle connection.
  startSweep(): void {
    this.stopSweep()
    this.clock = Date.now()
    const server = this.server
    const list = this.connections
    const checkRequests = () => {
      const headersTimeout = milliseconds(server.headersTimeout, 0)
      const requestTimeout = milliseconds(server.requestTimeout, 0)
      if (headersTimeout === 0 && requestTimeout === 0) return
      for (const parser of list.expired(headersTimeout, requestTimeout)) (parser as { owner?: Connection | null }).owner?.requestTimedOut()
    }
    this.checkTimer = setInterval(checkRequests, milliseconds(server.connectionsCheckingInterval, 0) || 30_000).unref()
    const period = () => {
      const keepAlive = server.keepAliveTimeout > 0 ? Math.max(10, server.keepAliveTimeout / 4) : 1000
      return Math.max(10, Math.min(1000, keepAlive))
    }
    const tick = () => {
      const now = (this.clock = Date.now())
      const keepAlive = milliseconds(server.keepAliveTimeout, 0)
      if (keepAlive > 0) {
        const keepAliveMs = keepAlive + (lineHasKeepAliveTimeoutBuffer ? milliseconds(server.keepAliveTimeoutBuffer, 1000) : 1000)
        for (const conn of this.live) conn.checkKeepAlive(now, keepAliveMs)
      }
      this.sweepTimer = setTimeout(tick, period()).unref()
    }
    this.sweepTimer = setTimeout(tick, period()).unref()
  }

  stopSweep(): void {
    if (this.sweepTimer !== null) clearTimeout(this.sweepTimer)
    if (this.checkTimer !== null) clearInterval(this.checkTimer)
    this.sweepTimer = null
    this.checkTimer = null
  }
}
