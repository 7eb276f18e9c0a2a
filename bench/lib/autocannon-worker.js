'use strict'
// Runs autocannon (as a library) on request from the bench over IPC. The
// bench starts this process pinned to the load generator's core and keeps
// it for the whole run.
//
// One autocannon run per window: the first `warmup` seconds warm the server
// up (and open the connections), then the worker sends `mark` (the bench
// samples the server's CPU time) and counts only what completes after it.
const autocannon = require('autocannon')
const { pacedWindow } = require('./paced')

// autocannon appends every body chunk to a string (`req.body += data`): a
// UTF-8 decode of each 4 MiB body, which caps it near 80 MB/s here. The
// bench never looks at bodies while timing (the correctness pass does), so
// it keeps only the byte count. Guarded: on an autocannon without this
// internal, nothing changes.
try {
  const Queue = require('autocannon/lib/pipelinedRequestsQueue')
  if (typeof Queue.prototype.addBody === 'function') Queue.prototype.addBody = function addBody () {}
} catch {}

function percentile (sorted, q) {
  if (!sorted.length) return NaN
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]
}

function window (o) {
  let measuring = false
  let markedAt = 0
  const latencies = []
  const m = { requests: 0, non2xx: 0, errors: 0, timeouts: 0, bytes: 0 }
  const w = { requests: 0, non2xx: 0, errors: 0, timeouts: 0 }
  // What went wrong, for the FAILED reason: non-2xx statuses and error messages, with counts.
  const detail = { statuses: {}, errors: {} }
  const count = (map, key) => { map[key] = (map[key] || 0) + 1 }
  const instance = autocannon({
    url: `http://127.0.0.1:${o.port}${o.route}`,
    // several requests in turn per connection (method, headers, body), when the scenario has them
    ...(o.requests ? { requests: o.requests.map((r) => ({ method: r.method, path: r.path, headers: r.headers, body: r.body ?? undefined })) } : {}),
    connections: o.connections,
    pipelining: o.pipelining,
    duration: o.warmup + o.duration,
    timeout: 10,
    sampleInt: 100
  }, (err) => {
    if (err) return process.send({ type: 'result', error: String(err && err.message) })
    latencies.sort((a, b) => a - b)
    process.send({
      type: 'result',
      result: {
        requests: m.requests,
        seconds: (performance.now() - markedAt) / 1000,
        p50: percentile(latencies, 0.5),
        p99: percentile(latencies, 0.99),
        non2xx: m.non2xx,
        errors: m.errors,
        timeouts: m.timeouts,
        bytes: m.bytes,
        warmup: w,
        detail
      }
    })
  })
  instance.on('response', (client, status, bytes, time) => {
    const c = measuring ? m : w
    c.requests++
    if (status < 200 || status > 299) { c.non2xx++; count(detail.statuses, String(status)) }
    if (measuring) { latencies.push(time); m.bytes += bytes }
  })
  instance.on('reqError', (err) => {
    const c = measuring ? m : w
    if (err && err.message === 'request timed out') c.timeouts++
    else { c.errors++; count(detail.errors, String((err && (err.code || err.message)) || err)) }
  })
  setTimeout(() => {
    measuring = true
    markedAt = performance.now()
    process.send({ type: 'mark' })
  }, o.warmup * 1000)
}

process.on('message', (msg) => {
  if (msg.type !== 'load') return
  if (msg.options.rate) {
    Promise.resolve().then(() => pacedWindow(msg.options, () => process.send({ type: 'mark' })))
      .then((result) => process.send({ type: 'result', result }), (err) => process.send({ type: 'result', error: String(err.message) }))
  } else window(msg.options)
})
process.send({ type: 'ready' })
