import t from 'tap'
import { createHash, randomBytes } from 'node:crypto'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { Readable } from 'node:stream'
import { SocketWriter, writeFileBody, writeStreamBody, type WriterMode } from '@vectored/core'
import { collect, connect, openFdCount, startSink } from './helpers/sockets'
import { FrameReader, pickSize, rng } from './helpers/frames'

const modes: WriterMode[] = ['native', 'portable', 'stock']

/** Undoes chunked transfer coding; throws on a malformed body. */
function dechunk(bytes: Buffer): { body: Buffer; complete: boolean } {
  const parts: Buffer[] = []
  let at = 0
  for (;;) {
    const eol = bytes.indexOf('\r\n', at)
    if (eol < 0) return { body: Buffer.concat(parts), complete: false }
    const size = parseInt(bytes.subarray(at, eol).toString('latin1'), 16)
    if (Number.isNaN(size)) throw new Error(`bad chunk size at ${at}`)
    if (size === 0) return { body: Buffer.concat(parts), complete: bytes.subarray(eol, eol + 4).toString() === '\r\n\r\n' }
    if (eol + 2 + size + 2 > bytes.length) return { body: Buffer.concat(parts), complete: false }
    parts.push(bytes.subarray(eol + 2, eol + 2 + size))
    if (bytes.subarray(eol + 2 + size, eol + 4 + size).toString() !== '\r\n') throw new Error('chunk not followed by CRLF')
    at = eol + 4 + size
  }
}

/** A source of `count` chunks of random sizes, strings among them, produced lazily. */
function source(count: number, random: () => number): { stream: Readable; bytes: Buffer[] } {
  const bytes: Buffer[] = []
  let i = 0
  const stream = new Readable({
    read() {
      if (i++ === count) return void this.push(null)
      const chunk = randomBytes(Math.floor(random() * 40_000))
      bytes.push(chunk)
      // Some chunks as latin1-safe strings, as a user's stream may give.
      if (i % 5 === 0) this.push(chunk.toString('hex'), 'utf8'), (bytes[bytes.length - 1] = Buffer.from(chunk.toString('hex')))
      else this.push(chunk)
    },
  })
  return { stream, bytes }
}

for (const mode of modes) {
  t.test(`${mode}: a chunked stream body arrives whole, in order, to a slow reader`, async (t) => {
    const sink = await startSink({ receiveBuffer: 4096, maxPauseMs: 1 })
    const { socket, peer } = await connect(sink, 4096)
    const writer = SocketWriter.of(socket, { mode })
    const received = collect(peer)
    const { stream, bytes } = source(120, rng(11))
    const head = Buffer.from('HEAD\r\n')
    let calls = 0
    let result: Error | null = new Error('not called')
    await new Promise<void>((resolve) =>
      writeStreamBody(writer, [head], stream, { chunked: true }, (err) => {
        calls++
        result = err
        resolve()
      })
    )
    socket.end()
    const all = await received
    t.equal(calls, 1)
    t.equal(result, null)
    t.ok(all.subarray(0, head.length).equals(head), 'the head comes first')
    const { body, complete } = dechunk(all.subarray(head.length))
    t.ok(complete, 'the body ends with the last chunk')
    t.ok(body.equals(Buffer.concat(bytes)), 'every byte of the source, in order')
    await sink.close()
  })

  t.test(`${mode}: a slow client stops the source (memory stays bounded)`, async (t) => {
    const sink = await startSink({ receiveBuffer: 4096 })
    const { socket, peer } = await connect(sink, 4096)
    const writer = SocketWriter.of(socket, { mode, highWaterMark: 16 * 1024 })
    peer.pause()
    let produced = 0
    const total = 64 << 20
    const stream = new Readable({
      highWaterMark: 16 * 1024,
      read() {
        if (produced >= total) return void this.push(null)
        produced += 16 * 1024
        this.push(Buffer.alloc(16 * 1024, 7))
      },
    })
    let finished: Error | null | undefined
    writeStreamBody(writer, [], stream, { chunked: false, contentLength: total }, (err) => (finished = err))
    await new Promise((r) => setTimeout(r, 300))
    // Kernel buffers on both ends, the writer's mark, the source's buffer, one batch.
    t.ok(produced < 4 << 20, `the source stopped early: ${produced} of ${total} bytes produced`)
    const received = new Promise<number>((resolve) => {
      let n = 0
      peer.on('data', (c: Buffer) => (n += c.length))
      peer.once('end', () => resolve(n))
    })
    peer.resume()
    await new Promise<void>((resolve) => {
      const check = () => (finished !== undefined ? resolve() : setTimeout(check, 5))
      check()
    })
    t.equal(finished, null)
    socket.end()
    t.equal(await received, total)
    await sink.close()
  })

  t.test(`${mode}: a source that fails mid-body ends the connection`, async (t) => {
    const sink = await startSink()
    const { socket, peer } = await connect(sink)
    const writer = SocketWriter.of(socket, { mode })
    const received = collect(peer)
    let sent = 0
    const stream = new Readable({
      read() {
        if (sent++ < 3) this.push(Buffer.alloc(1000, 1))
        else this.destroy(new Error('disk on fire'))
      },
    })
    const errors: (Error | null)[] = []
    writeStreamBody(writer, [Buffer.from('H')], stream, { chunked: true }, (err) => errors.push(err))
    const all = await received
    await new Promise((r) => setTimeout(r, 20))
    t.equal(errors.length, 1)
    t.equal(errors[0]?.message, 'disk on fire')
    t.ok(socket.destroyed, 'the connection ended')
    t.notOk(dechunk(all.subarray(1)).complete, 'the body does not look complete')
    await sink.close()
  })

  t.test(`${mode}: a stream shorter or longer than its Content-Length ends the connection`, async (t) => {
    const sink = await startSink()
    for (const [length, data] of [
      [10, 'short'],
      [3, 'longer than three'],
    ] as const) {
      const { socket, peer } = await connect(sink)
      peer.resume()
      const writer = SocketWriter.of(socket, { mode })
      const err = await new Promise<Error | null>((resolve) =>
        writeStreamBody(writer, [], Readable.from([Buffer.from(data)]), { chunked: false, contentLength: length }, resolve)
      )
      t.equal((err as NodeJS.ErrnoException | null)?.code, 'ERR_HTTP_CONTENT_LENGTH_MISMATCH', `${data}: ${err?.message}`)
      t.ok(socket.destroyed)
    }
    await sink.close()
  })

  t.test(`${mode}: file bodies, many ranges, to slow readers`, async (t) => {
    const fdsBefore = openFdCount()
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vectored-file-'))
    const file = path.join(dir, 'data.bin')
    const content = randomBytes(6 << 20)
    fs.writeFileSync(file, content)
    const fd = fs.openSync(file, 'r')
    const sink = await startSink({ receiveBuffer: 4096, maxPauseMs: 1 })
    const random = rng(mode.length)
    const failures: string[] = []
    await Promise.all(
      Array.from({ length: 12 }, async () => {
        const { socket, peer } = await connect(sink, 4096)
        const writer = SocketWriter.of(socket, { mode })
        const expected = new Map<number, string>()
        const reader = new FrameReader(expected)
        peer.on('data', (c: Buffer) => reader.push(c))
        const closed = new Promise((r) => peer.once('close', r))
        for (let seq = 0; seq < 6; seq++) {
          const length = Math.min(pickSize(random, 4 << 20), content.length)
          const offset = Math.floor(random() * (content.length - length))
          expected.set(seq, createHash('sha256').update(content.subarray(offset, offset + length)).digest('hex'))
          const header = Buffer.alloc(12)
          header.writeUInt32BE(0x56454331, 0)
          header.writeUInt32BE(seq, 4)
          header.writeUInt32BE(length, 8)
          const err = await new Promise<Error | null>((resolve) => writeFileBody(writer, [header], fd, offset, length, resolve))
          if (err) failures.push(err.message)
        }
        socket.end()
        await closed
        failures.push(...reader.errors)
        if (reader.received !== 6) failures.push(`received ${reader.received} of 6`)
      })
    )
    t.same(failures, [])
    fs.closeSync(fd)
    fs.rmSync(dir, { recursive: true, force: true })
    await sink.close()
    t.ok(openFdCount() <= fdsBefore + 1, 'no fd left behind')
  })
}
