/**
 * The socket's idle timer (socket.setTimeout, Fastify's connectionTimeout)
 * and the writer. Stock Node does not time out a socket whose write is
 * still making progress: net.Socket's _onTimeout compares libuv's
 * writeQueueSize with the size at the last write and re-arms the timer when
 * it moved. The writer holds its bytes itself (libuv's queue is empty), so
 * it must refresh the timer on progress: a slow reader of one large vector
 * that takes longer than the timeout must get every byte, in every mode.
 * A peer that never reads makes no progress and must time out.
 */
import t from 'tap'
import { SocketWriter, type WriterMode } from '@vectored/core'
import { startPairedSink } from './helpers/sink'
import { sleep, until } from './helpers/common'

const TIMEOUT_MS = 400
const BODY = Buffer.alloc(256 * 1024, 7)

for (const mode of ['native', 'portable', 'stock'] as WriterMode[]) {
  t.test(`${mode}: a slow reader of one large vector is not idle`, async (t) => {
    // The reader is slow at the socket, not only at 'data': with Node 22's
    // 64 KiB stream buffers a paused peer would take 64 KiB off the kernel
    // at once, and the sender (stock Node's socket.write too) would see no
    // progress while the peer drains them, longer than the timeout.
    const sink = await startPairedSink({ receiveBuffer: 4096, highWaterMark: 4096 })
    t.teardown(() => sink.close())
    const { socket, peer } = await sink.connect(4096)
    let timedOut = 0
    socket.setTimeout(TIMEOUT_MS, () => (timedOut++, socket.destroy()))
    let received = 0
    peer.on('data', (c: Buffer) => {
      received += c.length
      peer.pause()
      setTimeout(() => peer.resume(), 25)
    })
    const started = Date.now()
    let err: Error | null | undefined
    SocketWriter.of(socket, { mode }).write([BODY], (e) => (err = e))
    await until(() => err !== undefined && (received === BODY.length || socket.destroyed), 60_000, 'the write to end')
    const took = Date.now() - started
    t.ok(took > 2 * TIMEOUT_MS, `the transfer took longer than the timeout (${took} ms, timeout ${TIMEOUT_MS} ms)`)
    t.equal(timedOut, 0, 'no idle timeout while bytes were moving')
    t.equal(err, null, 'the write succeeded')
    await until(() => received === BODY.length, 5000, 'every byte').catch(() => {})
    t.equal(received, BODY.length, 'every byte arrived')
    socket.destroy()
  })

  t.test(`${mode}: a peer that never reads times out`, async (t) => {
    const sink = await startPairedSink({ receiveBuffer: 4096 })
    t.teardown(() => sink.close())
    const { socket, peer } = await sink.connect(4096)
    peer.pause()
    const started = Date.now()
    let timedOutAt = 0
    socket.setTimeout(TIMEOUT_MS, () => ((timedOutAt = Date.now()), socket.destroy()))
    let err: Error | null | undefined
    SocketWriter.of(socket, { mode }).write([BODY], (e) => (err = e))
    await until(() => timedOutAt > 0 && err !== undefined, 10_000, 'the timeout')
    // Stock Node may re-arm once (the queue moved between the write and the first check).
    t.ok(timedOutAt - started < 3 * TIMEOUT_MS + 500, `timed out after ${timedOutAt - started} ms (timeout ${TIMEOUT_MS} ms)`)
    t.ok(err, 'the write failed: the socket was destroyed before the bytes went out')
    await sleep(10)
    peer.destroy()
  })
}
