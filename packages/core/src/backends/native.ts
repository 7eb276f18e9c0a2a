import * as native from '@vectored/native'
import type { Backend } from './types'

// Few buffers go as separate arguments, which N-API reads about three times
// faster than array elements (docs/native.md); longer vectors as an array.
function writev(fd: number, pieces: Uint8Array[], start: number, count: number): number {
  switch (count) {
    case 1:
      return native.writevArgs(fd, pieces[start]!)
    case 2:
      return native.writevArgs(fd, pieces[start]!, pieces[start + 1]!)
    case 3:
      return native.writevArgs(fd, pieces[start]!, pieces[start + 1]!, pieces[start + 2]!)
    case 4:
      return native.writevArgs(fd, pieces[start]!, pieces[start + 1]!, pieces[start + 2]!, pieces[start + 3]!)
    default:
      return native.writev(fd, start === 0 && count === pieces.length ? pieces : pieces.slice(start, start + count))
  }
}

export const nativeBackend: Backend = {
  name: 'native',
  iovMax: native.iovMax,
  writev,
  waitWritable: native.hasWaitWritable ? native.waitWritable : null,
  sendfile: native.hasSendfile ? native.sendfile : null,
}
