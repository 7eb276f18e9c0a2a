'use strict'
// The idle-10k scenario's client, a child of the bench (started by
// idle.js pinned to the load core, through a shell that raises its open
// file limit when needed). On { type: 'open', port, route, count, expect }
// it opens `count` connections, at most CONCURRENT of them connecting or
// waiting for their response at a time; on each it sends one GET, checks the
// response (status 200, the body's bytes) and keeps the connection open.
// It answers { type: 'opened', open, problems, seconds }. On { type: 'check' }
// it answers how many are still open (the server closed none); on
// { type: 'close' } it closes them all and answers 'closed'.
const net = require('node:net')
const { parseResponses } = require('./http-raw')

const CONCURRENT = 256
let socks = []

function openAll ({ port, route, count, expect }) {
  const body = Buffer.from(expect, 'latin1')
  const request = Buffer.from(`GET ${route} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`, 'latin1')
  const problems = new Map()
  const problem = (p) => problems.set(p, (problems.get(p) ?? 0) + 1)
  const started = performance.now()
  let next = 0
  let done = 0
  let open = 0
  return new Promise((resolve) => {
    const settle = () => {
      done++
      if (next < count) one()
      else if (done === count) resolve({ open, problems: [...problems].map(([p, n]) => `${p} (x${n})`).slice(0, 5), seconds: (performance.now() - started) / 1000 })
    }
    function one () {
      next++
      const sock = net.connect(port, '127.0.0.1')
      const s = { sock, closed: false }
      let chunks = []
      let finished = false
      const fail = (why) => { if (finished) return; finished = true; problem(why); sock.destroy(); settle() }
      sock.on('connect', () => sock.write(request))
      sock.on('data', (d) => {
        if (finished) return
        chunks.push(d)
        let r
        try { r = parseResponses(Buffer.concat(chunks), 1) } catch (err) { return fail(`bad response: ${err.message}`) }
        if (!r) return
        chunks = null
        finished = true
        const res = r.responses[0]
        if (res.status !== 200) { problem(`status ${res.status}`); sock.destroy(); return settle() }
        if (!res.body.equals(body)) { problem('body differs'); sock.destroy(); return settle() }
        open++
        socks.push(s)
        settle()
      })
      sock.on('error', (err) => { s.closed = true; fail(`socket error ${err.code || err.message}`) })
      sock.on('close', () => { s.closed = true; fail('closed by the server before its response') })
    }
    for (let i = 0; i < Math.min(CONCURRENT, count); i++) one()
    if (count === 0) resolve({ open: 0, problems: [], seconds: 0 })
  })
}

process.on('message', async (msg) => {
  if (msg.type === 'open') process.send({ type: 'opened', ...(await openAll(msg)) })
  else if (msg.type === 'check') process.send({ type: 'checked', open: socks.filter((s) => !s.closed).length })
  else if (msg.type === 'close') {
    for (const s of socks) s.sock.destroy()
    socks = []
    process.send({ type: 'closed' })
  }
})
process.send({ type: 'ready' })
