import { snapshotStats } from '@vectored/core'

/** What the plugin itself counts (the writer counts the syscalls). */
export const counters = {
  /** Responses whose last bytes went to the writer in one vector. */
  responses: 0,
  /** Pipelined responses handed to the writer while the response ahead of them was not all in the kernel. */
  earlyWrites: 0,
  /** fs.ReadStream / sendFile bodies sent with sendfile. */
  files: 0,
  /** Responses whose body contradicted their Content-Length: the connection was ended. */
  lengthMismatches: 0,
  /** Responses served by Node's stock path, by reason. */
  fallbacks: {} as Record<string, number>,
}

export function countFallback(reason: string): void {
  counters.fallbacks[reason] = (counters.fallbacks[reason] ?? 0) + 1
}

export interface VectoredStats {
  /** writev calls that wrote at least one byte. */
  directWrites: number
  /** writev or sendfile calls that took fewer bytes than offered. */
  shortWrites: number
  /** Waits for writability after EAGAIN or a short write. */
  eagainWaits: number
  /** Responses that shared a writev with the one before them. */
  batchedResponses: number
  /** Bytes written by writev. */
  bytes: number
  /** Bytes written by sendfile. */
  sendfileBytes: number
  /** Responses that went through the writer. */
  responses: number
  /** Pipelined responses queued on the writer behind bytes of the response ahead of them. */
  earlyWrites: number
  /** File bodies sent with sendfile. */
  files: number
  /** Bodies that contradicted their Content-Length; their connections were ended. */
  lengthMismatches: number
  /** Responses (or, for socket-level reasons, writer entries) served by the stock path, by reason. */
  fallbacks: Record<string, number>
}

/** Process-wide: the writer is per socket and its counters are global. */
export function stats(): VectoredStats {
  const w = snapshotStats()
  const fallbacks: Record<string, number> = { ...counters.fallbacks }
  for (const reason in w.streamWrites) fallbacks[reason] = (fallbacks[reason] ?? 0) + w.streamWrites[reason]!
  return {
    directWrites: w.directWrites,
    shortWrites: w.shortWrites,
    eagainWaits: w.eagainWaits,
    batchedResponses: w.batchedResponses,
    bytes: w.bytes,
    sendfileBytes: w.sendfileBytes,
    responses: counters.responses,
    earlyWrites: counters.earlyWrites,
    files: counters.files,
    lengthMismatches: counters.lengthMismatches,
    fallbacks,
  }
}
