/** Counters of what the socket writers did, process-wide; cheap to bump. */
export interface WriterStats {
  /** writev system calls that wrote at least one byte. */
  directWrites: number
  /** writev or sendfile calls that took fewer bytes than offered. */
  shortWrites: number
  /** Times a writer waited for writability after EAGAIN or a short write. */
  eagainWaits: number
  /** Responses that shared a writev with the one before them. */
  batchedResponses: number
  /** Bytes written by writev on fds. */
  bytes: number
  /** Bytes written by sendfile. */
  sendfileBytes: number
  /** Vectors handed to socket.write (stock path), by reason. */
  streamWrites: Record<string, number>
}

export const stats: WriterStats = {
  directWrites: 0,
  shortWrites: 0,
  eagainWaits: 0,
  batchedResponses: 0,
  bytes: 0,
  sendfileBytes: 0,
  streamWrites: {},
}

export function countStreamWrite(reason: string): void {
  stats.streamWrites[reason] = (stats.streamWrites[reason] ?? 0) + 1
}

/** A copy of the counters, for reporting. */
export function snapshotStats(): WriterStats {
  return { ...stats, streamWrites: { ...stats.streamWrites } }
}
