'use strict'
// Runs autocannon (as a library) on request from the bench over IPC. The
// bench starts this process pinned to the load generator's core and keeps
// it for the whole run.
const autocannon = require('autocannon')

process.on('message', (msg) => {
  if (msg.type !== 'load') return
  const o = msg.options
  autocannon({
    url: `http://127.0.0.1:${o.port}${o.route}`,
    connections: o.connections,
    pipelining: o.pipelining,
    duration: o.duration,
    timeout: 10,
    sampleInt: 250
  }, (err, r) => {
    if (err) return process.send({ type: 'result', error: String(err && err.message) })
    process.send({
      type: 'result',
      result: {
        requests: r.requests.total,
        seconds: r.duration,
        p50: r.latency.p50,
        p99: r.latency.p99,
        non2xx: r.non2xx,
        errors: r.errors - r.timeouts, // socket errors; autocannon counts timeouts in both
        timeouts: r.timeouts,
        resets: r.resets,
        bytes: r.throughput.total
      }
    })
  })
})
process.send({ type: 'ready' })
