'use strict'
// Where a /hello request's CPU goes: stock Fastify, the plugin and the
// transport next to the floors under them, in one interleaved run (server
// on core 0, load on core 1, as bench/run.js). Each row removes a layer:
//
//   fastify              stock Fastify on node:http
//   fastify-vectored     + the plugin
//   vectored-transport   Fastify on the transport
//   transport-bare       the transport, no Fastify (writeHead + end)
//   node-http            node:http, no Fastify
//   llhttp-consume       Node's parser reading the socket, one writev per request
//   net-naive            a net 'data' handler, one writev per request
//
// CPU per request is utime and stime of the server process over the window
// (/proc/PID/stat), divided by the requests completed. docs/transport.md
// reads the table.
//
//   node bench/micro/floors.js [--rounds 5] [--duration 3] [--connections 64]
const path = require('node:path')
const { parseArgs } = require('node:util')
const { startServer, freePort } = require('../lib/server-process')
const { WrkLoad, AutocannonLoad } = require('../lib/loadgen')
const { cpuTimes } = require('../lib/proc')
const { median } = require('../lib/stats')
const { nodeServerArgs } = require('../lib/variants')
const { detectPeers } = require('../lib/peers')

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    duration: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '1' },
    connections: { type: 'string', default: '64' }
  }
})
const rounds = Number(values.rounds)
const duration = Number(values.duration)
const warmup = Number(values.warmup)
const connections = Number(values.connections)

const servers = path.join(__dirname, '..', 'servers')
const floors = path.join(__dirname, 'floors')
const variants = [
  ['fastify', path.join(servers, 'fastify.js')],
  ['fastify-vectored', path.join(servers, 'fastify-vectored.js')],
  ['vectored-transport', path.join(servers, 'vectored-transport.js')],
  ['transport-bare', path.join(floors, 'transport-bare.js')],
  ['node-http', path.join(servers, 'node-http.js')],
  ['llhttp-consume', path.join(floors, 'llhttp-consume.js')],
  ['net-naive', path.join(floors, 'net-naive.js')]
]

async function main () {
  const wrk = detectPeers().wrk
  const load = wrk && wrk.path ? new WrkLoad(wrk.path) : new AutocannonLoad()
  await load.start()
  const samples = new Map(variants.map(([name]) => [name, []]))
  console.error(`floors: ${rounds} rounds x ${duration} s, ${connections} connections, load: ${load.name}`)
  try {
    for (let r = 0; r < rounds; r++) {
      for (const [name, file] of variants) {
        const server = await startServer({ cmd: process.execPath, args: nodeServerArgs(file), readyBy: 'connect', cwd: path.dirname(file) }, await freePort())
        if (server.status !== 'ready') throw new Error(`${name}: ${server.reason}`)
        try {
          let before
          const result = await load.run({ port: server.port, route: '/hello', connections, pipelining: 1, warmup, duration },
            () => { before = cpuTimes(server.pid) })
          const after = cpuTimes(server.pid)
          if (result.non2xx || result.errors || result.timeouts) throw new Error(`${name}: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts`)
          const n = result.requests
          samples.get(name).push({ rps: n / result.seconds, user: (after.user - before.user) / n, sys: (after.sys - before.sys) / n })
        } finally {
          await server.stop()
        }
        process.stderr.write('.')
      }
    }
  } finally {
    await load.close()
  }
  process.stderr.write('\n')
  const base = median(samples.get('fastify').map((s) => s.user + s.sys))
  const row = (...c) => console.log(c[0].padEnd(20) + c.slice(1).map((x) => String(x).padStart(11)).join(''))
  row('server', 'req/s', 'user us', 'sys us', 'CPU us/req', 'vs stock')
  for (const [name] of variants) {
    const s = samples.get(name)
    const total = median(s.map((x) => x.user + x.sys))
    row(name, `${(median(s.map((x) => x.rps)) / 1000).toFixed(1)}k`, median(s.map((x) => x.user)).toFixed(1),
      median(s.map((x) => x.sys)).toFixed(1), total.toFixed(1), `${(total / base).toFixed(2)}x`)
  }
}

main().catch((err) => { console.error(err); process.exit(1) })
