/**
 * A real nginx (Debian package; installed by the test when missing and
 * possible) in front of a Fastify app with vectored on a unix socket:
 * proxy_pass to unix:, keep-alive upstream connections. nginx is started
 * by the test on loopback with a config it writes, and stopped by it.
 */
import t from 'tap'
import { createHash } from 'node:crypto'
import * as path from 'node:path'
import { bigBody, exchange, findOrInstallNginx, startApp, startNginx, tmpDir } from './helpers'

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex')
// Installing nginx on a fresh machine (apt-get update + install) takes time.
t.setTimeout(240_000)

const nginx = findOrInstallNginx()

t.test('behind nginx over a unix socket', { skip: 'reason' in nginx ? nginx.reason : false }, async (t) => {
  if (!('path' in nginx)) return
  const dir = tmpDir(t, 'vn-')
  const sock = path.join(dir, 'app.sock')
  const app = await startApp(sock, true)
  t.teardown(() => app.app.close())
  const proxy = await startNginx(nginx.path, dir, sock)
  t.teardown(() => proxy.stop())
  const target = { port: proxy.port, host: '127.0.0.1' }

  await t.test('hello, vector, stream and 404 come through unchanged', async (t) => {
    const before = app.app.vectored.stats()
    const responses = await exchange(target, ['/hello', '/big?size=70000&at=3', '/stream?size=100000&at=5', '/missing', '/buffered/hello'])
    t.equal(responses[0]!.status, 200)
    t.equal(responses[0]!.headers.get('content-type'), 'application/json; charset=utf-8')
    t.equal(responses[0]!.body.toString(), '{"hello":"world"}')
    t.ok(responses[1]!.body.equals(bigBody(70000, 3)))
    t.equal(responses[1]!.headers.get('content-length'), '70000')
    t.ok(responses[2]!.body.equals(bigBody(100000, 5)))
    t.equal(responses[3]!.status, 404)
    t.equal(JSON.parse(responses[3]!.body.toString()).statusCode, 404)
    t.equal(responses[4]!.body.toString(), '{"hello":"world"}')
    const after = app.app.vectored.stats()
    t.ok(after.directWrites > before.directWrites, `the app wrote on the unix socket directly (${after.directWrites - before.directWrites})`)
  })

  await t.test('large bodies to slow clients: byte-exact, the app waits on EAGAIN (proxy_buffering off)', async (t) => {
    const before = app.app.vectored.stats()
    const paths = ['/big?size=6291456&at=13&pieces=128', '/hello', '/stream?size=2000000&at=2']
    const clients = await Promise.all([0, 1].map(() => exchange(target, paths, { slowMs: 2, timeoutMs: 60_000 })))
    for (const responses of clients) {
      t.equal(sha(responses[0]!.body), sha(bigBody(6291456, 13)), '6 MiB vector body')
      t.equal(responses[1]!.body.toString(), '{"hello":"world"}')
      t.equal(sha(responses[2]!.body), sha(bigBody(2000000, 2)), 'stream body')
    }
    const buffered = await exchange(target, ['/buffered/big?size=4000000&at=21&pieces=9'], { slowMs: 2, timeoutMs: 60_000 })
    t.equal(sha(buffered[0]!.body), sha(bigBody(4000000, 21)), '4 MB through proxy buffers')
    const after = app.app.vectored.stats()
    t.ok(after.shortWrites > before.shortWrites, `short writes (${after.shortWrites - before.shortWrites})`)
    t.ok(after.eagainWaits > before.eagainWaits, `waits for writability (${after.eagainWaits - before.eagainWaits})`)
  })

  await t.test('pipelined client requests over keep-alive upstream connections', async (t) => {
    const connectionsBefore = app.connections()
    const paths: string[] = []
    for (let i = 0; i < 50; i++) paths.push(i % 5 === 4 ? `/big?size=${30000 + i}&at=${i}&pieces=5` : '/hello')
    const clients = await Promise.all(Array.from({ length: 8 }, () => exchange(target, paths, { pipelined: true })))
    let wrong = 0
    for (const responses of clients) {
      for (let i = 0; i < paths.length; i++) {
        const want = i % 5 === 4 ? bigBody(30000 + i, i) : Buffer.from('{"hello":"world"}')
        if (responses[i]!.status !== 200 || !responses[i]!.body.equals(want)) wrong++
      }
    }
    t.equal(wrong, 0, '400 responses, each the one asked for, in order')
    const opened = app.connections() - connectionsBefore
    t.ok(opened <= 16, `400 requests over ${opened} new upstream connections (keepalive 16)`)
  })
})
