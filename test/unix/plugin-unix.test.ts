/**
 * The plugin on a Fastify app listening on a unix socket path: replies go
 * through the writer (Pipe handle, direct writev), byte for byte what stock
 * Fastify sends, with short writes and EAGAIN on a slow client and batched
 * pipelined responses.
 */
import t from 'tap'
import { createHash } from 'node:crypto'
import * as path from 'node:path'
import { bigBody, exchange, maskDate, startApp, tmpDir } from './helpers'

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex')

t.test('unix socket: vectored replies byte for byte as stock Fastify, through the direct path', async (t) => {
  const dir = tmpDir(t, 'vu-')
  const stockSock = path.join(dir, 'stock.sock')
  const vecSock = path.join(dir, 'vec.sock')
  const stock = await startApp(stockSock, false)
  const vec = await startApp(vecSock, true)
  t.teardown(() => Promise.all([stock.app.close(), vec.app.close()]))
  t.equal(vec.app.vectored.active, true, `active: ${vec.app.vectored.reason}`)

  const paths = ['/hello', '/big?size=70000&at=3', '/stream?size=100000&at=5', '/hello', '/big?size=1&at=9&pieces=1', '/missing']
  const before = vec.app.vectored.stats()
  const a = await exchange({ path: stockSock }, paths)
  const b = await exchange({ path: vecSock }, paths)
  const after = vec.app.vectored.stats()
  t.equal(b.length, paths.length)
  for (let i = 0; i < paths.length; i++) {
    t.equal(maskDate(b[i]!.head), maskDate(a[i]!.head), `${paths[i]}: same head`)
    t.ok(b[i]!.body.equals(a[i]!.body), `${paths[i]}: same body`)
  }
  t.ok(after.directWrites > before.directWrites, `direct writes on the unix socket (${after.directWrites - before.directWrites})`)
  t.ok(after.responses - before.responses >= 4, 'the responses went through the writer')
  const pipeFallbacks = Object.keys(after.fallbacks).filter((r) => /pipe|handle/i.test(r) && (after.fallbacks[r]! > (before.fallbacks[r] ?? 0)))
  t.same(pipeFallbacks, [], 'no fallback because of the Pipe handle')
})

t.test('unix socket: large bodies to a slow client resume byte-exact after short writes and EAGAIN', async (t) => {
  const dir = tmpDir(t, 'vu-')
  const sock = path.join(dir, 'vec.sock')
  const vec = await startApp(sock, true)
  t.teardown(() => vec.app.close())
  const before = vec.app.vectored.stats()
  const paths = ['/big?size=8388608&at=11&pieces=64', '/hello', '/big?size=3000000&at=77&pieces=7', '/stream?size=2000000&at=1']
  const clients = await Promise.all([0, 1, 2].map(() => exchange({ path: sock }, paths, { slowMs: 3 })))
  const after = vec.app.vectored.stats()
  for (const responses of clients) {
    t.equal(sha(responses[0]!.body), sha(bigBody(8388608, 11)), '8 MiB vector body')
    t.equal(responses[1]!.body.toString(), '{"hello":"world"}')
    t.equal(sha(responses[2]!.body), sha(bigBody(3000000, 77)), '3 MB vector body')
    t.equal(sha(responses[3]!.body), sha(bigBody(2000000, 1)), 'stream body')
  }
  t.ok(after.shortWrites > before.shortWrites, `short writes (${after.shortWrites - before.shortWrites})`)
  t.ok(after.eagainWaits > before.eagainWaits, `waits for writability (${after.eagainWaits - before.eagainWaits})`)
})

t.test('unix socket: pipelined keep-alive requests come back in order, batched', async (t) => {
  const dir = tmpDir(t, 'vu-')
  const sock = path.join(dir, 'vec.sock')
  const vec = await startApp(sock, true)
  t.teardown(() => vec.app.close())
  const before = vec.app.vectored.stats()
  const paths: string[] = []
  for (let i = 0; i < 64; i++) paths.push(i % 8 === 7 ? `/big?size=${5000 + i}&at=${i}&pieces=3` : '/hello')
  const rounds = await Promise.all([0, 1, 2, 3].map(() => exchange({ path: sock }, paths, { pipelined: true })))
  const after = vec.app.vectored.stats()
  for (const responses of rounds) {
    t.equal(responses.length, 64)
    let ok = true
    for (let i = 0; i < 64; i++) {
      const want = i % 8 === 7 ? bigBody(5000 + i, i) : Buffer.from('{"hello":"world"}')
      if (responses[i]!.status !== 200 || !responses[i]!.body.equals(want)) ok = false
    }
    t.ok(ok, '64 pipelined responses, each the body asked for, in order')
  }
  t.equal(vec.connections(), 4, 'one connection each')
  t.ok(after.batchedResponses > before.batchedResponses, `responses shared a writev (${after.batchedResponses - before.batchedResponses})`)
})
