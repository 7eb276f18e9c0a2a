import * as fs from 'node:fs'
import type { SocketWriter, WriteCallback } from '../socket-writer'

export interface FileBodyOptions {
  /** Bytes read at a time where there is no sendfile. Default 64 KiB. */
  chunkSize?: number
}

/**
 * Writes `head` then `length` bytes of the open file `fd` from `offset`:
 * by sendfile when the writer can (zero-copy, resumed after short sends and
 * EAGAIN by the writer), else read and written in chunks with backpressure.
 * The caller keeps `fd` open until `done`. A file shorter than `length` ends
 * the connection with an error rather than a body that looks complete.
 */
export function writeFileBody(
  writer: SocketWriter,
  head: Uint8Array[],
  fd: number,
  offset: number,
  length: number,
  done: WriteCallback,
  options: FileBodyOptions = {}
): void {
  if (writer.canSendFile) {
    writer.sendFile(head, fd, offset, length, done)
    return
  }
  const chunkSize = options.chunkSize ?? 64 * 1024
  let position = offset
  let remaining = length
  let first: Uint8Array[] | null = head
  let finished = false
  const finish = (err: Error | null) => {
    if (finished) return
    finished = true
    writer.removeListener('drain', readNext)
    if (err && !writer.socket.destroyed) writer.socket.destroy()
    done(err)
  }
  function readNext(): void {
    if (finished) return
    if (remaining === 0) {
      writer.write(first ?? [], finish)
      first = null
      return
    }
    const buffer = Buffer.allocUnsafe(Math.min(chunkSize, remaining))
    fs.read(fd, buffer, 0, buffer.length, position, (err, n) => {
      if (finished) return
      if (err) return finish(err)
      if (n === 0) {
        return finish(
          Object.assign(new Error(`the file ended ${remaining} bytes before the length given`), {
            code: 'ERR_VECTORED_FILE_TRUNCATED',
          })
        )
      }
      position += n
      remaining -= n
      const pieces = first ?? []
      first = null
      pieces.push(buffer.subarray(0, n))
      if (remaining === 0) {
        writer.write(pieces, finish)
        return
      }
      if (writer.write(pieces, (e) => e && finish(e))) readNext()
      else writer.once('drain', readNext)
    })
  }
  readNext()
}
