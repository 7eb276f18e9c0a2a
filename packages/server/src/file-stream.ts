/**
 * An fs.ReadStream piped into a response, sent by its path and range with
 * sendfile instead of being read. The idea of VectoredResponse's takeFile
 * (node:http), as functions: TransportResponse uses them; `checkDeclared`
 * false is VectoredResponse's rule (a declared Content-Length is taken as
 * the length), so it can move onto them unchanged. The response decides
 * whether it may take the stream and how it writes the file; this parks the
 * stream, opens the file, works out the range and ends the stream without data.
 */
import * as fs from 'node:fs'
import type { Readable } from 'node:stream'

function noop(): void {}

/** What giving the stream back needs from the response it was piped into. */
export interface FileStreamTarget {
  readonly writableEnded: boolean
  readonly destroyed: boolean
}

/**
 * Opens the file and its range; hands the stream back (piped again, stock) on any doubt.
 * @param send called with the open fd, the offset and length to send and
 *   `giveBack(fd)` (closes `fd` and pipes the stream back) for the caller's own doubts.
 */
export type SendOpenFile = (fd: number, offset: number, length: number, giveBack: (fd: number | null) => void) => void

/** An fs.ReadStream with a path that has not read nor buffered anything yet. */
export function isUnreadFileStream(src: fs.ReadStream): boolean {
  return typeof src.path === 'string' && src.bytesRead === 0 && src.readableLength === 0
}

/**
 * Unpipes `src` from `dest` and parks it (its _read only notes the request),
 * then opens its path. `declared` is the response's Content-Length, if any:
 * with `checkDeclared` false it is taken as the length without an fstat;
 * with `checkDeclared` true the file's size is always read and a declared
 * length that differs from the stream's range hands the stream back. An
 * empty range hands the stream back (Node sends Content-Length: 0, not a
 * chunk). Otherwise `send` gets the fd, offset and length.
 */
export function takeFileStream(src: fs.ReadStream, dest: FileStreamTarget, declared: unknown, checkDeclared: boolean, send: SendOpenFile): void {
  const path = src.path as string
  const target = dest as unknown as NodeJS.WritableStream
  src.unpipe(target)
  let parked = -1
  src._read = (n: number) => { parked = n }
  const giveBack = (fd: number | null) => {
    if (fd !== null) fs.close(fd, noop)
    delete (src as Partial<Readable>)._read
    // A stream destroyed meanwhile (the client left: Fastify destroys the
    // payload) has closed its fd: the read it asked for must not run. (One
    // that ended on its own, an empty file, is still piped: that ends dest.)
    if (parked >= 0 && !src.destroyed) src._read(parked)
    if (!dest.writableEnded && !dest.destroyed) src.pipe(target)
  }
  const start = (src as unknown as { start?: number }).start ?? 0
  const end = (src as unknown as { end?: number }).end ?? Infinity
  fs.open(path, 'r', (err, fd) => {
    if (err !== null) return giveBack(null)
    if (declared !== undefined && !checkDeclared) return send(fd, start, Number(declared), giveBack)
    fs.fstat(fd, (err2, st) => {
      if (err2 !== null) return giveBack(fd)
      const length = Math.max(0, Math.min(end + 1, st.size) - start)
      if (length === 0) return giveBack(fd)
      if (declared !== undefined && Number(declared) !== length) return giveBack(fd)
      send(fd, start, length, giveBack)
    })
  })
}

/** Ends a parked stream without data, so whoever watches it (Fastify's eos) sees a clean end; `onEnd` on its 'end'. */
export function endFileStream(src: fs.ReadStream, onEnd: () => void): void {
  src.on('error', noop)
  src.once('end', onEnd)
  src.push(null)
  src.resume()
}
