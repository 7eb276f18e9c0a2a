/**
 * Property (fast-check): any sequence of writer operations on a real
 * loopback socket pair delivers exactly the concatenation of what was
 * written, in each of the three writer modes.
 *
 * Operations: write() of a random vector (empty pieces, views at offsets
 * into a larger buffer, several writes in one tick so they batch), a file
 * range (writeFileBody: sendfile in the native mode, read-and-write in the
 * others), a stream body (writeStreamBody with its Content-Length), flush(),
 * and the peer pausing or resuming its reads. The writer's socket has a
 * 4 KiB send buffer and the peer a 4 KiB receive buffer, so short writes
 * and EAGAIN waits happen throughout. Every callback must run once, without
 * an error. Bounded by time: a few seconds per mode.
 */
import t from 'tap'
import fc from 'fast-check'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { Readable } from 'node:stream'
import { SocketWriter, stats, writeFileBody, writeStreamBody, type WriterMode } from '@vectored/core'
import { startPairedSink } from './helpers/sink'
import { until } from './helpers/common'

const SOURCE = Buffer.alloc(1 << 20)
for (let i = 0; i < SOURCE.length; i++) SOURCE[i] = (i * 131 + (i >> 9)) & 255
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vectored-prop-'))
const FILE = path.join(dir, 'source.bin')
fs.writeFileSync(FILE, SOURCE)
const fileFd = fs.openSync(FILE, 'r')
t.teardown(() => {
  fs.closeSync(fileFd)
  fs.rmSync(dir, { recursive: true, force: true })
})

type Op =
  | { kind: 'write'; pieces: [number, number][] }
  | { kind: 'file'; offset: number; length: number; head: number }
  | { kind: 'stream'; chunks: [number, number][]; head: number }
  | { kind: 'flush' }
  | { kind: 'pause' }
  | { kind: 'resume' }

// A slice of SOURCE: [offset, length]. Small sizes are more likely; some pieces are empty.
const slice = fc.tuple(fc.nat({ max: SOURCE.length - 1 }), fc.oneof(fc.constant(0), fc.nat({ max: 64 }), fc.nat({ max: 4096 }), fc.nat({ max: 40_000 })))
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('write' as const), pieces: fc.array(slice, { maxLength: 12 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('file' as const), offset: fc.nat({ max: SOURCE.length - 1 }), length: fc.nat({ max: 200_000 }), head: fc.nat({ max: 300 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('stream' as const), chunks: fc.array(slice, { maxLength: 8 }), head: fc.nat({ max: 300 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'flush' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'pause' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'resume' as const }) }
)

const piece = ([offset, length]: [number, number]) => SOURCE.subarray(offset, Math.min(SOURCE.length, offset + length))

const modes: WriterMode[] = ['native', 'portable', 'stock']

for (const mode of modes) {
  t.test(`${mode}: any sequence of operations delivers exactly the concatenation`, async (t) => {
    const sink = await startPairedSink({ receiveBuffer: 4096 })
    t.teardown(() => sink.close())
    const shortBefore = stats.shortWrites
    let runs = 0
    let bytesTotal = 0
    const result = await fc.check(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 16 }), async (ops) => {
        runs++
        const { socket, peer } = await sink.connect(4096)
        try {
          const writer = SocketWriter.of(socket, { mode })
          if (writer.mode !== mode) throw new Error(`writer mode ${writer.mode}, wanted ${mode}`)
          const received: Buffer[] = []
          let receivedBytes = 0
          peer.on('data', (c: Buffer) => (received.push(c), (receivedBytes += c.length)))
          const expected: Buffer[] = []
          const callbacks: Promise<void>[] = []
          const calls = new Map<number, number>()
          // A callback that must run once, without an error.
          const expectDone = (): ((err: Error | null) => void) => {
            const id = calls.size
            calls.set(id, 0)
            let resolve!: () => void
            let reject!: (e: Error) => void
            callbacks.push(new Promise<void>((res, rej) => ((resolve = res), (reject = rej))))
            return (err) => {
              calls.set(id, calls.get(id)! + 1)
              if (err) reject(err)
              else resolve()
            }
          }
          for (const o of ops) {
            if (o.kind === 'write') {
              const pieces = o.pieces.map(piece)
              expected.push(...pieces)
              writer.write(pieces, expectDone())
            } else if (o.kind === 'flush') {
              writer.flush()
            } else if (o.kind === 'pause') {
              peer.pause()
            } else if (o.kind === 'resume') {
              peer.resume()
            } else {
              // A body owns the writer until its callback: nothing else is written meanwhile.
              const head = [SOURCE.subarray(0, o.head)]
              expected.push(head[0]!)
              const done = expectDone()
              const finished = callbacks[callbacks.length - 1]!
              if (o.kind === 'file') {
                const length = Math.min(o.length, SOURCE.length - o.offset)
                expected.push(SOURCE.subarray(o.offset, o.offset + length))
                writeFileBody(writer, head, fileFd, o.offset, length, done)
              } else {
                const chunks = o.chunks.map(piece)
                expected.push(...chunks)
                const total = chunks.reduce((n, c) => n + c.length, 0)
                writeStreamBody(writer, head, Readable.from(chunks), { chunked: false, contentLength: total }, done)
              }
              // The peer must read for a body to finish.
              peer.resume()
              await finished
            }
          }
          peer.resume()
          await Promise.all(callbacks)
          const want = Buffer.concat(expected)
          bytesTotal += want.length
          await until(() => receivedBytes >= want.length, 10_000, `${want.length} bytes at the peer (got ${receivedBytes})`)
          await new Promise((r) => setTimeout(r, 2))
          const got = Buffer.concat(received)
          if (got.length !== want.length) throw new Error(`received ${got.length} bytes, expected ${want.length}`)
          if (!got.equals(want)) throw new Error(`bytes differ at ${got.findIndex((b, i) => b !== want[i])}`)
          const twice = [...calls.values()].filter((n) => n !== 1).length
          if (twice > 0) throw new Error(`${twice} callbacks did not run exactly once`)
          if (!writer.writable) throw new Error('the writer failed')
        } finally {
          socket.destroy()
          peer.destroy()
        }
      }),
      { numRuns: 200, interruptAfterTimeLimit: 4000, seed: Number(process.env.FC_SEED ?? Date.now() % 2 ** 31) }
    )
    t.notOk(result.failed, result.failed ? fc.defaultReportMessage(result) ?? 'failed' : `${result.numRuns} runs, ${(bytesTotal / 1048576).toFixed(1)} MiB, ${stats.shortWrites - shortBefore} short writes (seed ${result.seed})`)
    t.ok(runs >= 10, `at least 10 sequences ran in the time limit (${runs})`)
  })
}
