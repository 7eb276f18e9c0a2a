/**
 * Test responses with a checkable framing: a 12-byte header (magic, sequence
 * number, body length) then the body in random pieces. The reader parses
 * the byte stream and checks each body's SHA-256 and the order.
 */
import { createHash, randomBytes } from 'node:crypto'

const MAGIC = 0x56454331 // "VEC1"

/** Mulberry32: a small seeded PRNG, so a failing run can be repeated. */
export function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Mostly small bodies, some medium, a few up to `max` bytes. */
export function pickSize(random: () => number, max: number): number {
  const r = random()
  if (r < 0.6) return Math.floor(random() * 2048)
  if (r < 0.9) return Math.floor(random() * 256 * 1024)
  return Math.floor(random() * max)
}

export interface Framed {
  pieces: Uint8Array[]
  digest: string
  length: number
}

/** A response of `size` body bytes split into up to `maxPieces` pieces (some empty). */
export function framed(seq: number, size: number, random: () => number, maxPieces = 24): Framed {
  const body = randomBytes(size)
  const header = Buffer.alloc(12)
  header.writeUInt32BE(MAGIC, 0)
  header.writeUInt32BE(seq, 4)
  header.writeUInt32BE(size, 8)
  const pieces: Uint8Array[] = [header]
  const count = 1 + Math.floor(random() * maxPieces)
  let at = 0
  for (let i = 0; i < count - 1 && at < size; i++) {
    const end = Math.min(size, at + Math.floor(random() * (2 * size / count + 1)))
    pieces.push(body.subarray(at, end))
    at = end
  }
  pieces.push(body.subarray(at))
  return { pieces, digest: createHash('sha256').update(body).digest('hex'), length: 12 + size }
}

/** Parses a stream of framed responses; `errors` lists every mismatch. */
export class FrameReader {
  readonly errors: string[] = []
  received = 0
  private buffered: Buffer[] = []
  private bufferedBytes = 0
  private hash = createHash('sha256')
  private bodyLeft = -1
  private seq = 0

  constructor(private readonly expected: Map<number, string>, private nextSeq = 0) {}

  push(chunk: Buffer): void {
    let data = chunk
    while (data.length > 0) {
      if (this.bodyLeft < 0) {
        this.buffered.push(data)
        this.bufferedBytes += data.length
        if (this.bufferedBytes < 12) return
        const all = Buffer.concat(this.buffered)
        this.buffered = []
        this.bufferedBytes = 0
        if (all.readUInt32BE(0) !== MAGIC) {
          this.errors.push(`bad magic at response ${this.received}`)
          return
        }
        this.seq = all.readUInt32BE(4)
        this.bodyLeft = all.readUInt32BE(8)
        if (this.seq !== this.nextSeq) this.errors.push(`response ${this.seq} arrived where ${this.nextSeq} was due`)
        this.nextSeq = this.seq + 1
        this.hash = createHash('sha256')
        data = all.subarray(12)
        if (this.bodyLeft === 0) this.finish()
        continue
      }
      const take = Math.min(this.bodyLeft, data.length)
      this.hash.update(data.subarray(0, take))
      this.bodyLeft -= take
      data = data.subarray(take)
      if (this.bodyLeft === 0) this.finish()
    }
  }

  private finish(): void {
    const digest = this.hash.digest('hex')
    if (this.expected.get(this.seq) !== digest) this.errors.push(`response ${this.seq}: SHA-256 mismatch`)
    this.received++
    this.bodyLeft = -1
  }

  /** True when the stream ended between responses. */
  get atBoundary(): boolean {
    return this.bodyLeft < 0 && this.bufferedBytes === 0
  }
}
