/**
 * Soak of the Fastify plugin (server in a child process): autocannon
 * (pipelined, small JSON and 4 KiB vectors) together with clients that
 * disconnect or reset in the middle of 4 MiB responses, clients that read
 * slowly and check every byte, and pipelined bursts that check every
 * response. Afterwards the server's open fds and its live memory after gc
 * (heapUsed + external) must be back within 5 % of where they were after the
 * warm-up, and the server alive; RSS is reported, not checked (allocator and
 * V8 keep freed pages). HEAP_SNAPSHOTS=<dir>: the server writes a heap
 * snapshot there before and after, to diff by constructor.
 *
 * CI: 8 s. Soak: 60 s.
 */
import t from 'tap'
import * as path from 'node:path'
import { exchange, expectedBody, startServer } from './helpers/http'
import { size, sleep } from './helpers/common'

const SECONDS = size(8, 60)
// autocannon is the bench package's dependency; use that copy.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon = require(require.resolve('autocannon', { paths: [path.join(__dirname, '../../bench')] }))

const MiB = 1 << 20

t.test(`soak: ${SECONDS} s of autocannon, disconnecting, slow and pipelining clients`, async (t) => {
  const server = await startServer()
  t.teardown(() => server.stop())
  const port = server.port
  const counts = { disconnected: 0, slowChecked: 0, pipelinedChecked: 0, slowBytes: 0 }
  const errors: string[] = []

  const check = (p: string, r: { status: number; body: Buffer } | undefined, what: string) => {
    const expected = expectedBody(p)!
    if (r === undefined) errors.push(`${what} ${p}: no response`)
    else if (r.status !== 200) errors.push(`${what} ${p}: status ${r.status}`)
    else if (!r.body.equals(expected)) errors.push(`${what} ${p}: body differs (${r.body.length} of ${expected.length} bytes)`)
  }
  const disconnecter = async (deadline: number) => {
    const paths = [`/vector/${4 * MiB}`, `/stream/${4 * MiB}`, '/file']
    while (Date.now() < deadline) {
      const p = paths[Math.floor(Math.random() * paths.length)]!
      await exchange(port, [p], { stopAfter: 1 + Math.floor(Math.random() * 3 * MiB), reset: Math.random() < 0.5 })
      counts.disconnected++
    }
  }
  const slowReader = async (deadline: number) => {
    const paths = [`/stream/${MiB}`, `/vector/${MiB}`, '/file', `/stream/${64 * 1024 + 3}`]
    while (Date.now() < deadline) {
      const p = paths[Math.floor(Math.random() * paths.length)]!
      const x = await exchange(port, [p], { maxPauseMs: 3, timeoutMs: 60_000 })
      check(p, x.responses[0], 'slow reader')
      counts.slowChecked++
      counts.slowBytes += x.responses[0]?.body.length ?? 0
    }
  }
  const pipeliner = async (deadline: number) => {
    const choices = ['/small', '/vector/0', '/vector/1', '/vector/70000', '/stream/10', '/stream/300000', '/file']
    while (Date.now() < deadline) {
      const paths = Array.from({ length: 16 }, () => choices[Math.floor(Math.random() * choices.length)]!)
      const x = await exchange(port, paths, { timeoutMs: 30_000 })
      if (x.responses.length !== paths.length) errors.push(`pipelined burst: ${x.responses.length} of ${paths.length} responses`)
      paths.forEach((p, i) => check(p, x.responses[i], `pipelined #${i}`))
      counts.pipelinedChecked += x.responses.length
    }
  }
  const mix = (seconds: number) => {
    const deadline = Date.now() + seconds * 1000
    const cannon = autocannon({
      url: `http://127.0.0.1:${port}`,
      connections: 16,
      pipelining: 4,
      duration: seconds,
      requests: [{ path: '/small' }, { path: '/vector/4096' }],
    })
    return Promise.all([
      cannon,
      ...Array.from({ length: 4 }, () => disconnecter(deadline)),
      ...Array.from({ length: 4 }, () => slowReader(deadline)),
      ...Array.from({ length: 2 }, () => pipeliner(deadline)),
    ])
  }

  await mix(2) // warm-up: every path, every kind of client
  await sleep(500)
  const before = await server.stats()
  if (process.env.HEAP_SNAPSHOTS) t.comment(`heap snapshot before: ${(await exchange(port, ['/__snapshot'])).responses[0]?.body}`)
  t.ok(before.active, 'the plugin serves (native writer)')
  const [cannon] = await mix(SECONDS)
  t.equal(server.exited, null, 'the server never crashed')
  t.same(errors, [], 'no byte errors on connections that stayed')
  t.equal(cannon.errors, 0, 'autocannon: no socket errors')
  t.equal(cannon.timeouts, 0, 'autocannon: no timeouts')
  t.equal(cannon.non2xx, 0, 'autocannon: every response 2xx')
  t.ok(cannon.requests.total > 0, 'autocannon got responses')
  // Live memory after gc: V8's heap plus memory outside it held by JS objects
  // (`external`, which already includes `arrayBuffers`, i.e. Buffers). RSS is
  // reported but not checked: glibc keeps freed malloc arenas and V8 keeps
  // heap pages, so RSS stays up after a peak of traffic without anything live
  // (docs/reliability.md, "Soak: what is measured").
  const live = (s: { heapUsed: number; external: number }) => s.heapUsed + s.external
  let after = await server.stats()
  // Allow the closed connections and the heap to settle (bounded: 10 s).
  for (let i = 0; i < 20 && (after.fds > before.fds * 1.05 || live(after) > live(before) * 1.05); i++) {
    await sleep(500)
    after = await server.stats()
  }
  if (process.env.HEAP_SNAPSHOTS) t.comment(`heap snapshot after: ${(await exchange(port, ['/__snapshot'])).responses[0]?.body}`)
  const mib = (n: number) => (n / MiB).toFixed(1)
  t.ok(after.fds <= Math.max(before.fds * 1.05, before.fds), `open fds back: ${before.fds} -> ${after.fds}`)
  t.ok(
    live(after) <= live(before) * 1.05,
    `live memory (heapUsed + external) back within 5 %: ${mib(live(before))} -> ${mib(live(after))} MiB`
  )
  t.comment(
    `after gc, before -> after: heapUsed ${mib(before.heapUsed)} -> ${mib(after.heapUsed)} MiB, ` +
      `external ${mib(before.external)} -> ${mib(after.external)} MiB (arrayBuffers ${mib(before.arrayBuffers)} -> ${mib(after.arrayBuffers)}), ` +
      `RSS ${mib(before.rss)} -> ${mib(after.rss)} MiB (not checked; anonymous ${mib(before.rssAnon)} -> ${mib(after.rssAnon)})`
  )
  t.comment(
    `${SECONDS} s: autocannon ${cannon.requests.total} requests (${Math.round(cannon.requests.average)}/s), ` +
      `${counts.disconnected} mid-response disconnects/resets, ${counts.slowChecked} slow reads checked (${(counts.slowBytes / MiB).toFixed(0)} MiB), ` +
      `${counts.pipelinedChecked} pipelined responses checked; server stats ${JSON.stringify(after.stats)}`
  )
})
