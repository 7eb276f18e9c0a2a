/**
 * Every private part of Node the transport relies on is probed once at load
 * (packages/core/src/node-internals.ts). Each is taken away here, in a child
 * process, as a future Node might lack it: `app.register(vectored)` still
 * succeeds, the plugin and vectoredServer() serve through node:http's
 * connections, `app.vectored.reason` and one process warning name what is
 * missing, and no request is lost. The probe's parts are also fed doctored
 * inputs directly.
 */
import t from 'tap'
import { spawnSync } from 'node:child_process'
import * as http from 'node:http'
import * as path from 'node:path'
import { findHTTPParser, findConnectionsList, checkParse, checkSocketMethods, transportInternals, transportMissing } from '@vectored/core'

const dir = path.join(__dirname, 'node-internals')

interface Outcome { version: string; reason: string; active: boolean; warnings: string[]; bodies: number[]; timeout: string; error?: string }

function serve(hide: string, factory: boolean): Outcome {
  const args = ['-r', path.join(dir, 'hide.js'), path.join(dir, 'serve.js'), ...(factory ? ['--factory'] : [])]
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 30_000, env: { ...process.env, VECTORED_TEST_HIDE: hide } })
  const line = r.stdout.trim().split('\n').pop() ?? ''
  try {
    return JSON.parse(line) as Outcome
  } catch {
    return { error: `no outcome: status ${r.status}\n${r.stdout}\n${r.stderr}` } as Outcome
  }
}

t.test(`this Node (${process.version}) has everything the transport needs`, async (t) => {
  t.equal(transportMissing, '', 'nothing missing')
  t.ok(transportInternals !== null, 'parser and ConnectionsList found')
  const out = serve('', false)
  t.equal(out.error, undefined)
  t.equal(out.reason, 'native backend, vectored connections', 'the plugin takes the connections')
  t.same(out.warnings, [], 'no fallback warning')
})

const hidden: Array<[string, string]> = [
  ['parser.consume', 'HTTPParser.prototype.consume()'],
  ['parser.getCurrentBuffer', 'HTTPParser.prototype.getCurrentBuffer()'],
  ['list.active', 'ConnectionsList.prototype.active()'],
  ['http_common', 'the _http_common module'],
]
for (const [hide, named] of hidden) {
  for (const factory of [false, true]) {
    t.test(`without ${named}${factory ? ', on vectoredServer()' : ''}: node:http's connections, said once, nothing lost`, async (t) => {
      const out = serve(hide, factory)
      t.equal(out.error, undefined, 'register, listen and close succeed')
      if (out.error !== undefined) return
      t.ok(out.reason.includes(`node:http connections (the transport needs ${named}`), `reason: ${out.reason}`)
      t.ok(out.active, 'replies still go through the writer')
      t.equal(out.warnings.length, 1, 'one process warning')
      t.ok(out.warnings[0]?.includes(named), `warning: ${out.warnings[0]}`)
      t.same(out.bodies, Array.from({ length: 20 }, (_, i) => i), '20 pipelined requests answered in order')
      t.equal(out.timeout, 'HTTP/1.1 408 Request Timeout', "headersTimeout still applies (node:http's sweep)")
    })
  }
}

t.test('the probe names what a doctored parser or list lacks', async (t) => {
  const missing: string[] = []
  t.equal(findHTTPParser(missing, () => ({ HTTPParser: class {} })), null)
  t.ok(missing.includes('HTTPParser.prototype.consume()') && missing.includes('HTTPParser.kOnHeadersComplete'), missing.join(', '))
  const none: string[] = []
  t.equal(findHTTPParser(none, () => ({})), null)
  t.same(none, ['_http_common.HTTPParser'])

  const noList: string[] = []
  t.equal(findConnectionsList(noList, () => new (class extends http.Server {})()), findConnectionsList([]), 'a real server still yields the list')
  const symbolless: string[] = []
  t.equal(findConnectionsList(symbolless, () => ({ emit() { return true } }) as unknown as http.Server), null)
  t.match(symbolless[0], /http\.server\.connections/)

  // A list that kept its names but no longer reports idle parsers.
  const real = transportInternals!
  const Lying = class extends real.ConnectionsList { override idle() { return [] } }
  const lying: string[] = []
  checkParse(real.HTTPParser, Lying, lying)
  t.same(lying, ['ConnectionsList.idle() holding a parser between messages'])
  const sound: string[] = []
  checkParse(real.HTTPParser, real.ConnectionsList, sound)
  t.same(sound, [], 'the real parser and list pass')

  const socketless: string[] = []
  checkSocketMethods(socketless, { destroySoon() {} })
  t.same(socketless, ['net.Socket.prototype._unrefTimer()'], 'a socket without _unrefTimer is named')
  const socketful: string[] = []
  checkSocketMethods(socketful)
  t.same(socketful, [], "this Node's net.Socket has both")
})
