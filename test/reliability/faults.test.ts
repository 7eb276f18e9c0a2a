/**
 * Faults at the core level, all at once on one sink, mixed with healthy
 * connections that must be untouched: peer resets in the middle of a vector,
 * of a stream body and of a sendfile; sockets destroyed while the writer
 * waits for writability; stream sources that error mid-body; files shorter
 * than the length promised. No crash, every callback exactly once, a failed
 * response never looks complete to its reader, healthy ones arrive whole.
 *
 * CI: 8 kinds x 8 connections of 4 MiB. Soak: 8 kinds x 80.
 */
import t from 'tap'
import { createHash, randomBytes } from 'node:crypto'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { Readable } from 'node:stream'
import { SocketWriter, writeFileBody, writeStreamBody } from '@vectored/core'
import { startPairedSink } from './helpers/sink'
import { FrameReader, rng } from '../../packages/core/test/helpers/frames'
import { fdLimit, openFds, size, tracked, until, watchUncaught } from './helpers/common'

const LEN = 4 << 20
const PER_KIND = size(8, 80)
const kinds = [
  'ok-vector',
  'ok-stream',
  'ok-file',
  'reset-vector',
  'reset-stream',
  'reset-file',
  'destroy-while-waiting',
  'source-error',
  'file-truncated',
] as const
type Kind = (typeof kinds)[number]

t.test(`faults: ${kinds.length} kinds x ${PER_KIND} connections of 4 MiB, at once`, async (t) => {
  if (fdLimit() < kinds.length * PER_KIND * 3 + 64) return t.fail(`the fd limit ${fdLimit()} is too low`)
  const uncaught = watchUncaught(t)
  const fdsBefore = openFds()
  const random = rng(0xfa017)
  const data = randomBytes(LEN)
  const digest = createHash('sha256').update(data).digest('hex')
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vectored-faults-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  fs.writeFileSync(path.join(dir, 'body.bin'), data)
  const fd = fs.openSync(path.join(dir, 'body.bin'), 'r')
  t.teardown(() => fs.closeSync(fd))
  const frame = (c: number) => {
    const b = Buffer.alloc(12)
    b.writeUInt32BE(0x56454331, 0)
    b.writeUInt32BE(c, 4)
    b.writeUInt32BE(LEN, 8)
    return b
  }
  const split = (): Uint8Array[] => {
    const pieces: Uint8Array[] = []
    for (let at = 0; at < LEN; ) {
      const n = Math.min(LEN - at, 1 + Math.floor(random() * 300_000))
      pieces.push(data.subarray(at, at + n))
      at += n
    }
    return pieces
  }

  const sink = await startPairedSink({ receiveBuffer: 4096, maxPauseMs: 2 })
  const failures: string[] = []
  const outcomes = new Map<Kind, { failed: number; completed: number }>(kinds.map((k) => [k, { failed: 0, completed: 0 }]))
  await Promise.all(
    Array.from({ length: kinds.length * PER_KIND }, async (_, c) => {
      const kind = kinds[c % kinds.length]!
      const { socket, peer } = await sink.connect(4096)
      const writer = SocketWriter.of(socket)
      const reader = new FrameReader(new Map([[c, digest]]), c)
      let received = 0
      const resetAt = 12 + Math.floor(random() * (LEN - 1))
      peer.on('data', (chunk: Buffer) => {
        received += chunk.length
        reader.push(chunk)
        if (kind.startsWith('reset-') && received >= resetAt && !peer.destroyed) peer.resetAndDestroy()
      })
      peer.on('error', () => {})
      const peerClosed = new Promise((r) => peer.once('close', r))
      const done = tracked()
      if (kind === 'ok-vector' || kind === 'reset-vector' || kind === 'destroy-while-waiting') {
        if (kind === 'destroy-while-waiting') peer.pause()
        writer.write([frame(c), ...split()], done.done)
        if (kind === 'destroy-while-waiting') {
          await until(() => (writer as unknown as { wait: unknown }).wait !== null, 20_000, 'a writability wait')
          socket.destroy()
          peer.resume()
        }
      } else if (kind === 'ok-stream' || kind === 'reset-stream' || kind === 'source-error') {
        const pieces = split()
        let i = 0
        const failAt = 1 + Math.floor(random() * (pieces.length - 1))
        const source = new Readable({
          read() {
            if (kind === 'source-error' && i === failAt) this.destroy(new Error('source failed mid-body'))
            else this.push(i < pieces.length ? pieces[i++] : null)
          },
        })
        writeStreamBody(writer, [frame(c)], source, { chunked: false, contentLength: LEN }, done.done)
      } else {
        // file-truncated: the range runs past the end of the file.
        const start = kind === 'file-truncated' ? 1000 : 0
        writeFileBody(writer, [frame(c)], fd, start, LEN, done.done)
      }
      const err = await done.promise
      if (!kind.startsWith('ok-') && err === null) failures.push(`connection ${c} (${kind}) reported success`)
      if (kind.startsWith('ok-') && err !== null) failures.push(`connection ${c} (${kind}) failed: ${err.message}`)
      if (err === null) socket.end()
      await peerClosed
      await new Promise((r) => setTimeout(r, 20)) // a second call would come by now
      if (done.calls !== 1) failures.push(`connection ${c} (${kind}): done ran ${done.calls} times`)
      const complete = reader.received === 1 && reader.atBoundary && reader.errors.length === 0
      if (kind.startsWith('ok-') && !complete) failures.push(`connection ${c} (${kind}) incomplete: ${reader.errors.join('; ')}`)
      if (!kind.startsWith('ok-') && !kind.startsWith('reset-') && complete) {
        failures.push(`connection ${c} (${kind}): the reader got a complete body although the write failed`)
      }
      if (!kind.startsWith('ok-') && !socket.destroyed) failures.push(`connection ${c} (${kind}): the connection was not ended`)
      const o = outcomes.get(kind)!
      if (err) o.failed++
      else o.completed++
    })
  )
  t.same(failures, [], 'faulty connections failed once and ended; healthy ones arrived whole')
  t.same(uncaught, [], 'nothing escaped to the event loop')
  for (const [kind, o] of outcomes) t.comment(`${kind}: ${o.completed} completed, ${o.failed} failed`)
  await sink.close()
  await until(() => openFds() <= fdsBefore + 1, 10_000).catch(() => {})
  t.ok(openFds() <= fdsBefore + 1, `no fd left behind (${fdsBefore} -> ${openFds()}, the file closes at teardown)`)
})
