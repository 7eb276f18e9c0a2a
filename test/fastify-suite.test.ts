/**
 * A bounded part of Fastify's own test suite, run with @vectored/server
 * registered in every app Fastify builds (test/fastify-suite/run.js), with
 * each owner of the connections (vectored's, the default, and node:http's): the
 * files that exercise replies, hooks, HEAD, streams, trailers, close and
 * pipelining over real sockets. The whole suite, with the stock baseline, is
 * `node test/fastify-suite/run.js` (docs/fastify-compat.md).
 */
import t from 'tap'
import { spawnSync } from 'node:child_process'
import * as path from 'node:path'

const files = [
  'test/reply-code.test.js',
  'test/hooks.test.js',
  'test/http-methods/head.test.js',
  'test/http-methods/get.test.js',
  'test/close.test.js',
  'test/close-pipelining.test.js',
  'test/stream.1.test.js',
  'test/stream.4.test.js',
  'test/stream.5.test.js',
  'test/reply-trailers.test.js',
  'test/reply-early-hints.test.js',
  'test/content-length.test.js',
  'test/max-requests-per-socket.test.js',
  'test/keep-alive-timeout.test.js',
  'test/async-await.test.js',
  'test/404s.test.js',
  'test/buffer.test.js',
  'test/web-api.test.js',
  'test/custom-http-server.test.js',
]

for (const mode of ['vectored', 'node-connections']) {
  t.test(`Fastify tests of replies, hooks, HEAD, streams and close pass with the plugin (mode ${mode})`, async (t) => {
    const runner = path.join(__dirname, 'fastify-suite/run.js')
    const r = spawnSync(process.execPath, [runner, '--mode', mode, ...files], { encoding: 'utf8', timeout: 110_000 })
    const summary = new RegExp(`${mode}: (\\d+) pass, (\\d+) fail`).exec(r.stdout)
    t.ok(summary, `runner summary line\n${r.stdout.slice(-2000)}${r.stderr.slice(-2000)}`)
    if (summary === null) return
    t.ok(Number(summary[1]) >= 300, `${summary[1]} tests passed`)
    if (Number(summary[2]) !== 0) t.comment(r.stdout.slice(-4000))
    t.equal(Number(summary[2]), 0, 'no failures')
    t.equal(r.status, 0, 'runner exit code')
  })
}
