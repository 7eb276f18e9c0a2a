import * as fs from 'node:fs'
import { constants } from 'node:os'
import type { Backend } from './types'

// fs.writevSync works on a non-blocking socket fd: a partial count when the
// socket fills mid-write, an EAGAIN error when nothing fit. Never the async
// fs.writev: that would run on the thread pool.
function writev(fd: number, pieces: Uint8Array[], start: number, count: number): number {
  try {
    return fs.writevSync(fd, start === 0 && count === pieces.length ? pieces : pieces.slice(start, start + count))
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    const errno = code !== undefined ? (constants.errno as Record<string, number>)[code] : undefined
    return errno !== undefined ? -errno : -constants.errno.EIO
  }
}

export const portableBackend: Backend = {
  name: 'portable',
  iovMax: 1024,
  writev,
  waitWritable: null,
  sendfile: null,
}
