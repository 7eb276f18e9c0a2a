import type { WaitHandle } from '@vectored/native'

/** How bytes reach the kernel for a socket that has a usable fd. */
export interface Backend {
  readonly name: 'native' | 'portable'
  /** The most pieces one writev takes. */
  readonly iovMax: number
  /** One vectored write of pieces[start, start + count): bytes written, or a negative errno. */
  writev(fd: number, pieces: Uint8Array[], start: number, count: number): number
  /** Calls back when fd is writable; null: the remainder is handed to socket.write instead. */
  readonly waitWritable: ((fd: number, callback: (err: Error | null) => void) => WaitHandle) | null
  /** Zero-copy file to socket; null where there is none (the file is read and written). */
  readonly sendfile: ((socketFd: number, fileFd: number, offset: number, length: number) => number) | null
}
