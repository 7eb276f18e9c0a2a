/**
 * Two independent processes (no node:cluster) each listening on the same
 * port with listen({ reusePort: true }) (SO_REUSEPORT: the kernel spreads
 * new connections across the listening sockets), in the plugin's default
 * mode and on the transport. Both receive connections; every response is
 * byte-correct; each process's app.vectored.stats() counts exactly the
 * responses seen with its pid, with no fallbacks.
 *
 * net.Server's reusePort came in Node 23.1.0 and 22.12.0; older lines ignore
 * the option (the second listen fails with EADDRINUSE). Whether the running
 * line has it is probed by doing it, not by its version.
 */
import t from 'tap'
import * as net from 'node:net'
import { Pool } from 'undici'
import { HELLO, RawConn, bytesBody, headProblems, serve } from './cluster-helpers'

/** Two net.Servers of this process on one port with reusePort: '' when both listen, else why not. */
async function reusePortMissing(): Promise<string> {
  const listen = (server: net.Server, port: number) => new Promise<string>((resolve) => {
    server.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message))
    server.listen({ port, host: '127.0.0.1', reusePort: true } as net.ListenOptions, () => resolve(''))
  })
  const a = net.createServer()
  const b = net.createServer()
  try {
    const first = await listen(a, 0)
    if (first !== '') return `listen({ reusePort: true }) failed: ${first}`
    const second = await listen(b, (a.address() as net.AddressInfo).port)
    return second === '' ? '' : `a second listen({ reusePort: true }) on the same port failed with ${second}: Node ${process.version}'s net.Server has no reusePort (added in v23.1.0 and v22.12.0)`
  } finally {
    a.close()
    if (b.listening) b.close()
  }
}

const CONNECTIONS = 200
const POOL_REQUESTS = 300

t.test('listen({ reusePort: true }) in two processes', async (t) => {
  const missing = await reusePortMissing()
  if (missing !== '') { t.pass(missing, { skip: true }); return }
  for (const mode of ['plugin', 'transport'] as const) {
    t.test(mode, async (t) => {
      const a = await serve({ mode, workers: 0, reusePort: true })
      t.teardown(() => a.stop())
      const b = await serve({ mode, workers: 0, reusePort: true, port: a.port })
      t.teardown(() => b.stop())
      t.equal(b.port, a.port, 'both listen on one port')
      const port = a.port
      const seen = new Map<string, number>([[String(a.pids[0]), 0], [String(b.pids[0]), 0]])
      const problems: string[] = []
      const count = (pid: string | undefined) => {
        if (pid === undefined || !seen.has(pid)) problems.push(`x-worker ${pid} is neither process`)
        else seen.set(pid, seen.get(pid)! + 1)
      }

      // One request per connection, 8 at a time: each new connection is the kernel's to place.
      for (let i = 0; i < CONNECTIONS; i += 8) {
        await Promise.all(Array.from({ length: 8 }, async (_, k) => {
          const n = ((i + k) * 37) % 5000
          const conn = new RawConn(port)
          try {
            const r = await conn.request('GET', `/bytes?n=${n}&at=${i + k}`, { close: true })
            count(r.headers.get('x-worker'))
            for (const p of headProblems(r, bytesBody(n, i + k), true)) problems.push(`connection ${i + k}: ${p}`)
          } finally { conn.close() }
        }))
      }
      // Keep-alive: an undici Pool of 8 connections.
      const pool = new Pool(`http://127.0.0.1:${port}`, { connections: 8 })
      t.teardown(() => pool.close())
      await Promise.all(Array.from({ length: POOL_REQUESTS }, async (_, i) => {
        const res = await pool.request({ method: 'GET', path: i % 2 === 0 ? '/hello' : `/bytes?n=65536&at=${i}` })
        const body = Buffer.from(await res.body.arrayBuffer())
        count(res.headers['x-worker'] as string)
        if (res.statusCode !== 200 || !body.equals(i % 2 === 0 ? Buffer.from(HELLO) : bytesBody(65536, i))) problems.push(`pool ${i}: ${res.statusCode}, ${body.length} bytes`)
      }))

      t.same(problems, [], `${CONNECTIONS + POOL_REQUESTS} responses, every one byte-correct from one of the two processes`)
      for (const [pid, n] of seen) t.ok(n > 0, `process ${pid} served ${n}`)
      for (const s of [a, b]) {
        const [r] = await s.stats()
        t.equal(r!.stats!.responses, seen.get(String(r!.pid)), `process ${r!.pid}: stats().responses equals the responses with its pid`)
        t.same(r!.stats!.fallbacks, {}, `process ${r!.pid}: no fallbacks (${r!.reason})`)
      }
    })
  }
})
