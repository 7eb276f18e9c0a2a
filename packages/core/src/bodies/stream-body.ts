import type { Readable } from 'node:stream'
import { CRLF, LAST_CHUNK, chunkHeader } from '../chunked'
import type { SocketWriter, WriteCallback } from '../socket-writer'

export interface StreamBodyOptions {
  /** Frame the body with chunked transfer coding (the length is unknown). */
  chunked: boolean
  /** The Content-Length the head announced, when not chunked: a source that gives fewer or more bytes ends the connection. */
  contentLength?: number | null
  /** False for HEAD and bodiless statuses: only the head is written and the source is destroyed. */
  hasBody?: boolean
}

function bodyError(message: string, code: string): Error {
  return Object.assign(new Error(message), { code })
}

/**
 * Writes `head` then the bytes of `source`: every chunk available at a time
 * goes out in one write (chunk-size lines as small separate pieces, data
 * uncopied), the source is not read while the writer needs draining, and a
 * source that fails ends the connection: a body never looks complete when
 * it is not. `done` runs once.
 */
export function writeStreamBody(
  writer: SocketWriter,
  head: Uint8Array[],
  source: Readable,
  options: StreamBodyOptions,
  done: WriteCallback
): void {
  const socket = writer.socket
  const chunked = options.chunked
  const expected = chunked ? null : options.contentLength ?? null
  let pending: Uint8Array[] | null = head
  let sent = 0
  let finished = false
  let waitingDrain = false

  const finish = (err: Error | null) => {
    if (finished) return
    finished = true
    source.removeListener('readable', pump)
    source.removeListener('end', onEnd)
    source.removeListener('error', fail)
    socket.removeListener('close', onClose)
    writer.removeListener('drain', resume)
    done(err)
  }
  const fail = (err: Error) => {
    if (finished) return
    if (!source.destroyed) source.destroy()
    // Ending the connection is the only way to tell the client the body is incomplete.
    if (!socket.destroyed) socket.destroy()
    finish(err)
  }
  const onWritten = (err: Error | null) => {
    if (err) fail(err)
  }
  const onClose = () => fail(bodyError('the connection closed before the body was written', 'ERR_STREAM_PREMATURE_CLOSE'))

  function resume(): void {
    waitingDrain = false
    pump()
  }

  function pump(): void {
    // While the writer drains, the source is not read: its own buffer fills and it stops.
    if (finished || waitingDrain) return
    const batch = pending ?? []
    pending = null
    // read() may make the source produce more at once: stop at the writer's
    // mark, so write() below asks for a 'drain' before the next batch.
    const limit = writer.highWaterMark
    let batchBytes = 0
    let chunk: unknown
    while (batchBytes < limit && (chunk = source.read()) !== null) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk
      if (!(bytes instanceof Uint8Array)) {
        fail(bodyError(`a stream body chunk must be a string, Buffer or Uint8Array, got ${typeof chunk}`, 'ERR_INVALID_ARG_TYPE'))
        return
      }
      const length = bytes.byteLength
      if (length === 0) continue
      sent += length
      batchBytes += length
      if (expected !== null && sent > expected) {
        fail(bodyError(`the stream gave more than the ${expected} bytes of its Content-Length`, 'ERR_HTTP_CONTENT_LENGTH_MISMATCH'))
        return
      }
      if (chunked) batch.push(chunkHeader(length), bytes, CRLF)
      else batch.push(bytes)
    }
    if (batch.length > 0 && !writer.write(batch, onWritten)) {
      waitingDrain = true
      writer.once('drain', resume)
    }
  }

  function onEnd(): void {
    if (finished) return
    if (expected !== null && sent !== expected) {
      fail(bodyError(`the stream ended after ${sent} of the ${expected} bytes of its Content-Length`, 'ERR_HTTP_CONTENT_LENGTH_MISMATCH'))
      return
    }
    const last = pending ?? []
    pending = null
    if (chunked) last.push(LAST_CHUNK)
    writer.write(last, (err) => (err ? fail(err) : finish(null)))
  }

  if (socket.destroyed) {
    fail(bodyError('the connection closed before the body was written', 'ERR_STREAM_PREMATURE_CLOSE'))
    return
  }
  socket.once('close', onClose)
  if (options.hasBody === false) {
    source.destroy()
    writer.write(head, (err) => (err ? fail(err) : finish(null)))
    return
  }
  source.on('error', fail)
  source.on('end', onEnd)
  source.on('readable', pump)
}
