/**
 * @vectored/core: response vectors, head serialization and the per-socket
 * writer. Nothing here knows Fastify. See docs/architecture.md.
 */
export { advance, remainingBytes, batchEnd, nextBatch, IOV_MAX } from './response-vector'
export { SocketWriter, chooseMode } from './socket-writer'
export type { WriteCallback, WriterMode, WriterOptions } from './socket-writer'
export { backend, backendReason } from './backends'
export type { Backend } from './backends'
export { stats, snapshotStats } from './stats'
export type { WriterStats } from './stats'
