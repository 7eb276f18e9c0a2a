import t from 'tap'
import fc from 'fast-check'
import { chunkHeader, frameChunks, CRLF, LAST_CHUNK } from '../src/chunked'

/** A plain chunked-body parser (no extensions, no trailers), strict about framing. */
function dechunk (wire: Buffer): { data: Buffer, chunks: number } {
  const out: Buffer[] = []
  let pos = 0
  let chunks = 0
  for (;;) {
    const eol = wire.indexOf('\r\n', pos)
    if (eol < 0) throw new Error('missing chunk size line')
    const sizeText = wire.toString('latin1', pos, eol)
    if (!/^[0-9a-f]+$/.test(sizeText)) throw new Error(`bad chunk size ${JSON.stringify(sizeText)}`)
    const size = parseInt(sizeText, 16)
    pos = eol + 2
    if (size === 0) {
      if (wire.toString('latin1', pos) !== '\r\n') throw new Error('bytes after the last chunk')
      return { data: Buffer.concat(out), chunks }
    }
    out.push(wire.subarray(pos, pos + size))
    pos += size
    if (wire.toString('latin1', pos, pos + 2) !== '\r\n') throw new Error('missing CRLF after chunk data')
    pos += 2
    chunks++
  }
}

t.test('constants and headers', async t => {
  t.equal(CRLF.toString(), '\r\n')
  t.equal(LAST_CHUNK.toString(), '0\r\n\r\n')
  t.equal(chunkHeader(1).toString(), '1\r\n')
  t.equal(chunkHeader(255).toString(), 'ff\r\n')
  t.equal(chunkHeader(65535).toString(), 'ffff\r\n')
  t.equal(chunkHeader(65536).toString(), '10000\r\n')
  t.equal(chunkHeader(1 << 24).toString(), '1000000\r\n')
  t.equal(chunkHeader(123456789).toString(), '75bcd15\r\n')
  t.equal(chunkHeader(300), chunkHeader(300), 'small sizes are cached')
  t.equal(chunkHeader(65536), chunkHeader(65536), 'powers of two are cached')
  t.equal(chunkHeader(16384), chunkHeader(16384))
  t.throws(() => chunkHeader(0), RangeError)
  t.throws(() => chunkHeader(-1), RangeError)
  t.throws(() => chunkHeader(1.5), RangeError)
})

t.test('frameChunks', async t => {
  const a = Buffer.from('hello')
  const b = new Uint8Array(0)
  const c = Buffer.from(' world')
  const framed = frameChunks([a, b, c])
  t.equal(framed.length, 6)
  t.equal(framed[1], a)
  t.equal(framed[4], c)
  t.equal(Buffer.concat([...framed, LAST_CHUNK]).toString(), '5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n')
  const out: Uint8Array[] = [Buffer.from('HEAD')]
  t.equal(frameChunks([a], out), out, 'appends to the given vector')
  t.equal(out.length, 4)
  t.same(frameChunks([b, b]), [])
})

t.test('property: de-chunking gives back the data, data pieces uncopied', async t => {
  fc.assert(fc.property(
    fc.array(fc.oneof(fc.uint8Array({ maxLength: 40 }), fc.constant(new Uint8Array(0)), fc.integer({ min: 65530, max: 70000 }).map(n => new Uint8Array(n).fill(7))), { maxLength: 30 }),
    (data) => {
      const framed = frameChunks(data)
      const { data: back, chunks } = dechunk(Buffer.concat([...framed, LAST_CHUNK]))
      if (Buffer.compare(back, Buffer.concat(data)) !== 0) return false
      const nonEmpty = data.filter(d => d.byteLength > 0)
      if (chunks !== nonEmpty.length || framed.length !== nonEmpty.length * 3) return false
      // Every data piece appears in the output as the very object passed in.
      return nonEmpty.every((d, i) => framed[i * 3 + 1] === d)
    }
  ), { numRuns: 500 })
  t.pass('held')
})
