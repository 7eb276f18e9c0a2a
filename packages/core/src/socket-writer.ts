import { EventEmitter } from 'node:events'
import type { Socket } from 'node:net'
import { constants } from 'node:os'
import { isUint8Array } from 'node:util/types'
import type { WaitHandle } from '@vectored/native'
import { writerUnrefTimerMissing } from './node-internals'
import { backend as fdBackend, backendReason, type Backend } from './backends'
import { advance } from './response-vector'
import { countStreamWrite, stats } from './stats'

/** Runs once: when the last byte is in the kernel, or with the error that stopped the write. */
export type WriteCallback = (err: Error | null) => void

/** How a writer reaches the socket. */
export type WriterMode = 'native' | 'portable' | 'stock'

export interface WriterOptions {
  /** Pending bytes at which write() returns false and needDrain turns true. Default 64 KiB. */
  highWaterMark?: number
  /** Force a mode (tests, or to opt out); default: the best the socket allows. */
  mode?: WriterMode
  /**
   * Pipes and FIFOs (PIPE_BUF): a write() of at most this many bytes reaches
   * the fd in one system call that takes all of it or nothing, so writers
   * sharing the pipe never interleave inside it. Batches then stay within
   * this size and larger vectors go alone. Default 0: no limit.
   */
  atomicBytes?: number
}

interface FileRegion {
  fd: number
  offset: number
  remaining: number
}

/** One write(): its pieces from `start` on are unwritten; `bytes` counts them. */
interface Entry {
  pieces: Uint8Array[]
  start: number
  bytes: number
  file: FileRegion | null
  done: WriteCallback | undefined
}

/** The parts of Node's stream handle the writer reads (TCPWrap, PipeWrap). */
interface StreamHandle {
  fd?: number
  writeQueueSize?: number
}

type NodeSocket = Socket & {
  _handle: StreamHandle | null
  _unrefTimer?: () => void
  encrypted?: boolean
  [kWriter]?: SocketWriter
}

const kWriter = Symbol('vectored.SocketWriter')
const EAGAIN = -constants.errno.EAGAIN
const EMPTY = new Uint8Array(0)
// Stands in for a wait while an empty socket.write marks the end of Node's queue.
const BARRIER: WaitHandle = { cancel() {}, pending: true }

function errnoError(negErrno: number, syscall: string): NodeJS.ErrnoException {
  const code = errnoName(-negErrno)
  const err = new Error(`${syscall} failed: ${code}`) as NodeJS.ErrnoException
  err.code = code
  err.errno = negErrno
  err.syscall = syscall
  return err
}

function errnoName(errno: number): string {
  const names = constants.errno as Record<string, number>
  for (const name in names) if (names[name] === errno) return name
  return `errno ${errno}`
}

function invalidArg(name: string, expected: string, value: unknown): TypeError {
  const got = value === null ? 'null' : typeof value === 'object' ? `an instance of ${value.constructor?.name ?? 'Object'}` : typeof value
  const err = new TypeError(`The "${name}" argument must be ${expected}. Received ${got}`) as TypeError & { code: string }
  err.code = 'ERR_INVALID_ARG_TYPE'
  return err
}

/**
 * Bytes in `pieces`. Checked at the call: a bad piece found later, inside the
 * nextTick flush, would throw out of the event loop (uncaught) and leave the
 * writer stuck. Uint8Array only, as socket.write (the stock mode) accepts.
 */
function vectorBytes(pieces: Uint8Array[], name: string): number {
  if (!Array.isArray(pieces)) throw invalidArg(name, 'an array of Uint8Array', pieces)
  let bytes = 0
  for (let i = 0; i < pieces.length; i++) {
    const piece = pieces[i]
    if (!isUint8Array(piece)) throw invalidArg(`${name}[${i}]`, 'a Buffer or Uint8Array', piece)
    bytes += piece.byteLength
  }
  return bytes
}

function rethrow(err: unknown): never {
  throw err
}

function checkIndex(name: string, value: number, max: number): void {
  if (!Number.isSafeInteger(value) || value < 0 || value > max) {
    throw invalidArg(name, `an integer in 0..${max}`, value)
  }
}

// What a writer's error is from its socket's 'close' until a write asks for
// it: most connections close with nothing queued, and an Error's stack costs
// more than the rest of a connection's close (docs/core.md).
const CLOSED = new Error('closed') as NodeJS.ErrnoException

function closedError(): NodeJS.ErrnoException {
  const err = new Error('the socket closed before the response was written') as NodeJS.ErrnoException
  err.code = 'ERR_STREAM_DESTROYED'
  return err
}

// VECTORED_MODE forces a mode for every writer of the process (stock or
// portable); read once: process.env is a call into C++ on every read, and a
// writer is made per connection.
const envMode = process.env.VECTORED_MODE as WriterMode | undefined

/** A writer's nextTick flush, without a closure per writer. */
function flushWriter(writer: SocketWriter): void {
  writer.flush()
}

let warnedPortable = false
function warnPortableOnce(): void {
  if (warnedPortable) return
  warnedPortable = true
  process.emitWarning(backendReason, { code: 'VECTORED_PORTABLE_BACKEND' })
}

/** Which mode a socket allows, and why (the reason is empty for the best one). */
export function chooseMode(socket: Socket): { mode: WriterMode; reason: string } {
  const s = socket as NodeSocket
  if (s.encrypted === true) return { mode: 'stock', reason: 'TLS: the fd carries ciphertext' }
  if (writerUnrefTimerMissing !== '') return { mode: 'stock', reason: writerUnrefTimerMissing }
  const handle = s._handle
  if (handle == null) return { mode: 'stock', reason: 'the socket has no handle' }
  const kind = (handle as { constructor?: { name?: string } }).constructor?.name
  if (kind !== 'TCP' && kind !== 'Pipe') return { mode: 'stock', reason: `the handle is ${kind}, not plain TCP or a pipe` }
  if (typeof handle.fd !== 'number' || handle.fd < 0) return { mode: 'stock', reason: 'the handle has no fd here' }
  // Read before every direct write (Node's own bytes go first): without it, order could not hold.
  if (typeof handle.writeQueueSize !== 'number') return { mode: 'stock', reason: `the ${kind} handle has no writeQueueSize here` }
  return { mode: fdBackend.name, reason: backendReason }
}

/**
 * The per-connection writer: queues vectors in call order, writes them on the
 * socket's fd with one writev per batch, resumes at the exact byte after a
 * short write, waits for writability on EAGAIN, and applies backpressure.
 * Anything it cannot write directly (Node has bytes queued, TLS, no fd) goes
 * through socket.write in the same order.
 */
export class SocketWriter extends EventEmitter {
  /** The writer of `socket`, made on first use. */
  static of(socket: Socket, options?: WriterOptions): SocketWriter {
    const s = socket as NodeSocket
    return s[kWriter] ?? (s[kWriter] = new SocketWriter(socket, options))
  }

  readonly socket: Socket
  readonly mode: WriterMode
  /** Why the mode is not native; empty when it is. */
  readonly reason: string
  highWaterMark: number
  /** See WriterOptions.atomicBytes; 0 when batches are not bounded. */
  readonly atomicBytes: number

  /** The socket's 'close' (`this` the socket): the writer fails what it still holds. */
  private static onSocketClose(this: NodeSocket): void {
    this[kWriter]?.fail(CLOSED)
  }

  /**
   * The socket's end(), put in place by the writer (`this` the socket): while
   * the writer holds bytes, the end waits until they are in the kernel, its
   * arguments kept, so that a FIN never overtakes them.
   */
  private static deferredEnd(this: NodeSocket, ...args: unknown[]): Socket {
    const writer = this[kWriter]!
    if (writer.queue.length === 0 || writer.error !== null) return writer.socketEnd.apply(this, args as never) as Socket
    writer.endArgs = args
    return this
  }

  /** Writers with bytes from writeBatched, flushed in one setImmediate. */
  private static readonly batch: SocketWriter[] = []

  /**
   * Flushes the batch: every writer's writev first, back to back, then every
   * writer's callbacks, in order. A writer a callback adds to the batch
   * while it runs is flushed in this pass too.
   */
  private static flushBatch(this: void): void {
    const batch = SocketWriter.batch
    let from = 0
    while (from < batch.length) {
      const to = batch.length
      const written: (Entry[] | null)[] = []
      for (let i = from; i < to; i++) {
        const writer = batch[i]!
        writer.inBatch = false
        let finished: Entry[] | null = null
        try {
          if (writer.queue.length > 0 && writer.wait === null) finished = writer.writeQueue()
        } catch (err) {
          process.nextTick(rethrow, err)
        }
        written.push(finished)
      }
      for (let i = from; i < to; i++) {
        const finished = written[i - from]!
        if (finished === null) continue
        try {
          batch[i]!.afterWrites(finished)
        } catch (err) {
          // A callback threw: an uncaught exception, as from write()'s tick, once the rest are called.
          process.nextTick(rethrow, err)
        }
      }
      from = to
    }
    batch.length = 0
  }

  private readonly backend: Backend
  private queue: Entry[] = []
  private pending = 0
  private scheduled = false
  private inBatch = false
  private wait: WaitHandle | null = null
  private error: Error | null = null
  private wantDrain = false
  private moved = false
  private endArgs: unknown[] | null = null
  /** The socket's own end(), which deferredEnd calls when nothing is held. */
  private readonly socketEnd: Socket['end']
  private socketDrainHooked = false
  private fdHandle: StreamHandle | null = null
  private fd = -1
  // Made on first use (most connections never wait): not one closure each per connection.
  private onSocketDrain: (() => void) | null = null
  private onWritable: ((err: Error | null) => void) | null = null

  private constructor(socket: Socket, options?: WriterOptions) {
    super()
    this.socket = socket
    this.highWaterMark = options?.highWaterMark ?? 64 * 1024
    this.atomicBytes = options?.atomicBytes ?? 0
    const chosen = chooseMode(socket)
    const forced = options?.mode ?? envMode
    if (forced === 'stock' || (forced === 'portable' && chosen.mode !== 'stock')) {
      this.mode = forced
      this.reason = `mode ${forced} requested`
    } else {
      this.mode = chosen.mode
      this.reason = chosen.reason
    }
    this.backend = this.mode === 'portable' ? require('./backends/portable').portableBackend : fdBackend
    if (this.mode === 'portable' && forced === undefined) warnPortableOnce()
    socket.on('close', SocketWriter.onSocketClose)
    this.socketEnd = socket.end
    socket.end = SocketWriter.deferredEnd as typeof socket.end
  }

  /** Bytes handed to write()/sendFile() and not yet in the kernel or Node's queue. */
  get pendingBytes(): number {
    return this.pending
  }

  /** True when the caller should wait for 'drain' before writing more. */
  get needDrain(): boolean {
    return this.pending >= this.highWaterMark || this.socket.writableNeedDrain
  }

  /** False once the socket closed or a write failed. */
  get writable(): boolean {
    return this.error === null && !this.socket.destroyed && !this.socket.writableEnded
  }

  /** Whether sendFile() works on this writer. */
  get canSendFile(): boolean {
    return this.mode === 'native' && this.backend.sendfile !== null
  }

  /**
   * Queues `pieces` (taking ownership of the array: the cursor advances in it)
   * and writes them in this tick's batch. Returns false when the caller should
   * wait for 'drain'.
   */
  write(pieces: Uint8Array[], done?: WriteCallback): boolean {
    const bytes = vectorBytes(pieces, 'pieces')
    return this.enqueue({ pieces, start: 0, bytes, file: null, done })
  }

  /**
   * Queues `head` (any pieces) followed by `length` bytes of the file `fd`
   * from `offset`, sent with sendfile. Only when canSendFile; the caller
   * keeps `fd` open until `done`.
   */
  sendFile(head: Uint8Array[], fd: number, offset: number, length: number, done?: WriteCallback): boolean {
    if (!this.canSendFile) throw new Error(`sendFile needs the native mode with sendfile; this writer is ${this.mode}`)
    const bytes = vectorBytes(head, 'head')
    checkIndex('fd', fd, 0x7fffffff)
    checkIndex('offset', offset, Number.MAX_SAFE_INTEGER)
    checkIndex('length', length, Number.MAX_SAFE_INTEGER)
    return this.enqueue({ pieces: head, start: 0, bytes, file: { fd, offset, remaining: length }, done })
  }

  /**
   * write(), flushed after the event loop's poll phase instead of at the end
   * of the tick: the writers that took bytes this way while libuv delivered
   * one poll's reads (one request each, say) all flush together in one
   * setImmediate, one writev per connection, back to back. Fewer wakeups
   * of the peers, and of this process, per response (docs/core.md,
   * "Batched writes"). Order on the connection holds as with write(): the
   * bytes join the same queue, and a write() after them flushes them too.
   */
  writeBatched(pieces: Uint8Array[], done?: WriteCallback): boolean {
    const bytes = vectorBytes(pieces, 'pieces')
    return this.enqueue({ pieces, start: 0, bytes, file: null, done }, true)
  }

  private enqueue(entry: Entry, batched = false): boolean {
    if (this.error !== null) {
      if (entry.done) process.nextTick(entry.done, this.failure())
      return false
    }
    this.queue.push(entry)
    this.pending += entry.bytes + (entry.file?.remaining ?? 0)
    if (!this.scheduled && this.wait === null) {
      if (!batched) {
        this.scheduled = true
        process.nextTick(flushWriter, this)
      } else if (!this.inBatch) {
        this.inBatch = true
        if (SocketWriter.batch.length === 0) setImmediate(SocketWriter.flushBatch)
        SocketWriter.batch.push(this)
      }
    }
    if (this.needDrain) {
      this.wantDrain = true
      return false
    }
    return true
  }

  /**
   * The fd of the socket's handle, read once per handle (a C++ getter): a
   * handle keeps its fd until it closes, and a closed socket has no handle.
   */
  private fdOf(handle: StreamHandle): number {
    if (handle !== this.fdHandle) {
      this.fdHandle = handle
      this.fd = handle.fd!
    }
    return this.fd
  }

  /** Emits 'drain' once a caller was told to wait and both queues are below their marks. */
  private checkDrain(): void {
    if (!this.wantDrain || this.error !== null || this.pending >= this.highWaterMark) return
    if (this.socket.writableNeedDrain) {
      if (!this.socketDrainHooked) {
        this.socketDrainHooked = true
        this.socket.once('drain', this.onSocketDrain ??= () => {
          this.socketDrainHooked = false
          this.checkDrain()
        })
      }
      return
    }
    this.wantDrain = false
    this.emit('drain')
  }

  /**
   * socket.end() would shut the write side down under bytes this writer
   * still holds (Node's http server ends the socket when the client
   * half-closes; Node itself would send its queue first): so while anything
   * is pending here, the end waits for it.
   */
  /**
   * Writes what the queue holds now, in this tick, until it is empty, the
   * socket is full, or an error (normally the writer flushes on its own at
   * the end of the tick; call this before writing to the socket by other
   * means, so that order holds).
   */
  flush(): void {
    this.afterWrites(this.writeQueue())
  }

  /** flush()'s system calls: returns the entries now wholly written, whose callbacks are due. */
  private writeQueue(): Entry[] {
    this.scheduled = false
    const finished: Entry[] = []
    const socket = this.socket as NodeSocket
    const queue = this.queue
    while (queue.length > 0 && this.wait === null && this.error === null) {
      const handle = socket._handle
      if (socket.destroyed || socket.writableEnded || (handle == null && this.mode !== 'stock')) {
        this.fail(CLOSED)
        break
      }
      if (
        this.mode === 'stock' ||
        socket.writableLength !== 0 ||
        handle!.writeQueueSize !== 0 ||
        socket.writableCorked !== 0
      ) {
        if (!this.handToSocket()) break
        continue
      }
      const fd = this.fdOf(handle!)
      const first = queue[0]!
      if (first.bytes === 0 && first.file !== null) {
        if (!this.sendFileStep(fd, first, finished)) break
        continue
      }
      if (!this.writevStep(fd, finished)) break
    }
    this.touchTimer()
    return finished
  }

  /** flush()'s callbacks, then a deferred socket.end() and 'drain' when due. */
  private afterWrites(finished: Entry[]): void {
    try {
      if (finished.length > 0) this.complete(finished, null)
    } finally {
      // After the callbacks: what they wrote in turn goes out before the end.
      if (this.endArgs !== null && this.queue.length === 0 && this.error === null) {
        const args = this.endArgs
        this.endArgs = null
        this.socketEnd.apply(this.socket, args as never)
      }
      this.checkDrain()
    }
  }

  /** One writev of the batch at the front of the queue. Returns false to stop flushing. */
  private writevStep(fd: number, finished: Entry[]): boolean {
    const queue = this.queue
    const iovMax = this.backend.iovMax
    const first = queue[0]!
    let pieces = first.pieces
    let start = first.start
    let count = pieces.length - start
    let batchBytes = first.bytes
    let entries = 1
    const atomic = this.atomicBytes
    if (atomic > 0 && first.file === null && first.bytes <= atomic && count > iovMax) {
      // An atomic vector of more than IOV_MAX pieces would be cut in two writes.
      first.pieces = [Buffer.concat(pieces.slice(start))]
      first.start = start = 0
      pieces = first.pieces
      count = 1
    }
    if (atomic > 0) {
      // Batch only vectors that fit, whole, in one atomic write with the ones before.
      let fit = 1
      if (first.file === null && first.bytes <= atomic) {
        let sum = first.bytes
        let n = count
        for (; fit < queue.length; fit++) {
          const next = queue[fit]!
          if (next.file !== null || sum + next.bytes > atomic || n + next.pieces.length - next.start > iovMax) break
          sum += next.bytes
          n += next.pieces.length - next.start
        }
      }
      if (fit > 1) {
        pieces = pieces.slice(start)
        start = 0
        for (; entries < fit; entries++) {
          const next = queue[entries]!
          for (let i = next.start; i < next.pieces.length; i++) pieces.push(next.pieces[i]!)
          batchBytes += next.bytes
        }
        count = pieces.length
      } else if (count > iovMax) {
        count = iovMax
        batchBytes = -1
      }
    } else if (queue.length > 1 && first.file === null && count < iovMax) {
      // Several vectors queued in one tick (pipelined responses): one writev.
      pieces = pieces.slice(start)
      start = 0
      for (; entries < queue.length && pieces.length < iovMax; entries++) {
        const next = queue[entries]!
        for (let i = next.start; i < next.pieces.length && pieces.length < iovMax; i++) pieces.push(next.pieces[i]!)
        batchBytes += next.bytes
        if (next.file !== null) {
          entries++
          break
        }
      }
      count = pieces.length
      if (count === iovMax) batchBytes = -1 // some entry was cut; the sum no longer describes the batch
    } else if (count > iovMax) {
      count = iovMax
      batchBytes = -1
    }
    const n = count === 0 ? 0 : this.backend.writev(fd, pieces, start, count)
    if (n < 0) return this.writevFailed(fd, n, finished)
    this.wrote(n, finished)
    if (batchBytes === -1) {
      // Cut at IOV_MAX: a full write means go on; a short one means full.
      let offered = 0
      for (let i = start; i < start + count; i++) offered += pieces[i]!.byteLength
      batchBytes = offered
    }
    if (n < batchBytes) {
      stats.shortWrites++
      return this.waitWritable(fd, finished)
    }
    return true
  }

  /** A writev of the queue's front returned -errno: EAGAIN waits for writability, anything else fails the writer. Returns whether flushing goes on. */
  private writevFailed(fd: number, n: number, finished: Entry[]): boolean {
    if (n === EAGAIN) return this.waitWritable(fd, finished)
    this.fail(errnoError(n, 'writev'))
    return false
  }

  /** A writev of the queue's front took `n` bytes: counted, and the cursor moved over them. */
  private wrote(n: number, finished: Entry[]): void {
    if (n > 0) {
      stats.directWrites++
      stats.bytes += n
      this.moved = true
    }
    this.consume(n, finished)
  }

  /**
   * Bytes moved: the connection is not idle (stock Node's _onTimeout re-arms
   * the timer while libuv's write queue moves; the writer's is not libuv's).
   */
  private touchTimer(): void {
    if (this.moved) {
      this.moved = false
      if (!this.error) (this.socket as NodeSocket)._unrefTimer?.()
    }
  }

  /** Moves the cursor n bytes over the queue's vector parts, front first. */
  private consume(n: number, finished: Entry[]): void {
    const queue = this.queue
    this.pending -= n
    let done = 0
    while (done < queue.length) {
      const entry = queue[done]!
      if (entry.bytes > n) {
        entry.start = advance(entry.pieces, entry.start, n)
        entry.bytes -= n
        break
      }
      n -= entry.bytes
      entry.bytes = 0
      entry.start = entry.pieces.length
      if (entry.file !== null && entry.file.remaining > 0) break
      done++
    }
    if (done > 0) {
      if (done > 1) stats.batchedResponses += done - 1
      for (let i = 0; i < done; i++) finished.push(queue[i]!)
      if (done === queue.length) queue.length = 0 // the usual case: no splice
      else queue.splice(0, done)
    }
  }

  private sendFileStep(fd: number, entry: Entry, finished: Entry[]): boolean {
    const file = entry.file!
    const n = this.backend.sendfile!(fd, file.fd, file.offset, file.remaining)
    if (n > 0) {
      this.moved = true
      stats.sendfileBytes += n
      file.offset += n
      file.remaining -= n
      this.pending -= n
      if (file.remaining === 0) finished.push(this.queue.shift()!)
      return true
    }
    if (n === EAGAIN) return this.waitWritable(fd, finished)
    const err =
      n === 0
        ? Object.assign(new Error(`the file ended ${file.remaining} bytes before the length given to sendFile`), {
            code: 'ERR_VECTORED_FILE_TRUNCATED',
          })
        : errnoError(n, 'sendfile')
    this.fail(err)
    return false
  }

  /** Socket full: wait for writability, or hand the rest to socket.write when this backend cannot wait. */
  private waitWritable(fd: number, finished: Entry[]): boolean {
    stats.eagainWaits++
    if (this.backend.waitWritable === null) return this.handToSocket()
    try {
      this.wait = this.backend.waitWritable(fd, this.onWritable ??= (err: Error | null) => {
        this.wait = null
        if (err !== null) this.fail(err)
        else this.flush()
      })
    } catch (err) {
      this.fail(err as Error)
    }
    return false
  }

  /**
   * Hands the front entry to socket.write: for the stock mode, and whenever
   * Node has bytes of its own queued (order holds: they go in behind them).
   */
  private handToSocket(): boolean {
    const socket = this.socket
    const entry = this.queue[0]!
    if (entry.file !== null) {
      // sendfile must wait until Node's own queue is out: an empty write's
      // callback runs when everything before it is flushed.
      if (entry.bytes === 0) {
        this.wait = BARRIER
        socket.write(EMPTY, (err) => {
          this.wait = null
          if (err) this.fail(err)
          else this.flush()
        })
        return false
      }
    }
    countStreamWrite(this.mode === 'stock' ? this.reason || 'stock' : 'node has bytes queued')
    this.queue.shift()
    const done = entry.done
    // Node calls a write's callback with null when the socket was destroyed
    // before the bytes went out: that is a failure here.
    const after = done && ((err?: Error | null) => done(err ?? (socket.destroyed ? closedError() : null)))
    const last = entry.file !== null ? -1 : entry.pieces.length - 1
    socket.cork()
    for (let i = entry.start; i < entry.pieces.length; i++) {
      const piece = entry.pieces[i]!
      if (i === last) socket.write(piece, after)
      else if (piece.byteLength > 0) socket.write(piece)
    }
    if (last < entry.start && entry.file === null) socket.write(EMPTY, after)
    socket.uncork()
    this.pending -= entry.bytes
    if (entry.file !== null) {
      // The head went to Node's queue; the file follows once it is out.
      entry.pieces = []
      entry.start = 0
      entry.bytes = 0
      this.queue.unshift(entry)
    }
    return true
  }

  /** Runs the callbacks of finished entries, each once, all of them even if one throws. */
  private complete(entries: Entry[], err: Error | null): void {
    let thrown: unknown = null
    for (const entry of entries) {
      const done = entry.done
      if (done === undefined) continue
      try {
        done(err)
      } catch (e) {
        thrown ??= e
      }
    }
    if (thrown !== null) throw thrown
  }

  /** Stops the writer for good: every pending callback gets `err`, the socket is destroyed once. */
  private fail(err: Error): void {
    if (this.error !== null) return
    this.error = err
    if (this.wait !== null) {
      // Cancel only: the wait never touches the socket fd, so this is safe after close.
      this.wait.cancel()
      this.wait = null
    }
    const entries = this.queue
    this.queue = []
    this.pending = 0
    // No error argument: a socket without an 'error' listener must not throw.
    if (!this.socket.destroyed) this.socket.destroy()
    if (entries.length > 0) {
      const failure = this.failure()
      process.nextTick(() => this.complete(entries, failure))
    }
  }

  /** The error writes get: the socket's close is made an Error when first asked. */
  private failure(): Error {
    if (this.error === CLOSED) this.error = closedError()
    return this.error!
  }
}
