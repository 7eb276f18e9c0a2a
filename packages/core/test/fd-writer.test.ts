import t, { type Test } from 'tap'
import * as cp from 'node:child_process'
import * as fs from 'node:fs'
import * as net from 'node:net'
import * as os from 'node:os'
import * as path from 'node:path'
import * as native from '@vectored/native'
import { PIPE_BUF, checkNonBlocking, openFifo, stats, writerForFd, type SocketWriter, type WriterMode } from '@vectored/core'

// Real FIFOs (mkfifo), real reader and writer processes. Children run with
// this package as their cwd, so `require('@vectored/core')` is the build.
const coreDir = path.join(__dirname, '..')

function tmpDir(t: Test): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vectored-fifo-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  return dir
}

function mkfifo(dir: string, name = 'f'): string {
  const p = path.join(dir, name)
  cp.execFileSync('mkfifo', [p])
  return p
}

// A reader process: opens the FIFO (blocking: it is its own process), reads
// chunks of random size up to MAX_CHUNK with random pauses up to PAUSE_MS,
// copies what it reads to stdout, and exits at EOF or after LIMIT bytes.
const READER = `
const fs = require('fs')
const e = process.env
const fd = fs.openSync(e.FIFO, 'r')
const max = +e.MAX_CHUNK, pause = +e.PAUSE_MS, limit = +e.LIMIT || Infinity
const buf = Buffer.alloc(max)
const sleeper = new Int32Array(new SharedArrayBuffer(4))
let s = +e.SEED || 1, total = 0
const rand = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296)
for (;;) {
  const want = Math.min(1 + Math.floor(rand() * max), limit - total)
  if (want <= 0) break
  const n = fs.readSync(fd, buf, 0, want, null)
  if (n === 0) break
  // stdout may be non-blocking (a pipe the parent made): wait for room.
  for (let at = 0; at < n; ) {
    try { at += fs.writeSync(1, buf, at, n - at) } catch (err) { if (err.code !== 'EAGAIN') throw err; Atomics.wait(sleeper, 0, 0, 1) }
  }
  total += n
  if (pause > 0 && rand() < 0.3) Atomics.wait(sleeper, 0, 0, Math.floor(rand() * pause))
}
`

interface Reader {
  proc: cp.ChildProcess
  /** Everything the reader read, once it exited (its exit code too). */
  result: Promise<{ bytes: Buffer; code: number | null }>
}

function startReader(fifo: string, opts: { maxChunk?: number; pauseMs?: number; limit?: number; seed?: number } = {}): Reader {
  const proc = cp.spawn(process.execPath, ['-e', READER], {
    env: {
      ...process.env,
      FIFO: fifo,
      MAX_CHUNK: String(opts.maxChunk ?? 1500),
      PAUSE_MS: String(opts.pauseMs ?? 2),
      LIMIT: String(opts.limit ?? 0),
      SEED: String(opts.seed ?? 7),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const chunks: Buffer[] = []
  proc.stdout!.on('data', (c: Buffer) => chunks.push(c))
  const result = new Promise<{ bytes: Buffer; code: number | null }>((resolve) => {
    proc.once('close', (code) => resolve({ bytes: Buffer.concat(chunks), code }))
  })
  return { proc, result }
}

/** Runs `node -e script` in this package's directory without blocking the loop (readers must be drained meanwhile). */
function runChild(script: string, env: Record<string, string>): Promise<{ status: number | null; signal: string | null; stdout: string; stderr: string }> {
  const child = cp.spawn(process.execPath, ['-e', script], { cwd: coreDir, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d))
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d))
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000)
  return new Promise((resolve) => child.once('close', (status, signal) => (clearTimeout(timer), resolve({ status, signal, stdout, stderr }))))
}

function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let x = a
    x = Math.imul(x ^ (x >>> 15), x | 1)
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61)
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}

/** `bytes` cut into 1..maxPieces pieces (subarrays, some empty). */
function cut(bytes: Buffer, random: () => number, maxPieces: number): Buffer[] {
  const pieces: Buffer[] = []
  let at = 0
  const count = 1 + Math.floor(random() * maxPieces)
  for (let i = 0; i < count - 1; i++) {
    const end = Math.min(bytes.length, at + Math.floor(random() * ((2 * bytes.length) / count + 1)))
    pieces.push(bytes.subarray(at, end))
    at = end
  }
  pieces.push(bytes.subarray(at))
  return pieces
}

/** Writes `vectors` in order with backpressure; resolves with every done error (null for success). */
function writeAll(writer: SocketWriter, vectors: Buffer[][]): Promise<(Error | null)[]> {
  const results: (Error | null)[] = new Array(vectors.length)
  let calls = 0
  return new Promise((resolve) => {
    let next = 0
    const cb = (i: number) => (err: Error | null) => {
      if (results[i] !== undefined) throw new Error(`done of vector ${i} called twice`)
      results[i] = err
      if (++calls === vectors.length) resolve(results)
    }
    const send = () => {
      while (next < vectors.length) {
        const i = next++
        if (!writer.write(vectors[i]!, cb(i)) && next < vectors.length) {
          if (!writer.writable) continue // failed: the rest get the error at once
          writer.once('drain', send)
          return
        }
      }
    }
    send()
  })
}

const modes: WriterMode[] = ['native', 'portable', 'stock']

for (const mode of modes) {
  t.test(`${mode}: byte-exact through a FIFO to a slow reader (short writes, EAGAIN)`, async (t) => {
    const dir = tmpDir(t)
    const fifo = mkfifo(dir)
    const reader = startReader(fifo, { maxChunk: 1500, pauseMs: 2, seed: mode.length })
    const fd = await openFifo(fifo)
    const writer = writerForFd(fd, { mode })
    t.equal(writer.mode, mode)
    t.equal(writer.socket.constructor.name, 'Socket')
    t.equal(writer.atomicBytes, PIPE_BUF, 'a FIFO gets PIPE_BUF atomicity')
    const random = rng(1234 + mode.length)
    const total = 3 * 1024 * 1024
    const source = Buffer.alloc(total)
    for (let i = 0; i < total; i++) source[i] = (i * 131 + (i >>> 13)) & 0xff
    const vectors: Buffer[][] = []
    for (let at = 0; at < total; ) {
      const r = random()
      const size = Math.min(total - at, r < 0.5 ? Math.floor(random() * 4096) : r < 0.9 ? Math.floor(random() * 96 * 1024) : 300 * 1024)
      vectors.push(cut(source.subarray(at, at + size), random, 20))
      at += size
    }
    const shortBefore = stats.shortWrites
    const waitsBefore = stats.eagainWaits
    const results = await writeAll(writer, vectors)
    t.same(results.filter((e) => e !== null), [], 'every vector completed without error')
    writer.socket.destroy()
    const { bytes, code } = await reader.result
    t.equal(code, 0)
    t.equal(bytes.length, total, 'the reader saw EOF after every byte')
    t.ok(bytes.equals(source), 'the bytes read are the bytes written, in order')
    if (mode === 'native') {
      t.ok(stats.shortWrites > shortBefore, `short writes happened (${stats.shortWrites - shortBefore})`)
      t.ok(stats.eagainWaits > waitsBefore, `waits for writability happened (${stats.eagainWaits - waitsBefore})`)
    }
  })

  t.test(`${mode}: EPIPE when the reader exits is an error for every pending write, not a crash`, async (t) => {
    const dir = tmpDir(t)
    const fifo = mkfifo(dir)
    const reader = startReader(fifo, { maxChunk: 4096, pauseMs: 1, limit: 100_000 })
    const fd = await openFifo(fifo)
    const writer = writerForFd(fd, { mode, highWaterMark: 16 * 1024 * 1024 })
    const piece = Buffer.alloc(64 * 1024, 0x61)
    const vectors = Array.from({ length: 64 }, () => [piece, piece])
    const results = await writeAll(writer, vectors)
    const { bytes, code } = await reader.result
    t.equal(code, 0)
    t.equal(bytes.length, 100_000, 'the reader read its 100,000 bytes and left')
    const failed = results.filter((e) => e !== null)
    t.ok(failed.length > 0, `${failed.length} of 64 writes failed`)
    const codes = new Set(failed.map((e) => (e as NodeJS.ErrnoException).code))
    t.ok(codes.has('EPIPE') || codes.has('ERR_STREAM_DESTROYED'), `failure codes: ${[...codes].join(', ')}`)
    if (mode !== 'stock') t.ok(codes.has('EPIPE'), 'the writer itself saw EPIPE')
    t.equal(writer.writable, false)
    t.ok(writer.socket.destroyed, 'the socket is destroyed')
    t.equal(writer.write([Buffer.from('late')]), false, 'a later write is refused')
  })
}

// SIGPIPE back at SIG_DFL (adding and removing a listener does that, see
// docs/native.md): the writer must still report EPIPE and live.
t.test('native: EPIPE with SIGPIPE at its default disposition, in a child', async (t) => {
  const dir = tmpDir(t)
  const fifo = mkfifo(dir)
  const reader = startReader(fifo, { maxChunk: 4096, pauseMs: 0, limit: 10_000 })
  const script = `
    const { openFifo, writerForFd } = require('@vectored/core')
    const f = () => {}
    process.on('SIGPIPE', f); process.off('SIGPIPE', f)
    openFifo(process.env.FIFO).then((fd) => {
      const w = writerForFd(fd)
      const big = Buffer.alloc(1 << 20, 1)
      let n = 0, codes = []
      for (let i = 0; i < 8; i++) w.write([big], (err) => { codes.push(err && err.code); if (++n === 8) console.log(JSON.stringify({ mode: w.mode, codes })) })
    })
  `
  const child = await runChild(script, { FIFO: fifo })
  await reader.result
  t.equal(child.signal, null, 'not killed by a signal')
  t.equal(child.status, 0, child.stderr)
  const out = JSON.parse(child.stdout) as { mode: string; codes: (string | null)[] }
  t.equal(out.mode, native.available ? 'native' : 'portable')
  t.ok(out.codes.includes('EPIPE'), `codes: ${out.codes.join(',')}`)
})

// Several processes write records of at most PIPE_BUF bytes, many per tick
// (so the writer would batch them), into one FIFO with a slow reader. Each
// record must arrive whole: a partial write inside one, resumed later, would
// let another writer's bytes in between.
const RECORD_WRITER = `
  const { openFifo, writerForFd } = require('@vectored/core')
  const e = process.env
  const id = +e.WRITER, count = +e.COUNT
  let s = id * 7919 + 1
  const rand = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296)
  function record(seq) {
    const len = 16 + Math.floor(rand() * (${PIPE_BUF} - 16 + 1))
    const b = Buffer.alloc(len)
    b.writeUInt32BE(0x52454331, 0); b.writeUInt16BE(id, 4); b.writeUInt32BE(seq, 8); b.writeUInt32BE(len, 12)
    for (let i = 16; i < len; i++) b[i] = (id * 31 + seq * 7 + i) & 0xff
    const cuts = [0, Math.floor(rand() * len), Math.floor(rand() * len), len].sort((x, y) => x - y)
    return [b.subarray(0, cuts[1]), b.subarray(cuts[1], cuts[2]), b.subarray(cuts[2])]
  }
  openFifo(e.FIFO).then((fd) => {
    const w = writerForFd(fd, e.ATOMIC === '0' ? { atomicBytes: 0 } : {})
    let seq = 0, doneCount = 0, failed = null
    const done = (err) => {
      if (err) failed = failed || err
      if (++doneCount === count) { w.socket.destroy(); if (failed) { console.error(failed); process.exitCode = 1 } }
    }
    const send = () => {
      while (seq < count) if (!w.write(record(seq++), done)) return void w.once('drain', send)
    }
    send()
  })
`

function checkRecords(bytes: Buffer, writers: number, count: number): { errors: string[]; records: number } {
  const errors: string[] = []
  const next = new Array<number>(writers).fill(0)
  let at = 0
  let records = 0
  while (at < bytes.length && errors.length < 5) {
    if (bytes.length - at < 16) {
      errors.push(`${bytes.length - at} stray bytes at the end`)
      break
    }
    const magic = bytes.readUInt32BE(at)
    const id = bytes.readUInt16BE(at + 4)
    const seq = bytes.readUInt32BE(at + 8)
    const len = bytes.readUInt32BE(at + 12)
    if (magic !== 0x52454331 || id >= writers || len < 16 || len > PIPE_BUF || at + len > bytes.length) {
      errors.push(`no record header at byte ${at} (another writer's bytes inside a record?)`)
      break
    }
    if (seq !== next[id]) errors.push(`writer ${id}: record ${seq} where ${next[id]} was expected`)
    next[id] = seq + 1
    for (let i = 16; i < len; i++) {
      if (bytes[at + i] !== ((id * 31 + seq * 7 + i) & 0xff)) {
        errors.push(`writer ${id} record ${seq}: byte ${i} differs (interleaved)`)
        break
      }
    }
    at += len
    records++
  }
  for (let id = 0; id < writers; id++) if (errors.length === 0 && next[id] !== count) errors.push(`writer ${id}: ${next[id]} of ${count} records`)
  return { errors, records }
}

async function recordRun(t: Test, atomic: boolean, writers: number, count: number) {
  const dir = tmpDir(t)
  const fifo = mkfifo(dir)
  const reader = startReader(fifo, { maxChunk: 3000, pauseMs: 2, seed: 99 })
  // A write end held open here until every writer has exited: a writer that
  // starts late (a slow spawn on a busy machine) would otherwise find no
  // reader, the others having finished and the reader having seen EOF
  // (seen in CI: ERR_VECTORED_NO_READER after 10 s, 0 of 600 records).
  const hold = await openFifo(fifo)
  const children = Array.from({ length: writers }, (_, id) =>
    new Promise<number | null>((resolve) => {
      const child = cp.spawn(process.execPath, ['-e', RECORD_WRITER], {
        cwd: coreDir,
        env: { ...process.env, FIFO: fifo, WRITER: String(id), COUNT: String(count), ATOMIC: atomic ? '1' : '0' },
        stdio: ['ignore', 'inherit', 'inherit'],
      })
      child.once('close', resolve)
    }),
  )
  const codes = await Promise.all(children)
  fs.closeSync(hold)
  const { bytes, code } = await reader.result
  return { codes, readerCode: code, bytes }
}

t.test(`several writer processes, records of at most PIPE_BUF (${PIPE_BUF}) bytes: never interleaved`, async (t) => {
  const writers = 3
  const count = 600
  const { codes, readerCode, bytes } = await recordRun(t, true, writers, count)
  t.same(codes, new Array(writers).fill(0), 'every writer finished without error')
  t.equal(readerCode, 0, 'the reader saw EOF once every writer was gone')
  const { errors, records } = checkRecords(bytes, writers, count)
  t.same(errors, [], 'every record whole, each writer in order')
  t.equal(records, writers * count)
})

// The control: the same run with batches not bounded by PIPE_BUF. Kept out
// of the default run (it shows the failure the bound prevents, and whether
// it shows depends on timing): VECTORED_FIFO_CONTROL=1.
t.test('control: unbounded batches interleave', { skip: process.env.VECTORED_FIFO_CONTROL !== '1' && 'set VECTORED_FIFO_CONTROL=1 to run' }, async (t) => {
  const { bytes } = await recordRun(t, false, 3, 600)
  const { errors } = checkRecords(bytes, 3, 600)
  t.ok(errors.length > 0, `interleaving seen: ${errors[0]}`)
})

t.test('a blocking fd is refused with the fix named, and left as it was', async (t) => {
  const dir = tmpDir(t)
  const fifo = mkfifo(dir)
  // O_RDWR on a FIFO opens at once on Linux, blocking mode.
  const fd = fs.openSync(fifo, fs.constants.O_RDWR)
  t.teardown(() => { try { fs.closeSync(fd) } catch {} })
  t.equal(checkNonBlocking(fd).nonBlocking, false)
  t.throws(() => writerForFd(fd), {
    code: 'ERR_VECTORED_BLOCKING_FD',
    message: /blocking mode.*freeze the event loop.*O_NONBLOCK.*makeNonBlocking: true/s,
  })
  t.equal(checkNonBlocking(fd).nonBlocking, false, 'the refusal did not touch the fd')
  const writer = writerForFd(fd, { makeNonBlocking: true })
  t.equal(checkNonBlocking(fd).nonBlocking, true, 'made non-blocking on request')
  // The fd reads its own writes (O_RDWR): fill the pipe past 64 KiB; the loop must not block.
  const big = Buffer.alloc(256 * 1024, 0x62)
  let called = false
  writer.write([big], () => (called = true))
  await new Promise((r) => setTimeout(r, 50))
  t.equal(called, false, 'still waiting for room, and the event loop runs')
  t.ok(stats.eagainWaits > 0)
  const closed = new Promise((r) => writer.socket.once('close', r))
  writer.socket.destroy()
  await closed
  await new Promise((r) => setImmediate(r))
  t.equal(called, true, 'the pending write failed once the socket closed')
})

t.test('an inherited blocking unix socket (a child\'s fd 3)', async (t) => {
  // libuv hands the child its end of a socketpair in blocking mode.
  const script = `
    const { writerForFd } = require('@vectored/core')
    let refused = ''
    try { writerForFd(3) } catch (e) { refused = e.code }
    const w = writerForFd(3, { makeNonBlocking: true })
    const pieces = []
    for (let i = 0; i < 2000; i++) pieces.push(Buffer.from('piece ' + i + ';'))
    w.write([Buffer.from(refused + '|' + w.mode + '|' + w.atomicBytes + '|'), ...pieces], (err) => { if (err) throw err; w.socket.end() })
  `
  const child = cp.spawn(process.execPath, ['-e', script], { cwd: coreDir, stdio: ['ignore', 'inherit', 'inherit', 'pipe'] })
  const sock = child.stdio[3] as net.Socket
  const chunks: Buffer[] = []
  sock.on('data', (c: Buffer) => chunks.push(c))
  await new Promise((r) => sock.once('end', r))
  const code = await new Promise((r) => (child.exitCode !== null ? r(child.exitCode) : child.once('exit', r)))
  t.equal(code, 0)
  const text = Buffer.concat(chunks).toString()
  const expectedMode = native.available ? 'native' : 'portable'
  t.equal(text.slice(0, text.indexOf('piece')), `ERR_VECTORED_BLOCKING_FD|${expectedMode}|0|`, 'refused first; a socket gets no atomic bound')
  t.equal(text.slice(text.indexOf('piece')), Array.from({ length: 2000 }, (_, i) => `piece ${i};`).join(''), 'IOV_MAX-crossing vector arrived whole')
})

t.test('what is not a writable stream is refused', async (t) => {
  const dir = tmpDir(t)
  const file = path.join(dir, 'plain')
  fs.writeFileSync(file, 'x')
  const fileFd = fs.openSync(file, 'r+')
  t.teardown(() => fs.closeSync(fileFd))
  t.throws(() => writerForFd(fileFd), { code: 'ERR_VECTORED_NOT_A_STREAM', message: /regular file/ })
  const fifo = mkfifo(dir, 'ro')
  const ro = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK)
  t.teardown(() => fs.closeSync(ro))
  t.throws(() => writerForFd(ro), { code: 'ERR_VECTORED_NOT_WRITABLE' })
  const closed = fs.openSync(file, 'r')
  fs.closeSync(closed)
  t.throws(() => writerForFd(closed), { code: 'EBADF' })
  for (const bad of [-1, 1.5, NaN, '3', 2 ** 31]) t.throws(() => writerForFd(bad as number), { code: 'ERR_INVALID_ARG_TYPE' })
})

t.test('open: ENXIO without a reader; openFifo waits for one, or times out', async (t) => {
  const dir = tmpDir(t)
  const fifo = mkfifo(dir)
  t.throws(() => fs.openSync(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK), { code: 'ENXIO' })
  const started = Date.now()
  await t.rejects(openFifo(fifo, { timeout: 150 }), { code: 'ERR_VECTORED_NO_READER', message: /ENXIO/ })
  t.ok(Date.now() - started >= 140)
  // A reader that comes later: the loop keeps running meanwhile.
  let ticks = 0
  const ticker = setInterval(() => ticks++, 5)
  const pending = openFifo(fifo)
  await new Promise((r) => setTimeout(r, 100))
  const reader = startReader(fifo, { pauseMs: 0 })
  const fd = await pending
  clearInterval(ticker)
  t.ok(ticks >= 10, `the event loop ran while waiting (${ticks} ticks)`)
  t.equal(checkNonBlocking(fd).nonBlocking, true)
  const writer = writerForFd(fd)
  await new Promise<void>((resolve, reject) => writer.write([Buffer.from('hello '), Buffer.from('fifo')], (err) => (err ? reject(err) : resolve())))
  writer.socket.destroy()
  t.equal((await reader.result).bytes.toString(), 'hello fifo')
  await t.rejects(openFifo(path.join(dir, 'missing')), { code: 'ENOENT' })
})

t.test('without the addon: O_NONBLOCK read from /proc, same refusal, same bytes', async (t) => {
  const dir = tmpDir(t)
  const fifo = mkfifo(dir)
  const reader = startReader(fifo, { maxChunk: 700, pauseMs: 1 })
  const script = `
    const fs = require('fs')
    const { writerForFd, checkNonBlocking } = require('@vectored/core')
    const fd = fs.openSync(process.env.FIFO, 'w') // blocking open: the reader is there
    const out = { check: checkNonBlocking(fd) }
    try { writerForFd(fd) } catch (e) { out.refused = e.code }
    const w = writerForFd(fd, { makeNonBlocking: true })
    out.mode = w.mode
    const data = Buffer.alloc(512 * 1024)
    for (let i = 0; i < data.length; i++) data[i] = i % 251
    w.write([data.subarray(0, 1000), data.subarray(1000)], (err) => { out.err = err && err.code; w.socket.destroy(); console.log(JSON.stringify(out)) })
  `
  const child = await runChild(script, { FIFO: fifo, VECTORED_NATIVE: '0', NODE_NO_WARNINGS: '1' })
  t.equal(child.status, 0, child.stderr)
  const out = JSON.parse(child.stdout)
  t.same(out, { check: { nonBlocking: false, by: 'procfs' }, refused: 'ERR_VECTORED_BLOCKING_FD', mode: 'portable', err: null })
  const { bytes } = await reader.result
  t.equal(bytes.length, 512 * 1024)
  t.ok(bytes.every((b, i) => b === i % 251), 'byte-exact')
})
