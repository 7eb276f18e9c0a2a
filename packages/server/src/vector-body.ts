import { Readable } from 'node:stream'
import { VectoredResponse } from './response'

/**
 * The payload of reply.sendVector: a Readable, so Fastify and any onSend hook
 * (compress, etc.) treat it as a stream; piped into a VectoredResponse it
 * goes out as one vector, piped anywhere else it yields its pieces in order.
 */
export class VectorBody extends Readable {
  readonly pieces: Uint8Array[]
  readonly length: number
  private next = 0

  constructor(pieces: Uint8Array[], length: number) {
    super()
    this.pieces = pieces
    this.length = length
  }

  override _read(): void {
    const pieces = this.pieces
    while (this.next < pieces.length) {
      if (!this.push(pieces[this.next++])) return
    }
    this.push(null)
  }

  override pipe<T extends NodeJS.WritableStream>(dest: T, options?: { end?: boolean }): T {
    if (this.next === 0 && (options === undefined || options.end !== false) && dest instanceof VectoredResponse &&
      dest.endVector(this.pieces, this.length)) {
      this.next = this.pieces.length
      // Ends without data so watchers (Fastify's eos) see a clean end.
      this.push(null)
      this.resume()
      return dest
    }
    return super.pipe(dest, options)
  }
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
