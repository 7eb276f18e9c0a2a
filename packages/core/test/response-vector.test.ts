import t from 'tap'
import fc from 'fast-check'
import { advance, remainingBytes, batchEnd, nextBatch, IOV_MAX } from '../src/response-vector'

const bytes = (...xs: number[]): Uint8Array => Uint8Array.from(xs)

t.test('advance drops written pieces and slices the partial one', async t => {
  const a = bytes(1, 2, 3)
  const b = bytes(4, 5)
  const v = [a, b]
  t.equal(advance(v, 0, 0), 0)
  t.equal(v[0], a, 'nothing written leaves the piece untouched')
  t.equal(advance(v, 0, 1), 0)
  t.same([...v[0]!], [2, 3])
  t.equal(v[0]!.buffer, a.buffer, 'the partial piece is a view, not a copy')
  t.equal(advance(v, 0, 2), 1)
  t.equal(v[1], b)
  t.equal(advance(v, 1, 2), 2)
})

t.test('advance steps over zero-length pieces', async t => {
  const v = [bytes(), bytes(1), bytes(), bytes(), bytes(2)]
  t.equal(advance(v, 0, 0), 1)
  t.equal(advance(v, 0, 1), 4)
  t.equal(advance(v, 4, 1), 5)
  t.equal(advance([bytes(), bytes()], 0, 0), 2)
  t.equal(advance([], 0, 0), 0)
})

t.test('advance refuses impossible counts', async t => {
  t.throws(() => advance([bytes(1, 2)], 0, 3), RangeError)
  t.throws(() => advance([bytes(1, 2)], 1, 1), RangeError)
  t.throws(() => advance([bytes(1, 2)], 0, -1), RangeError)
  t.throws(() => advance([bytes(1, 2)], 0, 1.5), RangeError)
  t.throws(() => advance([bytes(1, 2)], 0, NaN), RangeError)
  t.throws(() => advance([bytes(1, 2)], 3, 0), RangeError)
  t.throws(() => advance([bytes(1, 2)], -1, 0), RangeError)
})

t.test('remainingBytes', async t => {
  t.equal(remainingBytes([bytes(1), bytes(), bytes(2, 3)], 0), 3)
  t.equal(remainingBytes([bytes(1), bytes(), bytes(2, 3)], 2), 2)
  t.equal(remainingBytes([bytes(1)], 1), 0)
})

t.test('nextBatch returns the vector itself when it is the batch', async t => {
  const v = [bytes(1), bytes(2)]
  t.equal(nextBatch(v, 0), v)
  const scratch: Uint8Array[] = [bytes(9)]
  const withEmpty = [bytes(1), bytes(), bytes(2)]
  const got = nextBatch(withEmpty, 0, IOV_MAX, scratch)
  t.equal(got, scratch)
  t.same(got.length, 2)
  const long = Array.from({ length: 5 }, (_, i) => bytes(i))
  t.same(nextBatch(long, 1, 2).map(p => p[0]), [1, 2])
  t.equal(batchEnd(long, 1, 2), 3)
  t.equal(batchEnd([bytes(), bytes(1), bytes(), bytes(2), bytes()], 0, 1), 3)
  t.equal(batchEnd([bytes(1), bytes()], 0, 5), 2)
})

// A vector of pieces, each over its own ArrayBuffer or a view into a shared one.
const pieceArb = fc.tuple(fc.oneof(fc.constant(0), fc.nat({ max: 64 })), fc.nat({ max: 8 }), fc.boolean())
// Short vectors most of the time, and long ones (past IOV_MAX) often enough.
const vectorArb = fc.oneof(
  fc.array(pieceArb, { maxLength: 20 }),
  fc.array(pieceArb, { maxLength: 2000, size: 'max' })
)
const iovMaxArb = fc.oneof(fc.integer({ min: 1, max: 16 }), fc.constant(IOV_MAX))

t.test('property: short writes replay the vector exactly, without copies', async t => {
  fc.assert(fc.property(
    vectorArb,
    fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 400 }),
    iovMaxArb,
    (spec, fractions, iovMax) => {
      let counter = 0
      const pieces: Uint8Array[] = spec.map(([size, pad, shared]) => {
        // Shared pieces are views at an offset into a larger buffer.
        const ab = new ArrayBuffer(size + pad * 2)
        const p = shared ? new Uint8Array(ab, pad, size) : new Uint8Array(ab, 0, size)
        for (let i = 0; i < size; i++) p[i] = (counter++) & 0xff
        return p
      })
      const originals = pieces.slice()
      const expected = Buffer.concat(originals)
      const vec = pieces.slice()
      const written: Uint8Array[] = []
      const scratch: Uint8Array[] = []
      let start = advance(vec, 0, 0)
      let f = 0
      while (start < vec.length) {
        const batch = nextBatch(vec, start, iovMax, scratch)
        if (batch.length > iovMax) return false
        const end = batchEnd(vec, start, iovMax)
        const batchBytes = remainingBytes(batch, 0)
        if (batchBytes !== remainingBytes(vec.slice(start, end), 0)) return false
        // After the fractions run out the kernel takes everything offered.
        const frac = f < fractions.length ? fractions[f++]! : 1
        const n = Math.floor(batchBytes * frac)
        // Record what the "kernel" took, as views of the batch's pieces.
        let left = n
        for (const p of batch) {
          if (left === 0) break
          const take = Math.min(left, p.byteLength)
          written.push(p.subarray(0, take))
          left -= take
        }
        const before = remainingBytes(vec, start)
        start = advance(vec, start, n)
        if (remainingBytes(vec, start) !== before - n) return false
      }
      if (Buffer.compare(Buffer.concat(written), expected) !== 0) return false
      // Every written slice shares the buffer of an original piece.
      const buffers = new Set(originals.map(p => p.buffer))
      return written.every(w => buffers.has(w.buffer))
    }
  ), { numRuns: 300 })
  t.pass('held')
})

t.test('property: advance past the end throws and says so', async t => {
  fc.assert(fc.property(
    fc.array(fc.nat({ max: 32 }), { maxLength: 50 }),
    fc.integer({ min: 1, max: 100 }),
    (sizes, extra) => {
      const v = sizes.map(s => new Uint8Array(s))
      const total = remainingBytes(v, 0)
      try { advance(v, 0, total + extra) } catch (e) { return e instanceof RangeError }
      return false
    }
  ))
  t.pass('held')
})
