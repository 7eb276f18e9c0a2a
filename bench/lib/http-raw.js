'use strict'
// A minimal HTTP/1.1 client over a raw `net` socket: sends N requests in one
// write (pipelined when N > 1) and parses N responses exactly as they
// arrived, keeping header order and case.
const net = require('node:net')

function parseResponses (buf, count) {
  const out = []
  let pos = 0
  while (out.length < count) {
    const end = buf.indexOf('\r\n\r\n', pos)
    if (end < 0) return null
    const head = buf.subarray(pos, end).toString('latin1')
    const [statusLine, ...lines] = head.split('\r\n')
    const m = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(statusLine)
    if (!m) throw new Error(`bad status line ${JSON.stringify(statusLine)}`)
    const headers = lines.map((l) => {
      const i = l.indexOf(':')
      if (i <= 0) throw new Error(`bad header line ${JSON.stringify(l)}`)
      return [l.slice(0, i), l.slice(i + 1).trim()]
    })
    const get = (n) => headers.find(([k]) => k.toLowerCase() === n)?.[1]
    let p = end + 4
    let body
    const te = get('transfer-encoding')
    if (te && /chunked/i.test(te)) {
      const parts = []
      for (;;) {
        const le = buf.indexOf('\r\n', p)
        if (le < 0) return null
        const size = parseInt(buf.subarray(p, le).toString('latin1'), 16)
        if (!Number.isFinite(size)) throw new Error('bad chunk size')
        if (le + 2 + size + 2 > buf.length) return null
        if (buf[le + 2 + size] !== 13 || buf[le + 3 + size] !== 10) throw new Error('chunk not followed by CRLF')
        if (size === 0) { p = le + 4; break }
        parts.push(buf.subarray(le + 2, le + 2 + size))
        p = le + 2 + size + 2
      }
      body = Buffer.concat(parts)
    } else if (get('content-length') !== undefined) {
      const len = Number(get('content-length'))
      if (p + len > buf.length) return null
      body = buf.subarray(p, p + len)
      p += len
    } else {
      throw new Error('response has neither content-length nor chunked framing')
    }
    out.push({ status: Number(m[1]), statusLine, headers, body })
    pos = p
  }
  return { responses: out, trailing: buf.length - pos }
}

// The bytes of one request: { method, path, headers, body } (a string is a
// GET of that path). Content-Length is added for a body.
function rawRequest (req, host) {
  const { method = 'GET', path, headers = {}, body = null } = typeof req === 'string' ? { path: req } : req
  const lines = [`${method} ${path} HTTP/1.1`, `Host: ${host}`]
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`)
  if (body) lines.push(`Content-Length: ${body.length}`)
  const head = Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1')
  return body ? Buffer.concat([head, body]) : head
}

// Sends `request` count times in one write and resolves the responses; with
// waitClose, also waits (up to 1 s) for the server to close the connection
// and sets responses.closed.
function fetchRaw (port, request, count = 1, { timeoutMs = 10000, waitClose = false } = {}) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1')
    const chunks = []
    let size = 0
    let ended = false
    let onEnd = null
    const timer = setTimeout(() => { sock.destroy(); reject(new Error(`timed out after ${timeoutMs} ms (${size} bytes received)`)) }, timeoutMs)
    let settled = false
    let parsed = false
    const finish = (err, val) => { if (settled) return; settled = true; clearTimeout(timer); sock.destroy(); err ? reject(err) : resolve(val) }
    sock.on('connect', () => {
      const one = rawRequest(request, `127.0.0.1:${port}`)
      sock.write(count > 1 ? Buffer.concat(Array(count).fill(one)) : one)
    })
    const tryParse = (final) => {
      if (parsed || settled) return
      const buf = Buffer.concat(chunks, size)
      let r
      try { r = parseResponses(buf, count) } catch (err) { return finish(err) }
      if (r) {
        parsed = true
        // wait a moment for unexpected extra bytes after the last response (and, with waitClose, for the close)
        const settle = () => {
          const extra = size - buf.length + r.trailing
          if (waitClose) r.responses.closed = ended
          finish(extra ? new Error(`${extra} unexpected bytes after response ${count}`) : null, r.responses)
        }
        if (waitClose && !ended) {
          const t = setTimeout(settle, 1000)
          onEnd = () => { clearTimeout(t); setTimeout(settle, 30) }
        } else setTimeout(settle, 30)
        sock.removeAllListeners('data')
        sock.on('data', (d) => { size += d.length })
      } else if (final) finish(new Error(`connection closed after ${size} bytes, before ${count} complete response(s)`))
    }
    sock.on('data', (d) => { chunks.push(d); size += d.length; tryParse(false) })
    sock.on('end', () => { ended = true; if (onEnd) onEnd(); else tryParse(true) })
    sock.on('error', (err) => finish(err))
  })
}

module.exports = { fetchRaw, parseResponses, rawRequest }
