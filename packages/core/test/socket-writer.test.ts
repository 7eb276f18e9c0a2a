import t from 'tap'
import * as fs from 'node:fs'
import { execFileSync } from 'node:child_process'
import * as net from 'node:net'
import * as os from 'node:os'
import * as path from 'node:path'
import * as native from '@vectored/native'
import { SocketWriter, chooseMode, stats, type WriterMode } from '@vectored/core'
import { collect, connect, fdOf, openFdCount, startSink } from './helpers/sockets'
import { FrameReader, framed, pickSize, rng } from './helpers/frames'

// The same behaviour is required of every mode, so every test runs on each.
const modes: WriterMode[] = ['native', 'portable', 'stock']

interface Outcome {
  calls: number
  err: Error | null
}

function tracked(): { outcome: Outcome; done: (err: Error | null) => void } {
  const outcome: Outcome = { calls: 0, err: null }
  return { outcome, done: (err) => ((outcome.calls += 1), (outcome.err = err)) }
}

function until(check: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms
  return new Promise((resolve, reject) => {
    const poll = () => {
      if (check()) resolve()
      else if (Date.now() > deadline) reject(new Error('condition not met in time'))
      else setTimeout(poll, 2)
    }
    poll()
  })
}

/**
 * Sends `count` framed responses on `writer`, `inFlight` at a time, each with
 * `send` (write or writeBatched), ends the socket, and checks what the peer read:
 * every byte in order, every callback once and never inside the call.
 * Problems go to `failures`; resolves with the number of callbacks run.
 */
async function sendFramed(options: {
  socket: net.Socket
  peer: net.Socket
  count: number
  inFlight: number
  maxSize: number
  random: () => number
  label: string
  failures: string[]
  send: (pieces: Uint8Array[], done: (err: Error | null) => void) => void
}): Promise<number> {
  const { socket, peer, count, random, failures } = options
  const expected = new Map<number, string>()
  const reader = new FrameReader(expected)
  peer.on('data', (chunk: Buffer) => reader.push(chunk))
  const peerClosed = new Promise((resolve) => peer.once('close', resolve))
  let next = 0
  let completed = 0
  let calls = 0
  await new Promise<void>((resolve) => {
    const sendOne = () => {
      const seq = next++
      const response = framed(seq, pickSize(random, options.maxSize), random)
      expected.set(seq, response.digest)
      let runs = 0
      let returned = false
      options.send(response.pieces, (err) => {
        runs++
        calls++
        if (!returned) failures.push(`done of ${seq} ran inside the call`)
        if (runs !== 1) failures.push(`done of ${seq} ran ${runs} times`)
        if (err) failures.push(`response ${seq}: ${err.message}`)
        if (++completed === count) {
          socket.end()
          resolve()
        } else if (next < count) sendOne()
      })
      returned = true
    }
    for (let i = 0; i < options.inFlight; i++) sendOne()
  })
  await peerClosed
  if (reader.errors.length > 0) failures.push(...reader.errors.slice(0, 5))
  if (reader.received !== count) failures.push(`${options.label}: ${reader.received} of ${count}`)
  if (!reader.atBoundary) failures.push(`${options.label} ended inside a response`)
  return calls
}

for (const mode of modes) {
  t.test(`${mode}: every byte arrives in order under short writes and EAGAIN`, async (t) => {
    const fdsBefore = openFdCount()
    const slow = await startSink({ receiveBuffer: 4096, maxPauseMs: 2 })
    const fast = await startSink()
    const connections = mode === 'native' ? 60 : 24
    const perConnection = 20
    const random = rng(mode.length * 7919)
    let doneCalls = 0
    const failures: string[] = []
    const shortBefore = stats.shortWrites
    await Promise.all(
      Array.from({ length: connections }, async (_, c) => {
        const { socket, peer } = await connect(c % 2 === 0 ? slow : fast, c % 3 === 0 ? 4096 : 0)
        const writer = SocketWriter.of(socket, { mode })
        t.equal(writer.mode, mode)
        // Up to three responses in flight, so batches and queues form.
        const calls = await sendFramed({
          socket, peer, count: perConnection, inFlight: 3, maxSize: 8 << 20, random,
          label: `connection ${c}`, failures, send: (pieces, done) => writer.write(pieces, done),
        })
        doneCalls += calls // not `doneCalls += await`: that reads doneCalls before the await
      })
    )
    t.same(failures, [], 'no byte lost, duplicated or reordered; every callback once, after the call')
    t.equal(doneCalls, connections * perConnection)
    if (mode !== 'stock') t.ok(stats.shortWrites > shortBefore, 'short writes happened for real')
    await slow.close()
    await fast.close()
    await until(() => openFdCount() <= fdsBefore)
    t.ok(openFdCount() <= fdsBefore, 'fds back to their count')
  })

  t.test(`${mode}: a peer reset mid-vector fails the callbacks once and the process lives`, async (t) => {
    const sink = await startSink({ receiveBuffer: 4096 })
    const { socket, peer } = await connect(sink, 4096)
    const writer = SocketWriter.of(socket, { mode })
    peer.pause()
    const first = tracked()
    const second = tracked()
    writer.write([Buffer.alloc(16), Buffer.alloc(8 << 20, 1)], first.done)
    writer.write([Buffer.alloc(1024, 2)], second.done)
    await until(() => socket.writableLength > 0 || writer.pendingBytes < (8 << 20) + 16)
    peer.resetAndDestroy()
    await until(() => first.outcome.calls > 0 && second.outcome.calls > 0)
    await new Promise((r) => setTimeout(r, 50))
    t.equal(first.outcome.calls, 1)
    t.equal(second.outcome.calls, 1)
    t.ok(first.outcome.err, `the first write failed: ${first.outcome.err?.message}`)
    t.ok(second.outcome.err, 'the queued write failed too')
    t.equal(writer.writable, false)
    const late = tracked()
    t.equal(writer.write([Buffer.from('late')], late.done), false)
    await until(() => late.outcome.calls === 1)
    t.ok(late.outcome.err, 'a write after the failure gets the error')
    await sink.close()
  })

  t.test(`${mode}: a socket destroyed while the writer waits`, async (t) => {
    const fdsBefore = openFdCount()
    const sink = await startSink({ receiveBuffer: 4096 })
    const { socket, peer } = await connect(sink, 4096)
    const writer = SocketWriter.of(socket, { mode })
    peer.pause()
    const waitsBefore = stats.eagainWaits
    const write = tracked()
    writer.write([Buffer.alloc(4 << 20, 3)], write.done)
    if (mode === 'native') await until(() => stats.eagainWaits > waitsBefore)
    else await until(() => socket.writableLength > 0)
    socket.destroy()
    await until(() => write.outcome.calls > 0)
    await new Promise((r) => setTimeout(r, 50))
    t.equal(write.outcome.calls, 1)
    t.ok(write.outcome.err)
    peer.destroy()
    await sink.close()
    await until(() => openFdCount() <= fdsBefore)
    t.ok(openFdCount() <= fdsBefore, 'the wait left no fd behind')
  })

  t.test(`${mode}: after close, a reused fd number never gets this writer's bytes`, async (t) => {
    const sink = await startSink()
    const a = await connect(sink)
    const writerA = SocketWriter.of(a.socket, { mode })
    const fdA = fdOf(a.socket)
    a.socket.destroy()
    await new Promise((r) => a.socket.once('close', r))
    // The kernel hands out the lowest free number: the next socket gets fdA.
    const b = await connect(sink)
    t.equal(fdOf(b.socket), fdA, 'the new connection reuses the fd number')
    const received = collect(b.peer)
    const late = tracked()
    writerA.write([Buffer.from('bytes for the old connection')], late.done)
    await until(() => late.outcome.calls === 1)
    t.ok(late.outcome.err, 'the write failed')
    SocketWriter.of(b.socket, { mode }).write([Buffer.from('own')], () => b.socket.end())
    t.equal((await received).toString(), 'own', 'the new connection got only its own bytes')
    a.peer.destroy()
    await sink.close()
  })

  t.test(`${mode}: backpressure with a high-water mark and 'drain'`, async (t) => {
    const sink = await startSink({ receiveBuffer: 4096 })
    const { socket, peer } = await connect(sink, 4096)
    const writer = SocketWriter.of(socket, { mode, highWaterMark: 32 * 1024 })
    peer.pause()
    const received = collect(peer)
    let accepted = 0
    while (writer.write([Buffer.alloc(8 * 1024, accepted & 0xff)])) accepted++
    t.ok(writer.needDrain, 'needDrain once the mark is reached')
    t.ok(accepted <= 4, `write() returned false by the mark (accepted ${accepted} more)`)
    const drained = new Promise((resolve) => writer.once('drain', resolve))
    peer.resume()
    await drained
    t.equal(writer.needDrain, false)
    writer.write([Buffer.from('end')], () => socket.end())
    const bytes = await received
    t.equal(bytes.length, (accepted + 1) * 8 * 1024 + 3)
    await sink.close()
  })

  t.test(`${mode}: vectors longer than IOV_MAX and empty pieces`, async (t) => {
    const sink = await startSink()
    const { socket, peer } = await connect(sink)
    const writer = SocketWriter.of(socket, { mode })
    const received = collect(peer)
    const pieces: Uint8Array[] = []
    const expected: number[] = []
    for (let i = 0; i < 3000; i++) {
      const piece = i % 7 === 0 ? Buffer.alloc(0) : Buffer.from([i & 0xff, (i >> 8) & 0xff])
      pieces.push(piece)
      expected.push(...piece)
    }
    const write = tracked()
    writer.write(pieces, write.done)
    writer.write([], () => socket.end())
    t.same([...(await received)], expected)
    t.equal(write.outcome.calls, 1)
    t.equal(write.outcome.err, null)
    await sink.close()
  })
}

for (const mode of modes) {
  t.test(`${mode}: writeBatched and write mixed: every byte in order under short writes and EAGAIN`, async (t) => {
    const slow = await startSink({ maxPauseMs: 2 })
    const random = rng(mode.length * 104729)
    const failures: string[] = []
    const perConnection = 20
    const shortBefore = stats.shortWrites
    await Promise.all(
      Array.from({ length: 8 }, async (_, c) => {
        // A small send buffer and a reader that pauses make the short writes.
        // (A small receive window on loopback as well can stall the FIN
        // behind TCP's persist timer for minutes.)
        const { socket, peer } = await connect(slow, 4096)
        const writer = SocketWriter.of(socket, { mode })
        // Sometimes two in flight, so a batched write meets a busy writer too.
        await sendFramed({
          socket, peer, count: perConnection, inFlight: c % 2 === 0 ? 2 : 1, maxSize: 256 << 10, random,
          label: `connection ${c}`, failures,
          send: (pieces, done) => (random() < 0.5 ? writer.writeBatched(pieces, done) : writer.write(pieces, done)),
        })
      })
    )
    t.same(failures, [], 'no byte lost, duplicated or reordered; every callback once, after the call')
    if (mode !== 'stock') t.ok(stats.shortWrites > shortBefore, 'short writes happened for real')
    await slow.close()
  })
}

t.test('native: writeBatched: after the tick, every writer of the batch writes before any callback runs', async (t) => {
  const sink = await startSink()
  const pairs = await Promise.all([0, 1, 2].map(() => connect(sink)))
  const received = pairs.map(({ peer }) => collect(peer))
  const writers = pairs.map(({ socket }) => SocketWriter.of(socket))
  const before = stats.directWrites
  const seen: number[] = []
  writers.forEach((writer, i) => writer.writeBatched([Buffer.from(`head${i};`), Buffer.from(`body${i};`)], (err) => {
    t.equal(err, null)
    seen.push(stats.directWrites - before)
  }))
  t.equal(writers[0]!.pendingBytes, 12, 'queued, not written, when the call returns')
  await new Promise((resolve) => process.nextTick(resolve))
  t.equal(stats.directWrites - before, 0, 'not flushed at the end of the tick')
  await new Promise((resolve) => setImmediate(resolve))
  t.same(seen, [3, 3, 3], 'each callback ran after all three writevs')
  for (const { socket } of pairs) socket.end()
  t.same((await Promise.all(received)).map(String), ['head0;body0;', 'head1;body1;', 'head2;body2;'])
  await sink.close()
})

t.test('native: a write() behind a batched one flushes both at the end of the tick, in order', async (t) => {
  const sink = await startSink()
  const { socket, peer } = await connect(sink)
  const writer = SocketWriter.of(socket)
  const received = collect(peer)
  const before = stats.directWrites
  const order: string[] = []
  writer.writeBatched([Buffer.from('a;')], () => order.push('a'))
  writer.write([Buffer.from('b;')], () => order.push('b'))
  writer.writeBatched([Buffer.from('c;')], () => order.push('c'))
  await new Promise((resolve) => process.nextTick(resolve))
  t.equal(stats.directWrites - before, 1, 'one writev at the end of the tick')
  t.same(order, ['a', 'b', 'c'])
  await new Promise((resolve) => setImmediate(resolve))
  t.equal(stats.directWrites - before, 1, 'the batch found nothing left to write')
  socket.end()
  t.equal((await received).toString(), 'a;b;c;')
  await sink.close()
})

t.test('writeBatched: a callback that throws is an uncaught exception, and the batch goes on', async (t) => {
  const script = `
    const net = require('node:net')
    const { SocketWriter } = require(${JSON.stringify(require.resolve('@vectored/core'))})
    let uncaught = 0
    const calls = []
    process.on('uncaughtException', (err) => { uncaught++; if (err.message !== 'boom') process.exit(3) })
    const server = net.createServer((s) => s.resume()).listen(0, async () => {
      const port = server.address().port
      const sockets = await Promise.all([0, 1].map(() => new Promise((r) => { const c = net.connect(port, () => r(c)) })))
      SocketWriter.of(sockets[0]).writeBatched([Buffer.from('x')], () => { calls.push(0); throw new Error('boom') })
      SocketWriter.of(sockets[1]).writeBatched([Buffer.from('y')], () => { calls.push(1) })
      setTimeout(() => {
        console.log(JSON.stringify({ uncaught, calls }))
        for (const s of sockets) s.destroy()
        server.close()
      }, 50)
    })
  `
  const out = execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' })
  t.same(JSON.parse(out), { uncaught: 1, calls: [0, 1] })
})

t.test('native: vectors written in one tick go out in one writev', async (t) => {
  const sink = await startSink()
  const { socket, peer } = await connect(sink)
  const writer = SocketWriter.of(socket)
  const received = collect(peer)
  const writesBefore = stats.directWrites
  const batchedBefore = stats.batchedResponses
  let calls = 0
  for (let i = 0; i < 10; i++) writer.write([Buffer.from(`head${i};`), Buffer.from(`body${i};`)], () => calls++)
  await until(() => calls === 10)
  t.equal(stats.directWrites - writesBefore, 1, 'one writev')
  t.equal(stats.batchedResponses - batchedBefore, 9, 'nine responses rode along')
  socket.end()
  t.equal((await received).toString(), Array.from({ length: 10 }, (_, i) => `head${i};body${i};`).join(''))
  await sink.close()
})

t.test('native: sendFile sends the head then the file range by sendfile', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vectored-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  const file = path.join(dir, 'body.bin')
  const content = Buffer.alloc(3 << 20)
  for (let i = 0; i < content.length; i++) content[i] = (i * 31) & 0xff
  fs.writeFileSync(file, content)
  const fd = fs.openSync(file, 'r')
  t.teardown(() => fs.closeSync(fd))
  const sink = await startSink({ receiveBuffer: 4096, maxPauseMs: 1 })
  const { socket, peer } = await connect(sink, 4096)
  const writer = SocketWriter.of(socket)
  t.equal(writer.canSendFile, true)
  const received = collect(peer)
  const sentBefore = stats.sendfileBytes
  const write = tracked()
  writer.write([Buffer.from('before|')])
  writer.sendFile([Buffer.from('head|')], fd, 1000, 2 << 20, write.done)
  writer.write([Buffer.from('|after')], () => socket.end())
  const bytes = await received
  t.equal(write.outcome.calls, 1)
  t.equal(write.outcome.err, null)
  t.ok(bytes.equals(Buffer.concat([Buffer.from('before|head|'), content.subarray(1000, 1000 + (2 << 20)), Buffer.from('|after')])))
  t.equal(stats.sendfileBytes - sentBefore, 2 << 20)

  // A file shorter than the length given: an error, and the connection ends
  // rather than leaving a short body that looks complete.
  const second = await connect(sink)
  const truncated = tracked()
  const closed = new Promise((resolve) => second.peer.once('close', resolve))
  second.peer.resume()
  SocketWriter.of(second.socket).sendFile([], fd, content.length - 10, 100, truncated.done)
  await until(() => truncated.outcome.calls === 1)
  t.equal((truncated.outcome.err as NodeJS.ErrnoException).code, 'ERR_VECTORED_FILE_TRUNCATED')
  await closed
  await sink.close()
})

t.test('chooseMode: a socket without a handle is served by the stock mode', async (t) => {
  const chosen = chooseMode(new net.Socket())
  t.equal(chosen.mode, 'stock')
  t.match(chosen.reason, /no handle/)
})

t.test('chooseMode: a handle without writeQueueSize (how the writer sees Node\'s own queue) is served by the stock mode', async (t) => {
  // Every line from 20 to 26 has it on TCP and Pipe handles; a Node without it must not get direct writes.
  const socket = new net.Socket()
  class TCP { fd = 3 }
  ;(socket as unknown as { _handle: unknown })._handle = new TCP()
  const chosen = chooseMode(socket)
  ;(socket as unknown as { _handle: unknown })._handle = null
  t.equal(chosen.mode, 'stock')
  t.match(chosen.reason, /no writeQueueSize/)
})

for (const mode of modes) {
  t.test(`${mode}: socket.end() while the writer holds bytes waits for them (client half-close)`, async (t) => {
    // As node:http does: allowHalfOpen, and socket.end() when the client's FIN arrives.
    const server = net.createServer({ allowHalfOpen: true }, (socket) => {
      native.setSocketBuffers(fdOf(socket), 4096, 0)
      socket.once('data', () => {
        const writer = SocketWriter.of(socket, { mode })
        writer.write([Buffer.from('response:'), Buffer.alloc(4 << 20, 9)])
        socket.once('end', () => socket.end())
      })
      socket.resume()
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1')
    client.pause()
    const received = collect(client)
    client.end('request')
    await new Promise((r) => setTimeout(r, 100))
    client.resume()
    const bytes = await received
    t.equal(bytes.length, 9 + (4 << 20), 'the whole response arrived before the end')
    t.equal(bytes.subarray(0, 9).toString(), 'response:')
    await new Promise((resolve) => server.close(resolve))
  })
}
