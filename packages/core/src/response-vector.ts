/**
 * The response vector: an array of byte pieces (head, then body pieces) that
 * goes to the kernel with writev. The array itself is the resume cursor, as
 * in Go's net.Buffers.consume and Rust's IoSlice::advance_slices: after a
 * write of n bytes, `advance` drops what was written and replaces a partly
 * written piece by its unwritten subarray. Nothing here copies bytes.
 */

/** Linux and macOS both cap a writev at 1024 iovecs (sysconf(_SC_IOV_MAX)). */
export const IOV_MAX = 1024

/**
 * After the kernel took `n` bytes of `pieces[start..]`, returns the index of
 * the first piece that still has bytes (pieces.length when all are written)
 * and replaces a partly written piece in place by its unwritten subarray.
 * Zero-length pieces are stepped over. Throws RangeError when `n` is not a
 * non-negative integer or exceeds what remains: that is a bug in the caller.
 */
export function advance (pieces: Uint8Array[], start: number, n: number): number {
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new RangeError(`advance: n must be a non-negative integer, got ${n}`)
  }
  const len = pieces.length
  if (!Number.isInteger(start) || start < 0 || start > len) {
    throw new RangeError(`advance: start ${start} is outside the vector (length ${len})`)
  }
  let i = start
  // Count n down rather than summing lengths, like Rust's advance_slices.
  while (i < len) {
    const piece = pieces[i]!
    const size = piece.byteLength
    if (n < size) {
      // n === 0 leaves the piece as it is (no new view for nothing written).
      if (n > 0) pieces[i] = piece.subarray(n)
      return i
    }
    n -= size
    i++
  }
  if (n > 0) {
    throw new RangeError(`advance: ${n} bytes written beyond the end of the vector`)
  }
  return len
}

/** Bytes left in `pieces[start..]`. */
export function remainingBytes (pieces: readonly Uint8Array[], start: number): number {
  let total = 0
  for (let i = start; i < pieces.length; i++) total += pieces[i]!.byteLength
  return total
}

/**
 * Index one past the last piece of the next writev batch: from `start`, as
 * many pieces as hold at most `iovMax` non-empty ones. Allocates nothing, so
 * a writer that passes (start, end) to the syscall stays allocation-free.
 */
export function batchEnd (pieces: readonly Uint8Array[], start: number, iovMax: number = IOV_MAX): number {
  const len = pieces.length
  let count = 0
  let i = start
  for (; i < len; i++) {
    if (pieces[i]!.byteLength === 0) continue
    if (count === iovMax) break
    count++
  }
  return i
}

/**
 * The next writev batch as an array of at most `iovMax` non-empty pieces.
 * Returns `pieces` itself when it already is that batch (start 0, short
 * enough, no empty piece), the common case that must not allocate; otherwise
 * fills and returns `scratch` (cleared first), which the caller reuses.
 */
export function nextBatch (
  pieces: readonly Uint8Array[],
  start: number,
  iovMax: number = IOV_MAX,
  scratch: Uint8Array[] = []
): readonly Uint8Array[] {
  const len = pieces.length
  if (start === 0 && len <= iovMax) {
    let hasEmpty = false
    for (let i = 0; i < len; i++) {
      if (pieces[i]!.byteLength === 0) { hasEmpty = true; break }
    }
    if (!hasEmpty) return pieces
  }
  scratch.length = 0
  for (let i = start; i < len && scratch.length < iovMax; i++) {
    const piece = pieces[i]!
    if (piece.byteLength !== 0) scratch.push(piece)
  }
  return scratch
}
