// writev and writevArgs on real loopback sockets with small kernel buffers and
// a peer that does not read: short writes and -EAGAIN happen for real, the
// test resumes with subarrays, and the peer must receive every byte in order.
import t from 'tap'
import * as crypto from 'node:crypto'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import * as native from '@vectored/native'
import { EAGAIN, collect, socketPair, waitWritableOnce, within, writeAll } from './helpers'

function randomPieces(): Uint8Array[] {
  // Mixed sizes, an empty piece, and views with a non-zero byteOffset.
  const pieces: Uint8Array[] = []
  for (let i = 0; i < 40; i++) {
    const size = i % 5 === 0 ? 64 : i % 7 === 0 ? 0 : 16 * 1024 + i
    const backing = crypto.randomBytes(size + 8)
    pieces.push(backing.subarray(3, 3 + size))
  }
  return pieces
}

for (const kind of ['tcp', 'unix'] as const) {
  for (const args of [false, true]) {
    const name = `${kind}: ${args ? 'writevArgs' : 'writev'} resumes short writes and EAGAIN byte for byte`
    t.test(name, async (t) => {
      const pair = await socketPair(kind)
      t.teardown(() => pair.close())
      const pieces = randomPieces()
      const expected = Buffer.concat(pieces)
      const received = collect(pair.peer)
      const stats = await within(
        writeAll(pair.writerFd, pieces, { args, onEagain: () => pair.peer.resume() }),
        15_000,
        'writeAll'
      )
      pair.writer.end()
      const got = await within(received, 10_000, 'peer end')
      t.ok(stats.eagains > 0, `EAGAIN happened (${stats.eagains} times)`)
      t.ok(stats.shortWrites > 0, `short writes happened (${stats.shortWrites})`)
      t.equal(got.length, expected.length, 'peer got as many bytes as were passed')
      t.ok(got.equals(expected), 'peer got the same bytes in the same order')
    })
  }

  t.test(`${kind}: waitWritable fires only once the peer reads`, async (t) => {
    const pair = await socketPair(kind, 4096, 16 * 1024)
    t.teardown(() => pair.close())
    const chunk = Buffer.alloc(64 * 1024, 0x61)
    // Fill until a round after a pause takes nothing: with TCP the send
    // buffer drains into the peer's receive buffer for a while after the
    // first -EAGAIN, which rightly makes the socket writable again.
    let written = 0
    let n = 0
    for (let round = 0; round < 100; round++) {
      let thisRound = 0
      for (let i = 0; (n = native.writev(pair.writerFd, [chunk])) > 0 && i < 1000; i++) thisRound += n
      written += thisRound
      if (round > 0 && thisRound === 0) break
      await new Promise((r) => setTimeout(r, 30))
    }
    t.equal(n, EAGAIN, 'a full socket returns -EAGAIN')
    t.ok(written > 0, 'some bytes went in before it filled')
    let fired: Error | null | undefined
    const handle = native.waitWritable(pair.writerFd, (err) => (fired = err))
    t.equal(handle.pending, true)
    await new Promise((r) => setTimeout(r, 150))
    t.equal(fired, undefined, 'no callback while the peer does not read')
    const received = collect(pair.peer)
    pair.peer.resume()
    await within(
      new Promise<void>((resolve) => {
        const poll = setInterval(() => fired !== undefined && (clearInterval(poll), resolve()), 5)
      }),
      5000,
      'waitWritable after the peer reads'
    )
    t.equal(fired, null, 'called back with null: writable')
    t.equal(handle.pending, false)
    t.ok(native.writev(pair.writerFd, [Buffer.from('z')]) === 1, 'the next write goes in')
    pair.writer.end()
    const got = await within(received, 10_000, 'peer end')
    t.equal(got.length, written + 1)
  })
}

t.test('more buffers than IOV_MAX: only the first iovMax are written', async (t) => {
  t.equal(native.iovMax, 1024)
  const pair = await socketPair('tcp', 0)
  t.teardown(() => pair.close())
  const pieces = Array.from({ length: 1500 }, (_, i) => Buffer.from([i & 0xff, (i >> 8) & 0xff]))
  t.equal(native.writev(pair.writerFd, pieces), 2 * 1024, 'writev: bytes of the first 1024')
  t.equal(native.writevArgs(pair.writerFd, ...pieces), 2 * 1024, 'writevArgs: bytes of the first 1024')
  const received = collect(pair.peer)
  pair.peer.resume()
  pair.writer.end()
  const got = await within(received, 5000, 'peer end')
  const first = Buffer.concat(pieces.slice(0, 1024))
  t.ok(got.equals(Buffer.concat([first, first])), 'exactly the first 1024 pieces, twice')
})

t.test('empty array, empty buffers, typed arrays and DataView', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vectored-native-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  const fd = fs.openSync(path.join(dir, 'out'), 'w+')
  t.teardown(() => fs.closeSync(fd))
  t.equal(native.writev(fd, []), 0, 'empty array writes 0')
  t.equal(native.writevArgs(fd), 0, 'no buffers writes 0')
  t.equal(native.writev(fd, [Buffer.alloc(0), new Uint8Array(0)]), 0, 'only empty buffers write 0')
  const u16 = new Uint16Array([0x6261, 0x6463]) // "abcd" little-endian
  const f64 = new Float64Array([1.5])
  const view = new DataView(new Uint8Array(Buffer.from('xyz-DATAVIEW')).buffer, 4, 8)
  const slice = Buffer.from('0123456789').subarray(2, 5)
  const n = native.writev(fd, [Buffer.alloc(0), u16, f64, view, slice, Buffer.alloc(0)])
  t.equal(n, 4 + 8 + 8 + 3, 'byte lengths of every view kind')
  const m = native.writevArgs(fd, u16, view)
  t.equal(m, 12)
  const file = fs.readFileSync(path.join(dir, 'out'))
  const f64Bytes = Buffer.from(f64.buffer)
  t.ok(
    file.equals(Buffer.concat([Buffer.from('abcd'), f64Bytes, Buffer.from('DATAVIEW'), Buffer.from('234'), Buffer.from('abcdDATAVIEW')])),
    'the file holds exactly the bytes of each view, offsets applied'
  )
})

t.test('a write to a full socket after a wait is accepted, a second wait is independent', async (t) => {
  const pair = await socketPair('unix')
  t.teardown(() => pair.close())
  const chunk = Buffer.alloc(32 * 1024, 1)
  while (native.writev(pair.writerFd, [chunk]) > 0) {}
  pair.peer.resume()
  t.equal(await within(waitWritableOnce(pair.writerFd), 5000, 'first wait'), null)
  t.equal(await within(waitWritableOnce(pair.writerFd), 5000, 'second wait on a writable socket'), null)
})
