const kVectorPieces = Symbol('vectored.vectorPieces')

type VectorPayload = Buffer & { [kVectorPieces]: Uint8Array[] }

/**
 * The payload of reply.sendVector when no onSend hook can see it: an empty
 * Buffer standing for the pieces, whose `byteLength` reads as theirs, so
 * Fastify's Buffer path (content-length check, writeHead, end) runs as for
 * any Buffer and VectoredResponse.end() writes the pieces, unjoined. It
 * skips Fastify's stream path (setHeader per header, two end-of-stream
 * watchers, pipe), which cost more than the vector saved.
 */
export function vectorPayload(pieces: Uint8Array[], length: number): Buffer {
  const payload = Buffer.alloc(0) as VectorPayload
  Object.defineProperty(payload, 'byteLength', { value: length })
  payload[kVectorPieces] = pieces
  return payload
}

/** The pieces a vectorPayload stands for, or undefined for any other chunk. */
export function vectorPiecesOf(chunk: unknown): Uint8Array[] | undefined {
  return chunk instanceof Uint8Array ? (chunk as Partial<VectorPayload>)[kVectorPieces] : undefined
}

/** Bytes in `pieces`; throws on anything that is not a Uint8Array. */
export function vectorLength(pieces: readonly Uint8Array[]): number {
  if (!Array.isArray(pieces)) throw new TypeError('sendVector takes an array of Buffers or Uint8Arrays')
  let total = 0
  for (let i = 0; i < pieces.length; i++) {
    const piece = pieces[i]
    if (!(piece instanceof Uint8Array)) throw new TypeError(`sendVector: piece ${i} is not a Buffer or Uint8Array`)
    total += piece.byteLength
  }
  return total
}
