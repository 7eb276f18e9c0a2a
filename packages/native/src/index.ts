/**
 * @vectored/native: the system calls vectored needs, from a node-addon-api
 * addon built at install time. When the addon is missing or fails to load,
 * importing still works: `available` is false, `reason` says why, and the
 * calls throw an error with code ERR_VECTORED_NATIVE_UNAVAILABLE.
 */
import * as path from 'node:path'

/** The bytes one buffer argument may be. */
export type Bytes = NodeJS.ArrayBufferView

/** A pending waitWritable; cancel() is safe at any time and stops the callback. */
export interface WaitHandle {
  cancel(): void
  readonly pending: boolean
}

interface Binding {
  writev(fd: number, buffers: readonly Bytes[]): number
  writevArgs(fd: number, ...buffers: Bytes[]): number
  sendfile(socketFd: number, fileFd: number, offset: number, length: number): number
  waitWritable(fd: number, callback: (err: Error | null) => void): WaitHandle
  setSocketBuffers(fd: number, sendBytes: number, receiveBytes: number): number
  setMaxSegment(fd: number, bytes: number): number
  isNonBlocking(fd: number): number
  setNonBlocking(fd: number): number
  hasSendfile: boolean
  hasWaitWritable: boolean
  iovMax: number
}

function load(): { binding: Binding | null; reason: string } {
  if (process.env.VECTORED_NATIVE === '0') {
    return { binding: null, reason: 'disabled by VECTORED_NATIVE=0' }
  }
  const file = path.join(__dirname, '..', 'build', 'Release', 'vectored.node')
  try {
    return { binding: require(file) as Binding, reason: '' }
  } catch (err) {
    const message = (err as Error).message.split('\n')[0]
    return {
      binding: null,
      reason: `the addon at ${file} did not load (${message}); rebuild it with \`pnpm install\` and a C++ toolchain`,
    }
  }
}

const { binding, reason: loadReason } = load()

/** True when the addon loaded and the system calls below work. */
export const available: boolean = binding !== null
/** Why the addon is not available; empty when it is. */
export const reason: string = loadReason
/** Whether sendfile exists on this platform (Linux). */
export const hasSendfile: boolean = binding?.hasSendfile ?? false
/** Whether waitWritable exists on this platform (Linux). */
export const hasWaitWritable: boolean = binding?.hasWaitWritable ?? false
/** The most buffers one writev takes; the rest of a longer list is left unwritten. */
export const iovMax: number = binding?.iovMax ?? 1024

function unavailable(): never {
  const err = new Error(`@vectored/native is not available: ${loadReason}`) as NodeJS.ErrnoException
  err.code = 'ERR_VECTORED_NATIVE_UNAVAILABLE'
  throw err
}

/**
 * One vectored write of `buffers` on `fd`. Returns the bytes written (fewer
 * than the total on a short write) or a negative errno when none were
 * (-EAGAIN: the socket is full). Never raises SIGPIPE; EINTR is retried.
 * Empty and detached buffers are skipped; only the first `iovMax` elements
 * are written, and only those are checked (the rest are not looked at).
 */
export const writev: (fd: number, buffers: readonly Bytes[]) => number = binding
  ? binding.writev
  : unavailable

/**
 * writev with the buffers as separate arguments: the cheaper calling
 * convention (N-API reads arguments faster than array elements).
 */
export const writevArgs: (fd: number, ...buffers: Bytes[]) => number = binding
  ? binding.writevArgs
  : unavailable

/**
 * Zero-copy file to socket: up to `length` bytes of `fileFd` from `offset`.
 * Same return convention as writev. Throws ERR_VECTORED_NO_SENDFILE where
 * the platform has none (check `hasSendfile`).
 */
export const sendfile: (socketFd: number, fileFd: number, offset: number, length: number) => number =
  binding ? binding.sendfile : unavailable

/**
 * Calls back once: `null` when `fd` is writable, an Error (with `code`, e.g.
 * ECONNRESET) when the connection failed while waiting. Never touches the
 * watcher libuv has on the fd. Cancel the returned handle when the socket
 * closes: a wait on a closed fd never fires, and a pending wait keeps the
 * event loop alive. Throws an Error with `code` (EPERM, EBADF) for an fd
 * epoll cannot watch.
 */
export const waitWritable: (fd: number, callback: (err: Error | null) => void) => WaitHandle = binding
  ? binding.waitWritable
  : unavailable

/**
 * Sets SO_SNDBUF and SO_RCVBUF of a socket (0 leaves one as it is); the
 * kernel doubles what it is given. Returns 0 or a negative errno.
 */
export const setSocketBuffers: (fd: number, sendBytes: number, receiveBytes: number) => number = binding
  ? binding.setSocketBuffers
  : unavailable

/**
 * Sets TCP_MAXSEG of a TCP socket; on a listening socket, the MSS its
 * accepted connections announce to their peers. Returns 0 or a negative errno.
 */
export const setMaxSegment: (fd: number, bytes: number) => number = binding ? binding.setMaxSegment : unavailable

/** 1 when `fd` has O_NONBLOCK set, 0 when it blocks, or a negative errno. */
export const isNonBlocking: (fd: number) => number = binding ? binding.isNonBlocking : unavailable

/** Sets O_NONBLOCK on `fd`. Returns 0 or a negative errno. */
export const setNonBlocking: (fd: number) => number = binding ? binding.setNonBlocking : unavailable
