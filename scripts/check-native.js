#!/usr/bin/env node
'use strict'
// The native addon is built once, at install, by the Node that ran the
// install; it is an N-API addon, so the same file must load on every line.
// This prints its sha256 once, then per line whether require('@vectored/native')
// loaded that very file (`available`, or `reason` when not) and whether a
// writev through it works. Exits 1 when it does not on some line.
//
//   node scripts/check-native.js [lines...]     (default: every pinned line)
const crypto = require('node:crypto')
const fs = require('node:fs')
const path = require('node:path')
const { spawnSync } = require('node:child_process')
const { PINNED, resolveNode, LineError } = require('./node-lines')

const ROOT = path.join(__dirname, '..')
const ADDON = path.join(ROOT, 'packages', 'native', 'build', 'Release', 'vectored.node')
const FROM = path.join(ROOT, 'test') // a workspace package depending on @vectored/native

// Run by each line's node, from test/: what loaded, and one writev to a file.
const PROBE = `
const fs = require('node:fs'), os = require('node:os'), path = require('node:path')
const native = require('@vectored/native')
const out = { version: process.version, modules: process.versions.modules, napi: process.versions.napi, available: native.available, reason: native.reason }
out.loaded = Object.keys(require.cache).find((f) => f.endsWith('.node')) || null
if (native.available) {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'vectored-native-')), 'w')
  const fd = fs.openSync(file, 'w')
  try { out.wrote = native.writev(fd, [Buffer.from('vec'), Buffer.from('tored')]); out.read = fs.readFileSync(file, 'latin1') } finally { fs.closeSync(fd); fs.rmSync(path.dirname(file), { recursive: true }) }
}
process.stdout.write(JSON.stringify(out))
`

function main () {
  const specs = process.argv.slice(2)
  if (!fs.existsSync(ADDON)) {
    console.log(`native addon: ${path.relative(ROOT, ADDON)} is missing: the install built no addon (a C++ toolchain is needed: python3, make, g++)`)
    return 1
  }
  const sha = crypto.createHash('sha256').update(fs.readFileSync(ADDON)).digest('hex')
  console.log(`native addon: ${path.relative(ROOT, ADDON)} sha256 ${sha}`)
  let bad = 0
  for (const spec of specs.length ? specs : Object.keys(PINNED)) {
    let line
    try { line = resolveNode(spec, { install: true }) } catch (err) {
      if (!(err instanceof LineError)) throw err
      console.log(`native on node ${PINNED[spec] ?? spec}: NOT checked: ${err.message}`)
      bad++
      continue
    }
    const env = { ...process.env }
    delete env.VECTORED_NATIVE // =0 would turn the addon off
    const r = spawnSync(line.bin, ['-e', PROBE], { cwd: FROM, env, encoding: 'utf8', timeout: 60_000 })
    let out = null
    try { out = JSON.parse(r.stdout) } catch {}
    const head = `native on node ${line.version}`
    if (!out) {
      console.log(`${head}: the probe failed (exit ${r.status}${r.signal ? `, ${r.signal}` : ''}): ${(r.stderr || r.error?.message || '').trim().split('\n').slice(0, 3).join(' / ')}`)
      bad++
    } else if (!out.available) {
      console.log(`${head} (NODE_MODULE_VERSION ${out.modules}, N-API ${out.napi}): NOT available: ${out.reason}`)
      bad++
    } else if (!out.loaded || fs.realpathSync(out.loaded) !== fs.realpathSync(ADDON)) {
      console.log(`${head}: loaded ${out.loaded}, not ${ADDON}`)
      bad++
    } else if (out.wrote !== 8 || out.read !== 'vectored') {
      console.log(`${head}: loaded, but writev wrote ${out.wrote} bytes (${JSON.stringify(out.read)}), expected 8 ("vectored")`)
      bad++
    } else {
      console.log(`${head} (NODE_MODULE_VERSION ${out.modules}, N-API ${out.napi}): available, the same file, writev of 2 buffers wrote 8 bytes`)
    }
  }
  return bad ? 1 : 0
}

process.exitCode = main()
