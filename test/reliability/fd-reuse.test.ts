/**
 * fd reuse under churn. A net server writes, with core's SocketWriter on
 * each accepted socket, an endless series of responses made of its
 * connection's 8-byte pattern (the id the client sent, then its complement),
 * two writes in flight at a time, vectors and stream bodies. Clients read a
 * random amount, then close or reset while writes are pending, and new ones
 * open at once, so the kernel hands the closed fd numbers to new connections
 * while the old writers still hold bytes. Every client checks every byte it
 * got against its own pattern: no byte may reach the wrong connection.
 *
 * CI: 600 connections, 40 open at a time. Soak: 20,000, 200 at a time.
 */
import t from 'tap'
import * as net from 'node:net'
import { Readable } from 'node:stream'
import { SocketWriter, writeStreamBody } from '@vectored/core'
import { rng } from '../../packages/core/test/helpers/frames'
import { fdOf } from '../../packages/core/test/helpers/sockets'
import { fdLimit, openFds, size, until, watchUncaught } from './helpers/common'

const TOTAL = size(600, 20_000)
const CONCURRENT = size(40, 200)
const PATTERN_BYTES = 64 * 1024 // a multiple of 8

function patternOf(id: number): Buffer {
  const p = Buffer.alloc(PATTERN_BYTES)
  for (let i = 0; i < PATTERN_BYTES; i += 8) {
    p.writeUInt32BE(id, i)
    p.writeUInt32BE((id ^ 0xa5a5a5a5) >>> 0, i + 4)
  }
  return p
}

t.test(`fd reuse: ${TOTAL} connections churning, ${CONCURRENT} at a time`, async (t) => {
  if (fdLimit() < CONCURRENT * 4 + 64) return t.fail(`the fd limit ${fdLimit()} is too low`)
  const uncaught = watchUncaught(t)
  const fdsBefore = openFds()
  const random = rng(0xfd)
  // Server side: fd numbers in use, and how often a number came back while
  // the writer of its previous connection still held bytes.
  const pendingAtClose = new Map<number, number>() // fd -> writes in flight when it closed
  let reusedWhilePending = 0
  let serverDoneCalls = 0
  let serverDoneTwice = 0
  const serverSockets = new Set<net.Socket>()
  const server = net.createServer((socket) => {
    serverSockets.add(socket)
    const fd = fdOf(socket)
    if ((pendingAtClose.get(fd) ?? 0) > 0) reusedWhilePending++
    pendingAtClose.delete(fd)
    socket.on('error', () => {})
    const writer = SocketWriter.of(socket)
    let inFlight = 0 // writes whose callback has not run (failed ones are called back after 'close')
    socket.once('close', () => {
      serverSockets.delete(socket)
      pendingAtClose.set(fd, inFlight)
    })
    let idBytes = Buffer.alloc(0)
    socket.on('data', (chunk: Buffer) => {
      if (idBytes.length >= 4) return
      idBytes = Buffer.concat([idBytes, chunk])
      if (idBytes.length < 4) return
      const pattern = patternOf(idBytes.readUInt32BE(0))
      let n = 0
      const next = () => {
        if (!writer.writable) return
        const kind = n++ % 2
        // A response: pieces of the pattern, each a multiple of 8 bytes long.
        const count = 1 + Math.floor(random() * 6)
        const pieces: Uint8Array[] = []
        for (let i = 0; i < count; i++) pieces.push(pattern.subarray(0, 8 * (1 + Math.floor(random() * (PATTERN_BYTES / 8)))))
        let calls = 0
        inFlight++
        const done = (err: Error | null) => {
          if (++calls > 1) serverDoneTwice++
          else inFlight--
          serverDoneCalls++
          if (err === null) next()
        }
        if (kind === 0) writer.write(pieces, done)
        else writeStreamBody(writer, [], Readable.from(pieces, { objectMode: false }), { chunked: false, contentLength: pieces.reduce((s, p) => s + p.length, 0) }, done)
      }
      next()
      next()
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as net.AddressInfo).port

  let nextId = 1
  let checkedBytes = 0
  const wrong: string[] = []
  const client = (): Promise<void> =>
    new Promise((resolve) => {
      const id = nextId++
      const expected = patternOf(id)
      const stopAfter = 8 + Math.floor(random() * 600_000)
      const reset = random() < 0.5
      let offset = 0
      const socket = net.connect(port, '127.0.0.1')
      socket.on('error', () => {})
      socket.once('connect', () => {
        const idBytes = Buffer.alloc(4)
        idBytes.writeUInt32BE(id, 0)
        socket.write(idBytes)
      })
      socket.on('data', (chunk: Buffer) => {
        // Compare with the pattern at the stream offset (the pattern repeats every 8 bytes).
        for (let at = 0; at < chunk.length; ) {
          const phase = offset % PATTERN_BYTES
          const n = Math.min(chunk.length - at, PATTERN_BYTES - phase)
          if (!chunk.subarray(at, at + n).equals(expected.subarray(phase, phase + n))) {
            wrong.push(`connection ${id}: foreign bytes at offset ${offset}`)
            socket.destroy()
            return
          }
          at += n
          offset += n
        }
        checkedBytes += chunk.length
        if (offset >= stopAfter) {
          if (reset) socket.resetAndDestroy()
          else socket.destroy()
        }
      })
      socket.once('close', () => resolve())
    })
  const started = Date.now()
  await Promise.all(
    Array.from({ length: CONCURRENT }, async () => {
      while (nextId <= TOTAL) await client()
    })
  )
  const seconds = (Date.now() - started) / 1000
  await until(() => serverSockets.size === 0, 10_000, 'server sockets closed')
  await new Promise((r) => setTimeout(r, 50))
  t.same(wrong, [], 'no byte ever reached the wrong connection')
  t.same(uncaught, [], 'nothing escaped to the event loop')
  t.equal(serverDoneTwice, 0, 'every server-side callback ran once')
  t.ok(reusedWhilePending > 0, `fd numbers were reused while the old connection still had writes in flight (${reusedWhilePending} times)`)
  t.comment(`${TOTAL} connections in ${seconds.toFixed(1)} s, ${(checkedBytes / (1 << 20)).toFixed(0)} MiB checked, ${serverDoneCalls} server writes completed or failed, ${reusedWhilePending} fd numbers reused while the old connection's writes were in flight`)
  await new Promise<void>((r) => server.close(() => r()))
  await until(() => openFds() <= fdsBefore, 10_000).catch(() => {})
  t.ok(openFds() <= fdsBefore, `fds back (${fdsBefore} -> ${openFds()})`)
})
