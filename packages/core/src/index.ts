/**
 * @vectored/core: response vectors, head serialization and the per-socket
 * writer. Nothing here knows Fastify. See docs/architecture.md.
 */
export { advance, remainingBytes, batchEnd, nextBatch, IOV_MAX } from './response-vector'
export { serializeHead, headOptionsFromResponse, responseHeaderEntries } from './head'
export type { Head, HeadOptions, HeaderValue, OutgoingHeaders } from './head'
export { validateHeaderName, validateHeaderValue, isHttpToken, hasInvalidHeaderChar } from './header-validation'
export { utcDate, dateLine } from './http-date'
export { CRLF, LAST_CHUNK, chunkHeader, frameChunks } from './chunked'
export { SocketWriter, chooseMode } from './socket-writer'
export { writerForFd, checkNonBlocking, openFifo, PIPE_BUF, type FdWriterOptions, type NonBlockingCheck, type OpenFifoOptions } from './fd-writer'
export type { WriteCallback, WriterMode, WriterOptions } from './socket-writer'
export { writeStreamBody } from './bodies/stream-body'
export type { StreamBodyOptions } from './bodies/stream-body'
export { writeFileBody } from './bodies/file-body'
export type { FileBodyOptions } from './bodies/file-body'
export { backend, backendReason } from './backends'
export type { Backend } from './backends'
export { stats, snapshotStats } from './stats'
export type { WriterStats } from './stats'
export { transportInternals, transportMissing, lenientFlags, chunkFraming, serverSymbols, responseInternals, responseMissing, responseHeadMissing, flatMerge, ownSymbol, chainSymbol, findHTTPParser, findConnectionsList, checkParse, checkSocketMethods } from './node-internals'
export type { NodeParser, HTTPParserClass, ConnectionsList, TransportInternals, FlatMerge } from './node-internals'
