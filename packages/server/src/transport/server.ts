/**
 * The transport's server: a net.Server speaking HTTP/1.1 through Node's
 * llhttp parser, whose responses go entirely through core's SocketWriter.
 * It behaves as an http.Server for Fastify (listen, close, address,
 * 'request' / 'upgrade' / 'connect' / 'clientError' / 'checkContinue',
 * keepAliveTimeout, headersTimeout, requestTimeout, maxRequestsPerSocket,
 * setTimeout, closeAllConnections, closeIdleConnections).
 *
 *   Fastify({ serverFactory: vectoredServer() })
 */
import * as http from 'node:http'
import * as net from 'node:net'
import { transportMissing } from '@vectored/core'
import { ConnectionPool, type ConnectionHost } from './connection-pool'
import { lineOptimizeEmptyRequestsKey } from './line-options'
import { warnFallback } from '../fallback'

/** The http.createServer options the transport honours (same names and defaults as node:http's). */
export interface TransportServerOptions {
  keepAliveTimeout?: number
  requestTimeout?: number
  headersTimeout?: number
  connectionsCheckingInterval?: number
  maxHeaderSize?: number
  maxHeadersCount?: number | null
  maxRequestsPerSocket?: number
  /** server.timeout: idle socket timeout (Fastify's connectionTimeout). 0: none. */
  timeout?: number
  insecureHTTPParser?: boolean
  /** As Node 24's: 'strict', 'relaxed' or 'insecure' (not with insecureHTTPParser). */
  httpValidation?: 'strict' | 'relaxed' | 'insecure'
  /** As Node 22's: added to keepAliveTimeout before an idle connection is closed. Default 1000. */
  keepAliveTimeoutBuffer?: number
  /** As Node 22's: whether an Upgrade request goes to 'upgrade'. Default: an 'upgrade' listener exists. */
  shouldUpgradeCallback?: (req: http.IncomingMessage) => boolean
  /**
   * As Node 24's: requests without Content-Length or Transfer-Encoding read
   * as ended and closed at once, without 'end', 'close' or 'aborted'.
   * Ignored on Node 20 and 22, as node:http there ignores it.
   */
  optimizeEmptyRequests?: boolean
  requireHostHeader?: boolean
  joinDuplicateHeaders?: boolean
  uniqueHeaders?: string[]
  noDelay?: boolean
  keepAlive?: boolean
  keepAliveInitialDelay?: number
  highWaterMark?: number
}

function integer(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw Object.assign(new RangeError(`The value of "${name}" is out of range. It must be an integer >= 0. Received ${String(value)}`), { code: 'ERR_OUT_OF_RANGE' })
  }
  return value
}

export class TransportServer extends net.Server implements ConnectionHost {
  keepAliveTimeout: number
  requestTimeout: number
  headersTimeout: number
  connectionsCheckingInterval: number
  maxHeaderSize: number | undefined
  maxHeadersCount: number | null = null
  maxRequestsPerSocket: number
  timeout: number
  insecureHTTPParser: boolean | undefined
  httpValidation: 'strict' | 'relaxed' | 'insecure' | undefined
  keepAliveTimeoutBuffer: number
  shouldUpgradeCallback: (req: http.IncomingMessage) => boolean
  requireHostHeader: boolean
  joinDuplicateHeaders: boolean
  httpAllowHalfOpen = false
  /** Its live connections and their timeouts. */
  readonly connectionPool: ConnectionPool

  constructor(options: TransportServerOptions = {}, requestListener?: (...args: any[]) => void) {
    super({
      allowHalfOpen: true,
      noDelay: options.noDelay ?? true,
      keepAlive: options.keepAlive,
      keepAliveInitialDelay: options.keepAliveInitialDelay,
      highWaterMark: options.highWaterMark,
    } as net.ServerOpts)
    this.requestTimeout = integer(options.requestTimeout, 'requestTimeout', 300_000)
    this.headersTimeout = integer(options.headersTimeout, 'headersTimeout', Math.min(60_000, this.requestTimeout))
    if (this.requestTimeout > 0 && this.headersTimeout > 0 && this.headersTimeout > this.requestTimeout) {
      throw Object.assign(new RangeError(`The value of "headersTimeout" is out of range. It must be <= requestTimeout. Received ${this.headersTimeout}`), { code: 'ERR_OUT_OF_RANGE' })
    }
    this.keepAliveTimeout = integer(options.keepAliveTimeout, 'keepAliveTimeout', 5_000)
    this.connectionsCheckingInterval = integer(options.connectionsCheckingInterval, 'connectionsCheckingInterval', 30_000)
    this.maxHeaderSize = options.maxHeaderSize === undefined ? undefined : integer(options.maxHeaderSize, 'maxHeaderSize', 0)
    this.maxHeadersCount = options.maxHeadersCount ?? null
    this.maxRequestsPerSocket = integer(options.maxRequestsPerSocket, 'maxRequestsPerSocket', 0)
    this.timeout = integer(options.timeout, 'timeout', 0)
    this.insecureHTTPParser = options.insecureHTTPParser
    const validation = options.httpValidation
    if (validation !== undefined) {
      if (validation !== 'strict' && validation !== 'relaxed' && validation !== 'insecure') {
        throw Object.assign(new TypeError(`The property 'options.httpValidation' must be one of: 'strict', 'relaxed', 'insecure'. Received ${JSON.stringify(validation)}`), { code: 'ERR_INVALID_ARG_VALUE' })
      }
      if (options.insecureHTTPParser !== undefined) {
        throw Object.assign(new TypeError("The property 'options.httpValidation' cannot be used together with options.insecureHTTPParser"), { code: 'ERR_INVALID_ARG_VALUE' })
      }
    }
    this.httpValidation = validation
    this.keepAliveTimeoutBuffer = integer(options.keepAliveTimeoutBuffer, 'keepAliveTimeoutBuffer', 1000)
    const shouldUpgrade = options.shouldUpgradeCallback
    if (shouldUpgrade !== undefined && typeof shouldUpgrade !== 'function') {
      throw Object.assign(new TypeError(`The "options.shouldUpgradeCallback" property must be of type function. Received ${typeof shouldUpgrade}`), { code: 'ERR_INVALID_ARG_TYPE' })
    }
    this.shouldUpgradeCallback = shouldUpgrade ?? function (this: TransportServer) {
      return this.listenerCount('upgrade') > 0
    }
    this.requireHostHeader = options.requireHostHeader ?? true
    this.joinDuplicateHeaders = options.joinDuplicateHeaders ?? false
    const unique = Array.isArray(options.uniqueHeaders) ? new Set(options.uniqueHeaders.map((h) => h.toLowerCase())) : null
    const optimize = options.optimizeEmptyRequests
    if (lineOptimizeEmptyRequestsKey !== undefined && optimize !== undefined && typeof optimize !== 'boolean') {
      throw Object.assign(new TypeError(`The "options.optimizeEmptyRequests" property must be of type boolean. Received ${typeof optimize}`), { code: 'ERR_INVALID_ARG_TYPE' })
    }
    const pool = (this.connectionPool = new ConnectionPool(this, unique, lineOptimizeEmptyRequestsKey !== undefined && optimize === true))
    if (requestListener) this.on('request', requestListener)
    this.on('connection', (socket: net.Socket) => pool.accept(socket))
    this.on('listening', () => pool.startSweep())
  }

  override close(callback?: (err?: Error) => void): this {
    this.connectionPool.closing()
    return super.close(callback)
  }

  closeAllConnections(): void {
    this.connectionPool.closeAll()
  }

  closeIdleConnections(): void {
    this.connectionPool.closeIdle()
  }

  setTimeout(msecs: number, callback?: (...args: any[]) => void): this {
    this.timeout = msecs
    if (callback) this.on('timeout', callback)
    return this
  }

  override async [Symbol.asyncDispose](): Promise<void> {
    await new Promise<void>((resolve, reject) => this.close((err) => (err ? reject(err) : resolve())))
  }
}

// Its events go out through http.Server.prototype.emit, read at each call:
// APM agents (@opentelemetry/instrumentation-http, and those built on it)
// wrap that method to see every 'request' of an http.Server, and the
// transport's server is a net.Server. Unwrapped it is EventEmitter's emit,
// as net.Server's; an emit set on the instance still comes first.
Object.defineProperty(TransportServer.prototype, 'emit', {
  value: function emit(this: TransportServer): boolean {
    // eslint-disable-next-line prefer-rest-params
    return Reflect.apply(http.Server.prototype.emit, this, arguments)
  },
  writable: true,
  configurable: true,
})

/** Fastify options the factory reads (Fastify passes its own options to serverFactory). */
interface FactoryOptions {
  keepAliveTimeout?: number
  requestTimeout?: number
  connectionTimeout?: number
  maxRequestsPerSocket?: number | null
  http?: object | null
  https?: unknown
  http2?: boolean
}

/**
 * Fastify's serverFactory for the transport:
 * `Fastify({ serverFactory: vectoredServer() })`. Built as Fastify builds its
 * node:http server (lib/server.js: `http.createServer(options.http)`, then
 * `keepAliveTimeout`, `requestTimeout`, `setTimeout(connectionTimeout)` and a
 * positive `maxRequestsPerSocket` assigned on it): Fastify's `http` options
 * go to the constructor, the other four are set afterwards, so headersTimeout
 * keeps Node's 60 s default when Fastify's requestTimeout is 0, as on stock
 * Fastify. `options` win over all of them.
 */
export function vectoredServer(options: TransportServerOptions = {}): (handler: (...args: any[]) => void, fastifyOptions?: Record<string, any>) => http.Server {
  // Typed as an http.Server so that Fastify's generics infer the HTTP/1 server types.
  return createTransportServer as unknown as (handler: (...args: any[]) => void, fastifyOptions?: Record<string, any>) => http.Server
  function createTransportServer(handler: (...args: any[]) => void, fastifyOptions: FactoryOptions = {}): TransportServer {
    if (fastifyOptions.https || fastifyOptions.http2) {
      throw new Error('vectored transport: HTTP/1.1 over plain TCP or unix sockets only (no https, no http2); use the default server with the plugin there')
    }
    if (transportMissing !== '') {
      // Served by node:http as Fastify would build it; the plugin then writes its replies (connections: 'node').
      warnFallback('transport', `the transport needs ${transportMissing}, which Node ${process.version} lacks: vectoredServer() builds a node:http server instead`)
      const fallback = http.createServer({ ...(fastifyOptions.http as http.ServerOptions | undefined), ...(options as http.ServerOptions) })
      if (fastifyOptions.keepAliveTimeout !== undefined && options.keepAliveTimeout === undefined) fallback.keepAliveTimeout = fastifyOptions.keepAliveTimeout
      if (fastifyOptions.requestTimeout !== undefined && options.requestTimeout === undefined) fallback.requestTimeout = fastifyOptions.requestTimeout
      if (fastifyOptions.connectionTimeout !== undefined && options.timeout === undefined) fallback.setTimeout(fastifyOptions.connectionTimeout)
      const perSocket = fastifyOptions.maxRequestsPerSocket
      if (perSocket !== undefined && perSocket !== null && perSocket > 0 && options.maxRequestsPerSocket === undefined) fallback.maxRequestsPerSocket = perSocket
      fallback.on('request', handler)
      return fallback as unknown as TransportServer
    }
    const server = new TransportServer({ ...(fastifyOptions.http as TransportServerOptions | undefined), ...options })
    if (fastifyOptions.keepAliveTimeout !== undefined && options.keepAliveTimeout === undefined) server.keepAliveTimeout = fastifyOptions.keepAliveTimeout
    if (fastifyOptions.requestTimeout !== undefined && options.requestTimeout === undefined) server.requestTimeout = fastifyOptions.requestTimeout
    if (fastifyOptions.connectionTimeout !== undefined && options.timeout === undefined) server.timeout = fastifyOptions.connectionTimeout
    const perSocket = fastifyOptions.maxRequestsPerSocket
    if (perSocket !== undefined && perSocket !== null && perSocket > 0 && options.maxRequestsPerSocket === undefined) server.maxRequestsPerSocket = perSocket
    server.on('request', handler)
    return server
  }
}
