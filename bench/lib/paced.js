'use strict'
// A paced (open-loop) client for the latency-fixed scenario, run in the
// autocannon worker's process (pinned to the load core). Requests are due at
// fixed intervals (1 / rate) from the window's start, whatever the server
// does; each due request goes out on a free keep-alive connection, or waits
// in a backlog until one is free. Latency is measured from the time the
// request was due, not from when it was written, so time spent waiting for a
// busy server counts (wrk2's correction of coordinated omission).
// autocannon's own overallRate is not used: it limits each connection to its
// share per second and then pauses it, so a connection sends its share
// back-to-back at the start of each second (bursts at the peak rate).
// The loop polls with setImmediate: it keeps the load core busy, and due
// times are kept to a few microseconds.
const net = require('node:net')

// Node's own response parser (llhttp), as autocannon uses it; loaded on
// first use, so that the worker starts even on a Node without this internal.
let HTTPParser

function percentile (sorted, q) {
  if (!sorted.length) return NaN
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]
}

// o: { port, route, connections, rate, warmup, duration } (seconds); onMark()
// at the end of the warm-up; resolves the window's figures.
function pacedWindow (o, onMark) {
  HTTPParser ??= require('_http_common').HTTPParser
  return new Promise((resolve) => {
    const request = Buffer.from(`GET ${o.route} HTTP/1.1\r\nHost: 127.0.0.1:${o.port}\r\n\r\n`, 'latin1')
    const interval = 1000 / o.rate // ms
    const idle = []
    const backlog = [] // due times of requests no connection was free for
    const latencies = []
    const m = { requests: 0, non2xx: 0, errors: 0, timeouts: 0 }
    const w = { requests: 0, non2xx: 0, errors: 0, timeouts: 0 }
    const conns = new Set()
    let measuring = false
    let markAt = 0
    let stopped = false
    let sent = 0
    const t0 = performance.now() + 50 // the connections open first
    const end = t0 + (o.warmup + o.duration) * 1000

    const send = (c, due) => { c.due = due; c.sock.write(request) }
    const free = (c) => { if (backlog.length) send(c, backlog.shift()); else idle.push(c) }

    function connect () {
      const c = { sock: net.connect(o.port, '127.0.0.1'), due: null, status: 0, ready: false }
      c.sock.setNoDelay(true)
      const parser = new HTTPParser()
      parser.initialize(HTTPParser.RESPONSE, {})
      parser[HTTPParser.kOnHeadersComplete] = (major, minor, headers, method, url, statusCode) => { c.status = statusCode }
      parser[HTTPParser.kOnBody] = () => {}
      parser[HTTPParser.kOnMessageComplete] = () => {
        const now = performance.now()
        const k = measuring ? m : w
        k.requests++
        if (c.status < 200 || c.status > 299) k.non2xx++
        if (measuring) latencies.push(now - c.due)
        c.due = null
        if (!stopped) free(c)
      }
      c.sock.on('connect', () => { c.ready = true; if (!stopped) free(c) })
      c.sock.on('data', (d) => { const r = parser.execute(d); if (r instanceof Error) c.sock.destroy(r) })
      const lost = () => {
        if (!conns.delete(c)) return
        const i = idle.indexOf(c)
        if (i >= 0) idle.splice(i, 1)
        if (stopped) return
        ;(measuring ? m : w).errors++
        if (c.due !== null) backlog.unshift(c.due) // its request is sent again on another connection
        connect()
      }
      c.sock.on('error', lost)
      c.sock.on('close', lost)
      conns.add(c)
    }
    for (let i = 0; i < o.connections; i++) connect()

    function loop () {
      const now = performance.now()
      if (!measuring && now >= t0 + o.warmup * 1000) { measuring = true; markAt = now; onMark() }
      if (now >= end) return finish(now)
      while (t0 + sent * interval <= now) {
        const due = t0 + sent * interval
        sent++
        if (idle.length) send(idle.pop(), due)
        else backlog.push(due)
      }
      setImmediate(loop)
    }
    setImmediate(loop)

    function finish (now) {
      stopped = true
      const outstanding = backlog.length + [...conns].filter((c) => c.due !== null).length
      for (const c of conns) c.sock.destroy()
      latencies.sort((a, b) => a - b)
      resolve({
        requests: m.requests,
        seconds: (now - markAt) / 1000,
        p50: percentile(latencies, 0.5),
        p99: percentile(latencies, 0.99),
        ...m,
        warmup: w,
        targetRps: o.rate,
        outstandingAtEnd: outstanding // requests due but not answered when the window closed
      })
    }
  })
}

module.exports = { pacedWindow }
