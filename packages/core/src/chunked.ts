/**
 * Chunked transfer coding (RFC 9112 7.1) as small separate pieces, so data
 * pieces go into the vector as they are, uncopied: [size, data, CRLF, ...].
 */

export const CRLF: Buffer = Buffer.from('\r\n', 'latin1')

/** The last chunk with no trailers: `0\r\n\r\n`. */
export const LAST_CHUNK: Buffer = Buffer.from('0\r\n\r\n', 'latin1')

/** Sizes below this get a cached header, filled lazily (bounded: at most 4096 small Buffers). */
const CACHED_SIZES = 0x1000
const headerCache: (Buffer | undefined)[] = new Array<Buffer | undefined>(CACHED_SIZES)
// The commonest large writes: stream highWaterMarks and file read sizes.
const powerCache = new Map<number, Buffer>()
for (let p = 12; p <= 24; p++) powerCache.set(2 ** p, Buffer.from((2 ** p).toString(16) + '\r\n', 'latin1'))

/**
 * `<hex length>\r\n`. Headers below 4 KiB and of powers of two up to 16 MiB
 * are cached and shared: never write into the returned Buffer.
 */
export function chunkHeader (length: number): Buffer {
  if (!Number.isSafeInteger(length) || length <= 0) {
    // A zero-length chunk is the last chunk: framing one mid-body would end the body.
    throw new RangeError(`chunkHeader: length must be a positive integer, got ${length}`)
  }
  if (length < CACHED_SIZES) {
    let header = headerCache[length]
    if (header === undefined) {
      header = Buffer.from(length.toString(16) + '\r\n', 'latin1')
      headerCache[length] = header
    }
    return header
  }
  return powerCache.get(length) ?? Buffer.from(length.toString(16) + '\r\n', 'latin1')
}

/**
 * Frames data pieces as chunks, one per non-empty piece: appends
 * [size, data, CRLF] per piece to `out` (a new array when not given) and
 * returns it. Empty pieces are skipped: a zero-size chunk would end the body.
 */
export function frameChunks (data: readonly Uint8Array[], out: Uint8Array[] = []): Uint8Array[] {
  for (let i = 0; i < data.length; i++) {
    const piece = data[i]!
    const length = piece.byteLength
    if (length === 0) continue
    out.push(chunkHeader(length), piece, CRLF)
  }
  return out
}
