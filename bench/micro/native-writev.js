'use strict'
// ns per call of four ways to put a vector of buffers on a connected loopback
// TCP socket: the addon's writev (array), writevArgs (separate arguments),
// fs.writevSync, and socket.cork(); write()...; uncork(). The writer runs
// here, pinned to core 0; the reader is another process pinned to core 1
// that drains the socket as fast as it can.
//
//   node bench/micro/native-writev.js [--runs 5] [--ms 200]
//
// Only the synchronous calls are timed. A call that finds the socket full
// (-EAGAIN, fs EAGAIN, or socket.write returning false) is counted, and the
// loop waits for the reader (waitWritable / 'drain') outside the timed part.
// Short writes are not resumed: every call offers the same vector, so each
// variant is measured on the same work; the reader discards the bytes.
const fs = require('node:fs')
const os = require('node:os')
const native = require('@vectored/native')
const { option } = require('./lib/args')
const { connectReader } = require('./lib/reader')

const RUNS = option('runs', 5)
const RUN_MS = option('ms', 200)
const EAGAIN = -os.constants.errno.EAGAIN

if (!native.available) {
  console.error(`@vectored/native is not available: ${native.reason}`)
  process.exit(1)
}

const waitWritable = (fd) => new Promise((resolve, reject) => native.waitWritable(fd, (e) => (e ? reject(e) : resolve())))

// Each variant: one call, returning true when the socket took (part of) it,
// false when it was full; and how to wait until it is writable again.
function variants(socket) {
  const fd = socket._handle.fd
  return {
    'native writev': {
      call: (bufs) => native.writev(fd, bufs) !== EAGAIN,
      wait: () => waitWritable(fd),
    },
    'native writevArgs': {
      call: (bufs) =>
        (bufs.length === 2 ? native.writevArgs(fd, bufs[0], bufs[1]) : native.writevArgs(fd, ...bufs)) !== EAGAIN,
      wait: () => waitWritable(fd),
    },
    'fs.writevSync': {
      call: (bufs) => {
        try {
          fs.writevSync(fd, bufs)
          return true
        } catch (e) {
          if (e.code === 'EAGAIN') return false
          throw e
        }
      },
      wait: () => waitWritable(fd),
    },
    'socket cork/write/uncork': {
      call: (bufs) => {
        socket.cork()
        let ok = true
        for (const b of bufs) ok = socket.write(b)
        socket.uncork()
        return ok
      },
      wait: () => new Promise((r) => socket.once('drain', r)),
    },
  }
}

// A run's figure is the median over its bursts (up to 256 back-to-back
// calls each) of ns per call, so a burst the scheduler interrupted (the
// machines are shared) does not move it much.
async function measure(variant, bufs, ms) {
  let calls = 0
  let full = 0
  const bursts = []
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    const start = process.hrtime.bigint()
    let took = true
    let i = 0
    for (; i < 256 && took; i++) took = variant.call(bufs)
    bursts.push(Number(process.hrtime.bigint() - start) / i)
    calls += i
    if (!took) {
      full++
      await variant.wait()
    }
  }
  return { nsPerCall: median(bursts), calls, full }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

async function main() {
  const { socket, reader, pinned } = await connectReader()
  const all = variants(socket)
  const names = Object.keys(all)
  const shapes = [
    [2, 64],
    [8, 64],
    [2, 16 * 1024],
    [8, 16 * 1024],
  ]
  const rows = []
  for (const [count, size] of shapes) {
    const bufs = Array.from({ length: count }, (_, i) => Buffer.alloc(size, 0x61 + i))
    for (const name of names) await measure(all[name], bufs, RUN_MS / 2) // warm-up
    const results = Object.fromEntries(names.map((n) => [n, []]))
    for (let run = 0; run < RUNS; run++) {
      for (const name of names) results[name].push(await measure(all[name], bufs, RUN_MS))
    }
    rows.push({ shape: `${count} x ${size >= 1024 ? size / 1024 + ' KiB' : size + ' B'}`, results })
  }
  socket.end()
  await new Promise((r) => reader.once('exit', r))

  const fmt = (x) => (x >= 10000 ? Math.round(x).toString() : x.toFixed(0))
  console.log(`native writev micro-benchmark, ${new Date().toISOString().slice(0, 10)}, node ${process.version}, ` +
    `${os.cpus().length} cores, ${RUNS} runs of ${RUN_MS} ms per cell, ` +
    `${pinned ? 'writer on core 0, reader on core 1' : 'not pinned (no taskset)'}`)
  console.log('ns per call, median of runs (min..max of runs); "full" = calls that found the socket full, summed over runs\n')
  console.log(`| buffers | ${names.join(' | ')} |`)
  console.log(`|---|${names.map(() => '---').join('|')}|`)
  for (const row of rows) {
    const cells = names.map((n) => {
      const ns = row.results[n].map((r) => r.nsPerCall)
      const full = row.results[n].reduce((s, r) => s + r.full, 0)
      return `${fmt(median(ns))} (${fmt(Math.min(...ns))}..${fmt(Math.max(...ns))}), full ${full}`
    })
    console.log(`| ${row.shape} | ${cells.join(' | ')} |`)
  }
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
