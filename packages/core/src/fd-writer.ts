/**
 * A SocketWriter for a stream fd the caller already has: a TCP or unix
 * socket, a pipe, a FIFO. See docs/unix.md.
 *
 * The fd is wrapped in a write-only net.Socket, so the writer gets a TCP or
 * Pipe handle and every guarantee it has on an HTTP connection (byte-exact
 * resumption after short writes, waits on EAGAIN, backpressure, one error
 * and no crash on EPIPE). The wrap itself changes the fd: libuv's
 * uv_pipe_open and uv_tcp_open set O_NONBLOCK on it (src/unix/pipe.c:
 * `err = uv__nonblock(fd, 1);`), and O_NONBLOCK belongs to the open file
 * description, which other holders may share (an inherited stdout, a dup, a
 * parent process). So a blocking fd is refused here, before the wrap, unless
 * the caller asks for it to be made non-blocking.
 */
import * as fs from 'node:fs'
import * as net from 'node:net'
import { constants as osConstants } from 'node:os'
import * as native from '@vectored/native'
import { SocketWriter, type WriterMode } from './socket-writer'

export interface FdWriterOptions {
  /**
   * Set O_NONBLOCK on a blocking fd instead of refusing it. Every holder of
   * the same open file description sees the change. Default false.
   */
  makeNonBlocking?: boolean
  /** Pending bytes at which write() returns false (SocketWriter). Default 64 KiB. */
  highWaterMark?: number
  /** Force a writer mode (tests). */
  mode?: WriterMode
  /**
   * For a pipe or FIFO: vectors of at most this many bytes are written
   * atomically (never interleaved with other writers). Default PIPE_BUF
   * (4096 on Linux) for pipes and FIFOs, 0 (none) for sockets.
   */
  atomicBytes?: number
}

/** POSIX PIPE_BUF: 4096 on Linux, 512 is all POSIX promises elsewhere. */
export const PIPE_BUF = process.platform === 'linux' ? 4096 : 512

/** How O_NONBLOCK of an fd was found, for writerForFd's messages and tests. */
export type NonBlockingCheck = { nonBlocking: boolean; by: 'addon' | 'procfs' } | { nonBlocking: null; by: 'none'; why: string }

const O_ACCMODE = 3
const O_RDONLY = 0
// Octal 04000 on Linux (the flags line of /proc/self/fdinfo is octal).
const O_NONBLOCK = fs.constants.O_NONBLOCK

function codedError(code: string, message: string, errno?: number): NodeJS.ErrnoException {
  const err = new Error(message) as NodeJS.ErrnoException
  err.code = code
  if (errno !== undefined) err.errno = errno
  return err
}

function errnoName(negErrno: number): string {
  const names = osConstants.errno as Record<string, number>
  for (const name in names) if (names[name] === -negErrno) return name
  return `errno ${-negErrno}`
}

/** The fd's status flags from /proc/self/fdinfo (Linux), or null where there is none. */
function procFlags(fd: number): number | null {
  try {
    const text = fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'latin1')
    const m = /^flags:\s*([0-7]+)$/m.exec(text)
    return m ? parseInt(m[1]!, 8) : null
  } catch {
    return null
  }
}

/**
 * Whether `fd` has O_NONBLOCK: with the addon (fcntl), else on Linux from
 * /proc/self/fdinfo, else unknown (`nonBlocking: null`, and why).
 */
export function checkNonBlocking(fd: number): NonBlockingCheck {
  if (native.available) {
    const r = native.isNonBlocking(fd)
    if (r < 0) throw codedError(errnoName(r), `fcntl(F_GETFL) on fd ${fd} failed: ${errnoName(r)}`, r)
    return { nonBlocking: r === 1, by: 'addon' }
  }
  const flags = procFlags(fd)
  if (flags !== null) return { nonBlocking: (flags & O_NONBLOCK) !== 0, by: 'procfs' }
  return {
    nonBlocking: null,
    by: 'none',
    why: `the native addon is not available (${native.reason}) and there is no /proc/self/fdinfo here`,
  }
}

let warnedUnchecked = false

function ignoreSocketError(): void {}

/**
 * A SocketWriter writing on `fd`, which must be a stream socket (TCP, unix),
 * a pipe or a FIFO open for writing. The returned writer's `socket` owns the
 * fd from now on: `writer.socket.end()` or `.destroy()` closes it.
 *
 * Throws, before touching the fd:
 * - `ERR_VECTORED_BLOCKING_FD` when the fd blocks (a write to a full pipe
 *   would freeze the event loop) and `makeNonBlocking` is not set;
 * - `ERR_VECTORED_NOT_A_STREAM` for a regular file, directory, tty or device;
 * - `ERR_VECTORED_NOT_WRITABLE` for an fd opened read-only (where visible);
 * - the fstat error (EBADF...) for a closed fd.
 *
 * Without the addon, O_NONBLOCK is read from /proc/self/fdinfo (Linux); where
 * neither exists it cannot be checked: the writer is made anyway (the wrap
 * makes the fd non-blocking, so the loop never blocks) and a process warning
 * (VECTORED_NONBLOCK_UNCHECKED) says so once.
 */
export function writerForFd(fd: number, options: FdWriterOptions = {}): SocketWriter {
  if (!Number.isSafeInteger(fd) || fd < 0 || fd > 0x7fffffff) {
    const err = new TypeError(`The "fd" argument must be an integer in 0..2147483647. Received ${String(fd)}`) as TypeError & { code: string }
    err.code = 'ERR_INVALID_ARG_TYPE'
    throw err
  }
  const st = fs.fstatSync(fd)
  const pipe = st.isFIFO()
  if (!pipe && !st.isSocket()) {
    const kind = st.isFile() ? 'a regular file' : st.isDirectory() ? 'a directory' : st.isCharacterDevice() ? 'a character device (tty?)' : 'not a stream'
    throw codedError(
      'ERR_VECTORED_NOT_A_STREAM',
      `fd ${fd} is ${kind}: writerForFd writes to sockets, pipes and FIFOs only (files: fs.writev; ttys: process.stdout)`,
    )
  }
  const flags = procFlags(fd)
  if (flags !== null && (flags & O_ACCMODE) === O_RDONLY) {
    throw codedError('ERR_VECTORED_NOT_WRITABLE', `fd ${fd} is open read-only; open it with O_WRONLY (or O_RDWR) to write`)
  }
  const check = checkNonBlocking(fd)
  if (check.nonBlocking === false) {
    if (options.makeNonBlocking !== true) {
      throw codedError(
        'ERR_VECTORED_BLOCKING_FD',
        `fd ${fd} is in blocking mode: a write to it when full would freeze the event loop. ` +
          `Open it with O_NONBLOCK (fs.openSync(path, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK)), ` +
          `or pass { makeNonBlocking: true } to set O_NONBLOCK on it (every process sharing this open file sees the change)`,
      )
    }
    if (native.available) {
      const r = native.setNonBlocking(fd)
      if (r < 0) throw codedError(errnoName(r), `fcntl(F_SETFL, O_NONBLOCK) on fd ${fd} failed: ${errnoName(r)}`, r)
    }
    // Without the addon the wrap below sets it (uv__nonblock).
  } else if (check.nonBlocking === null && options.makeNonBlocking !== true && !warnedUnchecked) {
    warnedUnchecked = true
    process.emitWarning(
      `writerForFd cannot check O_NONBLOCK on fd ${fd}: ${check.why}. Wrapping it makes it non-blocking, ` +
        `which every process sharing this open file sees; pass { makeNonBlocking: true } to accept that`,
      { code: 'VECTORED_NONBLOCK_UNCHECKED' },
    )
  }
  const socket = new net.Socket({ fd, readable: false, writable: true })
  // Where bytes go through socket.write (the stock mode, the portable
  // remainder) Node reports EPIPE as an 'error' event as well as to the
  // write's callback: the callback reaches `done`, and the event must not
  // throw out of the event loop from a socket nobody else listens on.
  socket.on('error', ignoreSocketError)
  return SocketWriter.of(socket, {
    highWaterMark: options.highWaterMark,
    mode: options.mode,
    atomicBytes: options.atomicBytes ?? (pipe ? PIPE_BUF : 0),
  })
}

export interface OpenFifoOptions {
  /** Give up after this many ms without a reader. Default 10 s. */
  timeout?: number
  /** How often to try again while there is no reader. Default 10 ms. */
  interval?: number
}

/**
 * Opens a FIFO for writing without ever blocking the event loop. A plain
 * open(O_WRONLY) blocks the whole thread until a reader opens the FIFO, and
 * open(O_WRONLY | O_NONBLOCK) fails with ENXIO while there is none; this
 * tries the latter until a reader comes or `timeout` passes (then the error
 * has code ERR_VECTORED_NO_READER). Resolves with a non-blocking fd, ready
 * for writerForFd.
 */
export function openFifo(path: string, options: OpenFifoOptions = {}): Promise<number> {
  const timeout = options.timeout ?? 10_000
  const interval = options.interval ?? 10
  const deadline = Date.now() + timeout
  const flags = fs.constants.O_WRONLY | fs.constants.O_NONBLOCK
  return new Promise((resolve, reject) => {
    const attempt = () => {
      fs.open(path, flags, (err, fd) => {
        if (err === null) {
          const st = fs.fstatSync(fd)
          if (!st.isFIFO()) {
            fs.closeSync(fd)
            reject(codedError('ERR_VECTORED_NOT_A_STREAM', `${path} is not a FIFO`))
          } else resolve(fd)
          return
        }
        if (err.code !== 'ENXIO') return reject(err)
        if (Date.now() >= deadline) {
          return reject(codedError('ERR_VECTORED_NO_READER', `no reader opened the FIFO ${path} within ${timeout} ms (open: ENXIO)`))
        }
        setTimeout(attempt, interval)
      })
    }
    attempt()
  })
}
