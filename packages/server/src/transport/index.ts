/**
 * The lean transport: an HTTP/1.1 server whose requests are parsed by Node's
 * llhttp binding and whose responses go entirely through core's
 * SocketWriter, used as `Fastify({ serverFactory: vectoredServer() })`.
 * See docs/transport.md.
 */
export { vectoredServer, TransportServer } from './server'
export type { TransportServerOptions } from './server'
export { TransportResponse } from './response'
export { EmptyRequest, BodyRequest } from './request'
export type { TransportRequest } from './request'
