/**
 * A raw HTTP/1.1 client over net: sends exact bytes, collects exact bytes,
 * and knows where responses end (content-length, chunked, no-body statuses,
 * HEAD, 1xx interim responses) so a test can stop without guessing.
 */
import * as net from 'node:net'

export interface RawResult {
  bytes: Buffer
  /** Final responses fully received. */
  responses: number
  /** The server closed (FIN or reset) before we stopped reading. */
  closed: boolean
  timedOut: boolean
}

interface Parsed {
  complete: number
  /** The last complete response announced Connection: close (or is HTTP/1.0 without keep-alive). */
  announcedClose: boolean
  /** A body that lasts until the server closes is in progress. */
  untilClose: boolean
  /** Total bytes needed before parsing can progress (0: unknown). */
  need: number
}

/** Counts the complete final responses in `data`, given the request methods in order. */
export function parseResponses(data: Buffer, methods: string[], atEnd = false): Parsed {
  let off = 0
  let complete = 0
  let announcedClose = false
  while (off < data.length) {
    const headEnd = data.indexOf('\r\n\r\n', off, 'latin1')
    if (headEnd === -1) break
    const lines = data.toString('latin1', off, headEnd).split('\r\n')
    const [version, code] = lines[0]!.split(' ')
    const status = Number(code)
    const headers = new Map<string, string>()
    for (const line of lines.slice(1)) {
      const i = line.indexOf(':')
      if (i > 0) headers.set(line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim())
    }
    let pos = headEnd + 4
    if (status >= 100 && status < 200 && status !== 101) {
      off = pos
      continue
    }
    const method = methods[complete] ?? 'GET'
    const connection = (headers.get('connection') ?? '').toLowerCase()
    const closes = connection.includes('close') || (version === 'HTTP/1.0' && !connection.includes('keep-alive'))
    if (method === 'HEAD' || status === 204 || status === 304) {
      // no body
    } else if ((headers.get('transfer-encoding') ?? '').toLowerCase().includes('chunked')) {
      while (true) {
        const lineEnd = data.indexOf('\r\n', pos, 'latin1')
        if (lineEnd === -1) return { complete, announcedClose, untilClose: false, need: 0 }
        const size = parseInt(data.toString('latin1', pos, lineEnd), 16)
        if (size === 0) {
          // trailers, then an empty line
          let p = lineEnd + 2
          while (true) {
            const e = data.indexOf('\r\n', p, 'latin1')
            if (e === -1) return { complete, announcedClose, untilClose: false, need: 0 }
            if (e === p) break
            p = e + 2
          }
          pos = p + 2
          break
        }
        const end = lineEnd + 2 + size + 2
        if (end > data.length) return { complete, announcedClose, untilClose: false, need: end }
        pos = end
      }
    } else if (headers.has('content-length')) {
      const end = pos + Number(headers.get('content-length'))
      if (end > data.length) return { complete, announcedClose, untilClose: false, need: end }
      pos = end
    } else {
      if (atEnd) complete++
      return { complete, announcedClose: true, untilClose: !atEnd, need: 0 }
    }
    complete++
    announcedClose = closes
    off = pos
  }
  return { complete, announcedClose, untilClose: false, need: 0 }
}

/**
 * Sends `request` on a fresh connection and reads until `expected` responses;
 * when the last one announced a close, waits (bounded) to see the close.
 */
/** halfClose: end the client's write side right after the request (FIN), then keep reading. */
export function rawRequest(port: number, request: string | Buffer, expected: number, methods: string[], timeoutMs = 20000,
  options: { halfClose?: boolean } = {}): Promise<RawResult> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1')
    const parts: Buffer[] = []
    let size = 0
    let need = 0
    let closed = false
    let settled = false
    let closeWait: NodeJS.Timeout | null = null
    const finish = (timedOut: boolean) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      if (closeWait) clearTimeout(closeWait)
      const bytes = Buffer.concat(parts, size)
      socket.destroy()
      resolve({ bytes, responses: parseResponses(bytes, methods, closed).complete, closed, timedOut })
    }
    const timer = setTimeout(() => finish(true), timeoutMs)
    socket.on('data', (chunk: Buffer) => {
      parts.push(chunk)
      size += chunk.length
      if (size < need || closeWait !== null) return
      const parsed = parseResponses(Buffer.concat(parts, size), methods)
      need = parsed.need
      if (parsed.complete >= expected && !parsed.untilClose) {
        if (parsed.announcedClose) closeWait = setTimeout(() => finish(false), 1500)
        else finish(false)
      }
    })
    socket.on('error', () => { closed = true })
    socket.on('close', () => { closed = true; finish(false) })
    socket.write(request)
    if (options.halfClose === true) socket.end()
  })
}

/** The response bytes with every Date header value masked. */
export function maskDates(bytes: Buffer): Buffer {
  return Buffer.from(bytes.toString('latin1').replace(/\r\nDate: [^\r]*\r\n/gi, '\r\nDate: <masked>\r\n'), 'latin1')
}
