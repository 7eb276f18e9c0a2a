/**
 * Clients that send a request and never read (the plugin's server in a
 * child process). Each asks for 8 MiB made of fresh 64 KiB Buffers, so a
 * server that kept producing would grow by 8 MiB per client. The server's
 * RSS growth per client must stay under the documented bound, and the
 * server's idle timeout (Fastify connectionTimeout: 6 s in CI, 30 s at soak
 * size so that all 5,000 are connected before the first times out) must close them all.
 *
 * Bound per connection, live memory (JS heap + Buffers, after gc): the
 * writer's high-water mark (64 KiB) + the chunk that crossed it (64 KiB) +
 * the chunk the source holds over its own 16 KiB mark (64 KiB) = 192 KiB of
 * body bytes, plus 32 KiB for the connection's objects (socket, parser,
 * request, reply, stream) = 224 KiB. RSS growth is reported, not bounded
 * (freed malloc memory stays in RSS). Kernel socket buffers are not counted.
 * Clients that do not read cannot see the close, so it is counted on the
 * server: its fds return to where they were.
 *
 * The server's sockets get a fixed 16 KiB send buffer (SO_SNDBUF; the
 * kernel doubles it). With the kernel's autotuning (up to tcp_wmem's 4 MiB
 * per socket) 5,000 such connections take the machine's TCP memory to its
 * hard limit (tcp_mem): the kernel then holds bytes back, and every
 * connection that closes frees memory that lets the others take a few more
 * bytes. Each write that completes refreshes the socket's idle timer, in
 * stock Node as here, so connections that still make progress are not idle
 * and outlive the timeout (measured with the plugin and with stock Fastify
 * alike; docs/reliability.md). A fixed send buffer keeps every connection's
 * kernel share bounded, so a client that never reads stops the writes for
 * good and the timeout is what closes it.
 *
 * CI: 300 clients (fits the default 1,024 fds). Soak: 5,000.
 */
import t from 'tap'
import * as fs from 'node:fs'
import * as net from 'node:net'
import { startServer } from './helpers/http'
import { fdLimit, size, sleep } from './helpers/common'

const CLIENTS = size(300, 5000)
// Long enough at soak size for all clients to connect before the first times out.
const TIMEOUT_MS = size(6000, 30_000)
const BOUND = 224 * 1024
const SEND_BUFFER = 16 * 1024

/** Pages of memory the kernel's TCP holds now, and its limits (low, pressure, high). */
function tcpMemory(): { pages: number; limits: number[] } {
  const m = /TCP:.* mem (\d+)/.exec(fs.readFileSync('/proc/net/sockstat', 'latin1'))
  const limits = fs.readFileSync('/proc/sys/net/ipv4/tcp_mem', 'latin1').trim().split(/\s+/).map(Number)
  return { pages: m ? Number(m[1]) : NaN, limits }
}

t.test(`${CLIENTS} clients that never read`, async (t) => {
  if (fdLimit() < CLIENTS + 64) return t.fail(`the fd limit ${fdLimit()} is too low for ${CLIENTS} clients`)
  const server = await startServer({ CONNECTION_TIMEOUT: String(TIMEOUT_MS), SEND_BUFFER: String(SEND_BUFFER), BACKLOG: '4096' })
  t.teardown(() => server.stop())
  const before = await server.stats()
  const live = (x: { heapUsed: number; external: number }) => x.heapUsed + x.external
  const sockets: net.Socket[] = []
  let received = 0
  const opened = Date.now()
  for (let i = 0; i < CLIENTS; i++) {
    const socket = net.connect(server.port, '127.0.0.1')
    socket.on('error', () => {})
    socket.write('GET /fresh/8388608 HTTP/1.1\r\nHost: x\r\n\r\n')
    socket.pause() // never read
    socket.on('data', (c: Buffer) => (received += c.length))
    sockets.push(socket)
    if (i % 200 === 199) await sleep(5)
  }
  // Wait until the server holds every connection, then let every response fill its socket and stop.
  let holding = await server.stats()
  while (holding.fds < before.fds + CLIENTS && Date.now() - opened < TIMEOUT_MS * 0.6) {
    await sleep(250)
    holding = await server.stats()
  }
  const allHeldAt = Date.now()
  await sleep(1500)
  const full = await server.stats()
  const measuredAt = Date.now()
  const tcp = tcpMemory()
  t.comment(`kernel TCP memory ${tcp.pages} pages (tcp_mem ${tcp.limits.join(' ')}), ${((allHeldAt - opened) / 1000).toFixed(1)} s to connect ${CLIENTS}`)
  const perClient = (live(full) - live(before)) / CLIENTS
  const rssPerClient = (full.rss - before.rss) / CLIENTS
  t.ok(full.fds >= before.fds + CLIENTS, `the server holds the ${CLIENTS} connections (${full.fds} fds)`)
  t.ok(perClient < BOUND, `live memory ${(perClient / 1024).toFixed(1)} KiB per client, bound ${BOUND / 1024} KiB (RSS ${(rssPerClient / 1024).toFixed(1)} KiB per client)`)
  let after = full
  // Each connection times out TIMEOUT_MS after its last write; the last ones connected at allHeldAt.
  while (after.fds > before.fds && Date.now() - allHeldAt < TIMEOUT_MS + 20_000) {
    await sleep(250)
    after = await server.stats()
  }
  const closedAfter = (Date.now() - opened) / 1000
  t.ok(after.fds <= before.fds, `the idle timeout closed every connection: server fds ${before.fds} -> ${full.fds} -> ${after.fds}, ${closedAfter.toFixed(1)} s after opening`)
  t.ok(Date.now() - measuredAt > 0 && full.fds >= before.fds + CLIENTS, 'none closed before the measurement')
  t.equal(received, 0, 'the clients read nothing')
  t.equal(server.exited, null, 'the server is alive')
  for (const s of sockets) s.destroy()
  t.comment(`${CLIENTS} clients, RSS ${(before.rss / 1048576).toFixed(0)} -> ${(full.rss / 1048576).toFixed(0)} -> ${(after.rss / 1048576).toFixed(0)} MiB, live ${(live(before) / 1048576).toFixed(1)} -> ${(live(full) / 1048576).toFixed(1)} -> ${(live(after) / 1048576).toFixed(1)} MiB; server stats ${JSON.stringify(after.stats)}`)
})
