'use strict'
// ns and bytes allocated per response of core's path against Node's, on a
// connected loopback TCP socket whose reader is another process on the other
// core (bench/micro/lib/reader.js, as in native-writev.js).
//
//   node --expose-gc --min-semi-space-size=64 --max-semi-space-size=64 bench/micro/core-path.js [--runs 5] [--ms 300]
//
// Variants, each sending `count` body pieces of `size` bytes per response:
//   core: serializeHead + SocketWriter  serializeHead(200, headers) then
//                                       SocketWriter.of(socket).write([head, ...body])
//   core: prebuilt head + SocketWriter  the same with a head built once
//   node: prebuilt head + cork/write    socket.cork(); write(head); write(body)...; uncork()
//   node: http.ServerResponse           res.writeHead(200, headers); res.write(body)...; res.end()
//                                       on a ServerResponse assigned to the socket, as
//                                       node:http's server does (head built by Node itself)
// Bodies are Buffers made once and reused (neither path copies them).
//
// Responses are sent one after another: the next starts in the completion
// callback of the previous one (the writer's `done`, the last socket.write's
// callback, the response's 'finish'), so no variant batches several
// responses into one syscall. Two figures per run, over every response of the run:
//   wall ns/response  elapsed time / responses (includes waiting for the reader)
//   CPU ns/response   this process's user+system CPU (process.cpuUsage) / responses
// CPU is the meaningful one when the reader or the kernel is the bottleneck.
//
// Allocations, in a separate pass per cell: the process runs with
// --expose-gc and a fixed 64 MiB semi-space (min = max: V8 otherwise starts
// at 1 MiB and scavenges within a batch) so a batch of responses fits in the
// young generation; gc(), then `batch` responses, then the deltas of
// process.memoryUsage().heapUsed (JS heap) and .arrayBuffers (Buffer backing
// stores, which are off the JS heap), divided by the batch. A batch during
// which a GC ran (seen by a PerformanceObserver on 'gc') is discarded and
// retried. Not counted: malloc done in C++ (libuv write requests, Node's
// WriteWrap storage, the addon's iovec array).
const http = require('node:http')
const os = require('node:os')
const { PerformanceObserver } = require('node:perf_hooks')
const { SocketWriter, serializeHead } = require('@vectored/core')
const { option } = require('./lib/args')
const { connectReader } = require('./lib/reader')

const RUNS = option('runs', 5)
const RUN_MS = option('ms', 300)

if (typeof global.gc !== 'function') {
  console.error('run with --expose-gc --min-semi-space-size=64 --max-semi-space-size=64 (see the top of this file)')
  process.exit(1)
}

// Each variant: send(done) sends one response and calls done once it is written.
function variants(socket, body) {
  const bodyBytes = body.reduce((s, b) => s + b.length, 0)
  const headers = { 'content-type': 'application/octet-stream', 'content-length': bodyBytes }
  const prebuilt = serializeHead(200, headers).head
  const writer = SocketWriter.of(socket)
  if (writer.mode !== 'native') throw new Error(`the writer is ${writer.mode}: ${writer.reason}`)
  const request = { method: 'GET', httpVersionMajor: 1, httpVersionMinor: 1, headers: {} }
  return {
    'core: serializeHead + SocketWriter': (done) => {
      const head = serializeHead(200, headers)
      writer.write([head.head, ...body], done)
    },
    'core: prebuilt head + SocketWriter': (done) => {
      writer.write([prebuilt, ...body], done)
    },
    'node: prebuilt head + cork/write': (done) => {
      socket.cork()
      socket.write(prebuilt)
      const last = body.length - 1
      for (let i = 0; i < last; i++) socket.write(body[i])
      socket.write(body[last], done)
      socket.uncork()
    },
    'node: http.ServerResponse': (done) => {
      const res = new http.ServerResponse(request)
      res.assignSocket(socket)
      res.once('finish', () => {
        res.detachSocket(socket)
        done()
      })
      res.writeHead(200, headers)
      const last = body.length - 1
      for (let i = 0; i < last; i++) res.write(body[i])
      res.end(body[last])
    },
  }
}

/** Sends `count` responses one after another (or until `deadline`); resolves with how many were sent. */
function sendMany(send, count, deadline) {
  return new Promise((resolve, reject) => {
    let sent = 0
    const next = (err) => {
      if (err) return reject(err)
      if (sent === count || (deadline && (sent & 15) === 0 && Date.now() > deadline)) return resolve(sent)
      sent++
      send(next)
    }
    next(null)
  })
}

async function timeRun(send, ms) {
  const cpu0 = process.cpuUsage()
  const t0 = process.hrtime.bigint()
  const n = await sendMany(send, Infinity, Date.now() + ms)
  const wall = Number(process.hrtime.bigint() - t0)
  const cpu = process.cpuUsage(cpu0)
  return { wall: wall / n, cpu: ((cpu.user + cpu.system) * 1000) / n, n }
}

let gcCount = 0
new PerformanceObserver((list) => (gcCount += list.getEntries().length)).observe({ entryTypes: ['gc'] })

async function allocations(send, batch) {
  for (let attempt = 0; attempt < 10; attempt++) {
    await sendMany(send, 50) // settle (lazy state, pools)
    global.gc()
    await new Promise((r) => setTimeout(r, 5)) // let the observer report the forced gc
    const gcs = gcCount
    const m0 = process.memoryUsage()
    await sendMany(send, batch)
    const m1 = process.memoryUsage()
    await new Promise((r) => setTimeout(r, 5))
    if (gcCount !== gcs) continue
    return { heap: (m1.heapUsed - m0.heapUsed) / batch, ab: (m1.arrayBuffers - m0.arrayBuffers) / batch }
  }
  return { heap: NaN, ab: NaN }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

async function main() {
  const { socket, reader, pinned } = await connectReader()
  const shapes = [
    [1, 64],
    [16, 64],
    [1, 4096],
    [16, 4096],
    [1, 65536],
    [16, 65536],
  ]
  const rows = []
  let names
  for (const [count, size] of shapes) {
    const body = Array.from({ length: count }, (_, i) => Buffer.alloc(size, 0x61 + (i % 26)))
    const all = variants(socket, body)
    names = Object.keys(all)
    for (const name of names) await timeRun(all[name], RUN_MS / 3) // warm-up
    const results = Object.fromEntries(names.map((n) => [n, []]))
    for (let run = 0; run < RUNS; run++) {
      for (const name of names) results[name].push(await timeRun(all[name], RUN_MS))
    }
    const allocs = {}
    const batch = count * size >= 1 << 20 ? 200 : 1000
    for (const name of names) {
      const samples = []
      for (let i = 0; i < 3; i++) samples.push(await allocations(all[name], batch))
      allocs[name] = { heap: median(samples.map((s) => s.heap)), ab: median(samples.map((s) => s.ab)) }
    }
    const label = size >= 1024 ? `${size / 1024} KiB` : `${size} B`
    rows.push({ shape: `${count} x ${label}`, results, allocs })
    process.stderr.write(`done ${count} x ${label}\n`)
  }
  socket.end()
  await new Promise((r) => reader.once('exit', r))

  const fmt = (x) => (Number.isFinite(x) ? Math.round(x).toString() : 'n/a')
  const cell = (xs) => `${fmt(median(xs))} (${fmt(Math.min(...xs))}..${fmt(Math.max(...xs))})`
  console.log(
    `core path micro-benchmark, ${new Date().toISOString().slice(0, 10)}, node ${process.version}, ` +
      `${os.cpus().length} cores, load average ${os.loadavg()[0].toFixed(1)}, ${RUNS} runs of ${RUN_MS} ms per cell, ` +
      `${pinned ? 'writer on core 0, reader on core 1' : 'not pinned (no taskset)'}`
  )
  for (const [title, key] of [
    ['CPU ns per response (this process, user+system), median of runs (min..max)', 'cpu'],
    ['wall ns per response, median of runs (min..max)', 'wall'],
  ]) {
    console.log(`\n${title}\n`)
    console.log(`| body | ${names.join(' | ')} |`)
    console.log(`|---|${names.map(() => '---').join('|')}|`)
    for (const row of rows) console.log(`| ${row.shape} | ${names.map((n) => cell(row.results[n].map((r) => r[key]))).join(' | ')} |`)
  }
  console.log('\nbytes allocated per response: JS heap + Buffer backing stores (median of 3 batches)\n')
  console.log(`| body | ${names.join(' | ')} |`)
  console.log(`|---|${names.map(() => '---').join('|')}|`)
  for (const row of rows) console.log(`| ${row.shape} | ${names.map((n) => `${fmt(row.allocs[n].heap)} + ${fmt(row.allocs[n].ab)}`).join(' | ')} |`)
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
