// waitWritable on real sockets: one callback, failures reported, cancel safe
// at any time, no fd or handle leaks, exceptions surface, async context flows.
import t from 'tap'
import { AsyncLocalStorage } from 'node:async_hooks'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import * as native from '@vectored/native'
import { EAGAIN, openFdCount, runChild, socketPair, waitWritableOnce, within } from './helpers'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Writes until the connection is full, pausing so TCP's pipeline fills too. */
async function fill(fd: number): Promise<number> {
  const chunk = Buffer.alloc(64 * 1024, 0x42)
  let total = 0
  for (let round = 0; round < 100; round++) {
    let thisRound = 0
    let n: number
    while ((n = native.writev(fd, [chunk])) > 0) thisRound += n
    if (n !== EAGAIN) throw new Error(`fill: writev returned ${n}`)
    total += thisRound
    if (round > 0 && thisRound === 0) return total
    await sleep(20)
  }
  throw new Error('fill: the connection never filled')
}

t.test('a peer that resets while the wait is pending: one callback, then the failure', async (t) => {
  const pair = await socketPair('tcp', 4096, 16 * 1024)
  t.teardown(() => pair.close())
  // Node must not read the writer's side, or it would see the RST and close
  // the fd itself before the wait can report it.
  ;(pair.writer as any)._handle.readStop()
  await fill(pair.writerFd)
  const calls: (Error | null)[] = []
  native.waitWritable(pair.writerFd, (err) => calls.push(err))
  await sleep(50)
  t.equal(calls.length, 0, 'no callback while the peer holds the connection full')
  pair.peer.resetAndDestroy()
  await within(
    (async () => {
      while (calls.length === 0) await sleep(5)
    })(),
    5000,
    'callback after the reset'
  )
  await sleep(100)
  t.equal(calls.length, 1, 'exactly one callback')
  const first = calls[0]
  if (first instanceof Error) {
    t.equal((first as NodeJS.ErrnoException).code, 'ECONNRESET', `an Error with code ECONNRESET: ${first.message}`)
    t.equal((first as NodeJS.ErrnoException).syscall, 'waitWritable')
  } else {
    t.equal(first, null)
    const n = native.writev(pair.writerFd, [Buffer.from('x')])
    t.ok(n < 0 && n !== EAGAIN, `null, then the next write fails (${n})`)
  }
})

t.test('Node destroys the socket while a wait is pending, then cancel: no callback, no crash', async (t) => {
  const pair = await socketPair('unix')
  t.teardown(() => pair.close())
  await fill(pair.writerFd)
  let calls = 0
  const handle = native.waitWritable(pair.writerFd, () => calls++)
  const closed = new Promise((r) => pair.writer.once('close', r))
  pair.writer.destroy()
  await closed
  // The fd number is free now; take it for something else to show a reused
  // number cannot fire or confuse the wait.
  const reuse = fs.openSync(os.devNull, 'w')
  t.teardown(() => fs.closeSync(reuse))
  t.equal(handle.pending, true, 'still pending: a closed fd left the private epoll set')
  handle.cancel()
  t.equal(handle.pending, false)
  handle.cancel()
  pair.peer.resume()
  await sleep(100)
  t.equal(calls, 0, 'no callback after cancel')
})

t.test('cancel twice, cancel after fire, cancel inside the callback: no-ops', async (t) => {
  const pair = await socketPair('tcp')
  t.teardown(() => pair.close())
  let calls = 0
  let handle: native.WaitHandle
  const fired = new Promise<Error | null>((resolve) => {
    handle = native.waitWritable(pair.writerFd, (err) => {
      calls++
      handle.cancel()
      resolve(err)
    })
  })
  t.equal(await within(fired, 5000, 'wait on a writable socket'), null)
  handle!.cancel()
  handle!.cancel()
  t.equal(handle!.pending, false)

  const other = native.waitWritable(pair.writerFd, () => calls++)
  other.cancel()
  other.cancel()
  await sleep(50)
  t.equal(calls, 1, 'only the first wait called back')
})

t.test('10,000 sequential waits, fired or cancelled, leave /proc/self/fd as it was', async (t) => {
  const pair = await socketPair('tcp')
  t.teardown(() => pair.close())
  await waitWritableOnce(pair.writerFd) // warm up anything lazily opened
  const before = openFdCount()
  let fires = 0
  for (let i = 0; i < 10_000; i++) {
    if (i % 2 === 0) {
      if ((await waitWritableOnce(pair.writerFd)) === null) fires++
    } else {
      native.waitWritable(pair.writerFd, () => t.fail('a cancelled wait called back')).cancel()
    }
  }
  t.equal(fires, 5000, 'every waited wait fired with null')
  t.equal(openFdCount(), before, 'no fd leaked')
})

t.test('10,000 waits cancelled within one tick hold no fds meanwhile', async (t) => {
  const pair = await socketPair('tcp')
  t.teardown(() => pair.close())
  const before = openFdCount()
  let peak = before
  for (let i = 0; i < 10_000; i++) {
    native.waitWritable(pair.writerFd, () => t.fail('a cancelled wait called back')).cancel()
    if (i % 1000 === 0) peak = Math.max(peak, openFdCount())
  }
  t.equal(openFdCount(), before, 'fds closed at cancel, not at the next loop turn')
  t.equal(peak, before)
  await sleep(20)
})

t.test('a process whose waits all ended exits by itself (no poll handle left active)', async (t) => {
  const result = await runChild(`
    const native = require(process.env.VECTORED_ENTRY)
    const net = require('net')
    const server = net.createServer((peer) => {
      const fd = client._handle.fd
      let left = 1000
      const next = () => {
        if (left-- === 0) { client.destroy(); peer.destroy(); server.close(); console.log('done'); return }
        const h = native.waitWritable(fd, () => setImmediate(next))
        if (left % 3 === 0) { h.cancel(); setImmediate(next) }
      }
      next()
    })
    let client
    server.listen(0, '127.0.0.1', () => { client = net.connect(server.address().port, '127.0.0.1') })
  `, { timeoutMs: 10_000 })
  t.equal(result.signal, null, 'exited on its own, not killed at the timeout')
  t.equal(result.code, 0)
  t.equal(result.stdout.trim(), 'done')
})

t.test('an exception thrown by the callback is an uncaughtException', async (t) => {
  const script = (handler: boolean) => `
    const native = require(process.env.VECTORED_ENTRY)
    const net = require('net')
    ${handler ? "process.on('uncaughtException', (e) => { console.log('caught ' + e.message); process.exit(0) })" : ''}
    const server = net.createServer(() => {
      native.waitWritable(client._handle.fd, () => { throw new Error('thrown in the callback') })
    })
    let client
    server.listen(0, '127.0.0.1', () => { client = net.connect(server.address().port, '127.0.0.1') })
  `
  const caught = await runChild(script(true), { timeoutMs: 10_000 })
  t.equal(caught.code, 0)
  t.equal(caught.stdout.trim(), 'caught thrown in the callback', 'process uncaughtException handler got it')
  const uncaught = await runChild(script(false), { timeoutMs: 10_000 })
  t.equal(uncaught.signal, null, 'not a crash by signal')
  t.equal(uncaught.code, 1, 'exit code 1, like any uncaught exception')
  t.match(uncaught.stderr, /thrown in the callback/, 'the error is printed')
})

t.test('AsyncLocalStorage context flows into the callback; microtasks run after it', async (t) => {
  const pair = await socketPair('tcp')
  t.teardown(() => pair.close())
  const als = new AsyncLocalStorage<{ id: number }>()
  const seen = await within(
    Promise.all(
      [1, 2, 3].map(
        (id) =>
          new Promise<{ store: unknown; microtask: boolean }>((resolve) =>
            als.run({ id }, () =>
              native.waitWritable(pair.writerFd, () => {
                const store = als.getStore()
                const result = { store, microtask: false }
                queueMicrotask(() => {
                  result.microtask = true
                  resolve(result)
                })
              })
            )
          )
      )
    ),
    5000,
    'three waits'
  )
  t.same(
    seen.map((s) => s.store),
    [{ id: 1 }, { id: 2 }, { id: 3 }],
    'each callback sees the store of the run that started its wait'
  )
  t.ok(seen.every((s) => s.microtask))
  t.equal(als.getStore(), undefined)
})

t.test('a worker that exits with a wait pending does not take the process down', async (t) => {
  const result = await runChild(`
    const { Worker } = require('worker_threads')
    const worker = new Worker(\`
      const native = require(process.env.VECTORED_ENTRY)
      const net = require('net')
      const server = net.createServer({ pauseOnConnect: true }, () => {
        const fd = client._handle.fd
        native.setSocketBuffers(fd, 4096, 0)
        while (native.writev(fd, [Buffer.alloc(65536)]) > 0) {}
        native.waitWritable(fd, () => {})
        native.waitWritable(fd, () => {}).cancel()
        require('worker_threads').parentPort.postMessage('waiting')
      })
      let client
      server.listen(0, '127.0.0.1', () => { client = net.connect(server.address().port, '127.0.0.1') })
    \`, { eval: true })
    worker.on('message', () => worker.terminate().then(() => console.log('main alive')))
    worker.on('error', (e) => { console.log('worker error ' + e.message); process.exit(2) })
  `, { timeoutMs: 10_000 })
  t.equal(result.signal, null, `no crash (stderr: ${result.stderr.slice(0, 500)})`)
  t.equal(result.code, 0)
  t.equal(result.stdout.trim(), 'main alive')
})

t.test('waitWritable on fds epoll cannot watch throws an Error with a code', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vectored-native-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  const fd = fs.openSync(path.join(dir, 'regular'), 'w')
  t.teardown(() => fs.closeSync(fd))
  const before = openFdCount()
  t.throws(() => native.waitWritable(fd, () => {}), { code: 'EPERM', syscall: 'waitWritable' })
  t.throws(() => native.waitWritable(2147483647, () => {}), { code: 'EBADF' })
  t.equal(openFdCount(), before, 'the failed waits closed their epoll fds')
})

t.test('the handle cannot be abused into a crash', async (t) => {
  const pair = await socketPair('tcp')
  t.teardown(() => pair.close())
  const handle = native.waitWritable(pair.writerFd, () => {})
  const proto = Object.getPrototypeOf(handle)
  t.throws(() => proto.cancel.call({}), 'cancel on a foreign object throws')
  t.throws(() => proto.cancel.call(undefined))
  t.throws(() => Object.getOwnPropertyDescriptor(proto, 'pending')!.get!.call(42))
  const Made = handle.constructor as new () => native.WaitHandle
  const made = new Made()
  t.equal(made.pending, false, 'a handle made by hand waits for nothing')
  made.cancel()
  t.equal(handle.pending, true)
  handle.cancel()
})
