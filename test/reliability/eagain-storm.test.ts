/**
 * EAGAIN storm: many connections at once, each reader with a 4 KiB receive
 * buffer (set on the listening socket, so the window is small from the
 * handshake) that pauses at random after every read, each sent one large
 * response as a vector, a stream body or a sendfile body. Every byte must
 * arrive, in order: the reader checks each body's SHA-256, the connection id
 * carried in the frame, and that the stream ends between responses.
 *
 * CI: 100 connections (4 of them 16 MiB, the rest 1 MiB). Soak: 500
 * connections of 16 MiB (8 GiB).
 */
import t from 'tap'
import { createHash, randomBytes } from 'node:crypto'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { Readable } from 'node:stream'
import { SocketWriter, stats, writeFileBody, writeStreamBody } from '@vectored/core'
import { startPairedSink } from './helpers/sink'
import { FrameReader, rng } from '../../packages/core/test/helpers/frames'
import { fdLimit, openFds, size, tracked, until, watchUncaught } from './helpers/common'

const MiB = 1 << 20
const CONNECTIONS = size(100, 500)
const BIG = 16 * MiB
const sizeOf = (c: number) => size(c % 25 === 0 ? BIG : MiB, BIG)
const ROTATIONS = [0, 1, 4095, 65537, 3 * MiB + 7, 8 * MiB - 1, 12 * MiB + 12345, BIG - 3]
const MAGIC = 0x56454331

t.test(`EAGAIN storm: ${CONNECTIONS} connections, 4 KiB receive buffers, random pauses`, async (t) => {
  const needed = CONNECTIONS * 3 + 64
  if (fdLimit() < needed) {
    t.fail(`needs ${needed} fds, the limit is ${fdLimit()} (the soak runner raises it)`)
    return
  }
  const uncaught = watchUncaught(t)
  const fdsBefore = openFds()
  const random = rng(0x5eed)
  const big = randomBytes(BIG)
  // The file holds the data twice, so a rotation is one contiguous range.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vectored-storm-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  const file = path.join(dir, 'twice.bin')
  fs.writeFileSync(file, Buffer.concat([big, big]))
  const fd = fs.openSync(file, 'r')
  t.teardown(() => fs.closeSync(fd))

  const digests = new Map<string, string>()
  const digestOf = (rot: number, len: number) => {
    const key = `${rot}:${len}`
    let d = digests.get(key)
    if (d === undefined) {
      const h = createHash('sha256')
      h.update(big.subarray(rot, Math.min(BIG, rot + len)))
      if (rot + len > BIG) h.update(big.subarray(0, rot + len - BIG))
      d = h.digest('hex')
      digests.set(key, d)
    }
    return d
  }
  /** The body: `len` bytes of big from `rot`, wrapping, as up to 64 views (no copies). */
  const bodyPieces = (rot: number, len: number): Uint8Array[] => {
    const spans: Uint8Array[] = [big.subarray(rot, Math.min(BIG, rot + len))]
    if (rot + len > BIG) spans.push(big.subarray(0, rot + len - BIG))
    const pieces: Uint8Array[] = []
    for (const span of spans) {
      let at = 0
      while (at < span.length) {
        const n = Math.min(span.length - at, 1 + Math.floor(random() * (span.length / 16)))
        pieces.push(span.subarray(at, at + n))
        at += n
      }
    }
    return pieces
  }

  const sink = await startPairedSink({ receiveBuffer: 4096, maxPauseMs: 3 })
  const waitsBefore = stats.eagainWaits
  const shortBefore = stats.shortWrites
  const failures: string[] = []
  const kinds = ['vector', 'stream', 'file'] as const
  let bytesChecked = 0
  const started = Date.now()
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async (_, c) => {
      const kind = kinds[c % 3]!
      const len = sizeOf(c)
      const rot = ROTATIONS[c % ROTATIONS.length]!
      const { socket, peer } = await sink.connect(c % 2 === 0 ? 4096 : 0)
      const writer = SocketWriter.of(socket)
      const reader = new FrameReader(new Map([[c, digestOf(rot, len)]]), c)
      peer.on('data', (chunk: Buffer) => reader.push(chunk))
      const peerEnded = new Promise((r) => peer.once('close', r))
      const frame = Buffer.alloc(12)
      frame.writeUInt32BE(MAGIC, 0)
      frame.writeUInt32BE(c, 4)
      frame.writeUInt32BE(len, 8)
      const done = tracked()
      if (kind === 'vector') {
        writer.write([frame, ...bodyPieces(rot, len)], done.done)
      } else if (kind === 'stream') {
        const source = Readable.from(bodyPieces(rot, len), { objectMode: false })
        writeStreamBody(writer, [frame], source, { chunked: false, contentLength: len }, done.done)
      } else {
        writeFileBody(writer, [frame], fd, rot, len, done.done)
      }
      const err = await done.promise
      if (err) failures.push(`connection ${c} (${kind}): ${err.message}`)
      socket.end()
      await peerEnded
      if (done.calls !== 1) failures.push(`connection ${c}: done ran ${done.calls} times`)
      failures.push(...reader.errors.map((e) => `connection ${c} (${kind}): ${e}`))
      if (reader.received !== 1) failures.push(`connection ${c} (${kind}): ${reader.received} responses`)
      if (!reader.atBoundary) failures.push(`connection ${c} (${kind}) ended inside its response`)
      bytesChecked += len
    })
  )
  const seconds = (Date.now() - started) / 1000
  t.same(failures, [], 'every byte arrived, in order, once; every callback once')
  t.same(uncaught, [], 'nothing escaped to the event loop')
  const waits = stats.eagainWaits - waitsBefore
  t.ok(waits >= CONNECTIONS, `the writers waited for writability ${waits} times`)
  t.ok(stats.shortWrites - shortBefore > 0, `short writes: ${stats.shortWrites - shortBefore}`)
  t.comment(`${CONNECTIONS} connections, ${(bytesChecked / MiB).toFixed(0)} MiB SHA-256 checked in ${seconds.toFixed(1)} s; ${waits} EAGAIN waits, ${stats.shortWrites - shortBefore} short writes`)
  await sink.close()
  await until(() => openFds() <= fdsBefore + 2, 10_000, 'fds back').catch(() => {})
  t.ok(openFds() <= fdsBefore + 2, `fds back (${fdsBefore} -> ${openFds()}, the file fd closes at teardown)`)
})
