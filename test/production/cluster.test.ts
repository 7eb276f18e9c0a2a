/**
 * node:cluster with 2 workers, in both scheduling policies (SCHED_RR: the
 * primary accepts and passes each connection to a worker; SCHED_NONE: every
 * worker accepts on the shared listening socket), in the plugin's default
 * mode and on the transport. Real clients: an undici Pool (keep-alive,
 * GET and POST, small and 64 KiB bodies), node:http without an agent
 * (Connection: close) and raw sockets (keep-alive and one request each),
 * every response checked byte for byte. Each worker then reports through
 * app.vectored.stats() that it served exactly the responses the clients
 * saw with its pid in x-worker, all through the writer: no fallbacks.
 */
import t from 'tap'
import * as http from 'node:http'
import { Pool } from 'undici'
import { HELLO, RawConn, bytesBody, headProblems, serve, PATTERN } from './cluster-helpers'

const POLICIES = [['rr', 2], ['none', 1]] as const // NODE_CLUSTER_SCHED_POLICY, cluster.SCHED_RR / SCHED_NONE
const MODES = ['plugin', 'transport'] as const
const POOL_REQUESTS = 400
const CLOSE_REQUESTS = 60
const RAW_CONNECTIONS = 8
const RAW_PER_CONNECTION = 25

/** Request `i` of the mix: its method, path, body sent and exact answer. */
function mix(i: number): { method: 'GET' | 'POST'; path: string; body?: Buffer; expected: Buffer } {
  const at = (i * 7919) % PATTERN.length
  switch (i % 4) {
    case 0: return { method: 'GET', path: '/hello', expected: Buffer.from(HELLO) }
    case 1: return { method: 'GET', path: `/bytes?n=${65536}&at=${at}`, expected: bytesBody(65536, at) }
    case 2: {
      const body = bytesBody(500 + (i % 5000), at)
      return { method: 'POST', path: '/echo', body, expected: body }
    }
    default: return { method: 'GET', path: `/bytes?n=${i % 3000}&at=${at}`, expected: bytesBody(i % 3000, at) }
  }
}

function nodeHttpClose(port: number, i: number): Promise<{ pid: string; ok: boolean; why: string }> {
  const m = mix(i)
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: m.method, path: m.path, agent: false,
      headers: { connection: 'close', ...(m.body ? { 'content-type': 'application/octet-stream' } : {}) } }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        const body = Buffer.concat(chunks)
        const ok = res.statusCode === 200 && res.headers.connection === 'close' && body.equals(m.expected)
        resolve({ pid: String(res.headers['x-worker']), ok, why: `${m.method} ${m.path}: ${res.statusCode} ${res.headers.connection} ${body.length} bytes` })
      })
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(m.body)
  })
}

for (const [policy, policyValue] of POLICIES) {
  for (const mode of MODES) {
    t.test(`cluster, 2 workers, NODE_CLUSTER_SCHED_POLICY=${policy}, ${mode}`, async (t) => {
      const served = await serve({ mode, workers: 2, policy })
      t.teardown(() => served.stop())
      const { port, pids } = served
      t.equal(pids.length, 2, 'two workers listen')
      t.equal(served.policy, policyValue, `the primary's cluster.schedulingPolicy is ${policyValue}`)
      const seen = new Map<string, number>(pids.map((p) => [String(p), 0]))
      const problems: string[] = []
      const count = (pid: string | undefined, what: string) => {
        if (pid === undefined || !seen.has(pid)) problems.push(`${what}: x-worker ${pid} is not a worker`)
        else seen.set(pid, seen.get(pid)! + 1)
      }

      // Keep-alive: an undici Pool of 16 connections.
      const pool = new Pool(`http://127.0.0.1:${port}`, { connections: 16, pipelining: 1 })
      t.teardown(() => pool.close())
      await Promise.all(Array.from({ length: POOL_REQUESTS }, async (_, i) => {
        const m = mix(i)
        const res = await pool.request({ method: m.method, path: m.path, body: m.body, headers: m.body ? { 'content-type': 'application/octet-stream' } : {} })
        const body = Buffer.from(await res.body.arrayBuffer())
        count(res.headers['x-worker'] as string, `pool ${i}`)
        if (res.statusCode !== 200 || !body.equals(m.expected)) problems.push(`pool ${i} ${m.method} ${m.path}: ${res.statusCode}, ${body.length} bytes`)
      }))

      // Not keep-alive: node:http without an agent, Connection: close, 6 at a time.
      for (let i = 0; i < CLOSE_REQUESTS; i += 6) {
        const results = await Promise.all(Array.from({ length: 6 }, (_, k) => nodeHttpClose(port, i + k)))
        for (const r of results) {
          count(r.pid, 'node:http')
          if (!r.ok) problems.push(`node:http ${r.why}`)
        }
      }

      // Raw sockets, keep-alive: each connection stays on one worker.
      const connWorkers = await Promise.all(Array.from({ length: RAW_CONNECTIONS }, async (_, c) => {
        const conn = new RawConn(port)
        const pidsOnConn = new Set<string>()
        try {
          for (let k = 0; k < RAW_PER_CONNECTION; k++) {
            const m = mix(c * 1000 + k)
            const r = await conn.request(m.method, m.path, { body: m.body })
            pidsOnConn.add(r.headers.get('x-worker')!)
            count(r.headers.get('x-worker'), `raw keep-alive ${c}`)
            for (const p of headProblems(r, m.expected, false)) problems.push(`raw keep-alive ${c}.${k} ${m.path}: ${p}`)
          }
        } finally { conn.close() }
        return pidsOnConn.size
      }))
      t.same(connWorkers, connWorkers.map(() => 1), 'every keep-alive connection is served by one worker throughout')

      // Raw sockets, one request each with Connection: close, until both
      // workers have answered some (SCHED_NONE leaves the split to the kernel).
      let oneShot = 0
      while (oneShot < 40 || ([...seen.values()].some((n) => n === 0) && oneShot < 2000)) {
        const conn = new RawConn(port)
        const m = mix(oneShot * 4 + 1)
        const r = await conn.request(m.method, m.path, { body: m.body, close: true })
        await new Promise((resolve) => (conn.closed ? resolve(null) : conn.socket.once('close', resolve)))
        count(r.headers.get('x-worker'), 'raw close')
        for (const p of headProblems(r, m.expected, true)) problems.push(`raw close ${oneShot}: ${p}`)
        oneShot++
      }

      t.same(problems, [], 'every response byte-correct, every x-worker a worker pid')
      const total = POOL_REQUESTS + CLOSE_REQUESTS + RAW_CONNECTIONS * RAW_PER_CONNECTION + oneShot
      t.equal([...seen.values()].reduce((a, b) => a + b, 0), total, `${total} responses`)
      for (const [pid, n] of seen) t.ok(n > 0, `worker ${pid} served ${n} of them`)

      const reports = await served.stats()
      t.same(reports.map((r) => r.pid).sort(), [...pids].sort(), 'both workers report')
      for (const r of reports) {
        if (policy === 'rr') t.equal(r.listenFd, null, `worker ${r.pid}: no listening fd of its own (the primary accepts and passes each connection)`)
        else t.ok(typeof r.listenFd === 'number' && r.listenFd >= 0, `worker ${r.pid}: accepts on the shared listening socket (fd ${r.listenFd})`)
        t.ok(r.active, `worker ${r.pid}: app.vectored.active (${r.reason})`)
        t.match(r.reason, mode === 'transport' ? /vectored transport/ : /vectored connections/, `worker ${r.pid}: ${mode === 'transport' ? 'the transport' : "the plugin's default mode"}`)
        t.equal(r.stats!.responses, seen.get(String(r.pid)), `worker ${r.pid}: stats().responses equals the responses with its pid`)
        t.same(r.stats!.fallbacks, {}, `worker ${r.pid}: no fallbacks`)
        t.ok(r.stats!.directWrites > 0 && r.stats!.bytes > 0, `worker ${r.pid}: ${r.stats!.directWrites} writev calls, ${r.stats!.bytes} bytes`)
      }
    })
  }
}
