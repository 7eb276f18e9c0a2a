import t from 'tap'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import * as native from '@vectored/native'
import { packageEntry, runChild } from './helpers'

const packageRoot = path.dirname(path.dirname(packageEntry))
const exportNames = [
  'writev',
  'writevArgs',
  'sendfile',
  'waitWritable',
  'setSocketBuffers',
  'isNonBlocking',
  'setNonBlocking',
]

t.test('the addon loads and reports itself available', async (t) => {
  t.equal(native.available, true, native.reason)
  t.equal(native.reason, '')
  t.equal(native.iovMax, 1024)
  t.equal(native.hasSendfile, true)
  t.equal(native.hasWaitWritable, true)
})

t.test('require() exposes every export', async (t) => {
  const result = await runChild(`
    const m = require('@vectored/native')
    console.log(JSON.stringify({ available: m.available, types: ${JSON.stringify(exportNames)}.map((n) => typeof m[n]) }))
  `, { cwd: path.join(packageRoot, '..', '..', 'test') })
  t.equal(result.code, 0, result.stderr)
  const out = JSON.parse(result.stdout)
  t.equal(out.available, true)
  t.same(out.types, exportNames.map(() => 'function'))
})

t.test('ESM import exposes the named exports', async (t) => {
  const names = [...exportNames, 'available', 'reason', 'iovMax']
  const result = await runChild(
    `import { ${names.join(', ')} } from '@vectored/native'
     import * as ns from '@vectored/native'
     console.log(JSON.stringify({ available, reason, iovMax, types: [${exportNames.join(', ')}].map((f) => typeof f),
       written: writev(1, []), keys: Object.keys(ns).sort() }))`,
    { args: ['--input-type=module'], cwd: path.join(packageRoot, '..', '..', 'test') }
  )
  t.equal(result.code, 0, result.stderr)
  const out = JSON.parse(result.stdout)
  t.equal(out.available, true)
  t.equal(out.reason, '')
  t.equal(out.iovMax, 1024)
  t.equal(out.written, 0)
  t.same(out.types, exportNames.map(() => 'function'))
  for (const name of names) t.ok(out.keys.includes(name), `named export ${name}`)
})

const probe = `
  const m = require(process.env.VECTORED_ENTRY)
  let error = null
  try { m.writev(1, []) } catch (e) { error = e.code }
  console.log(JSON.stringify({ available: m.available, reason: m.reason, error, iovMax: m.iovMax, hasSendfile: m.hasSendfile }))
`

t.test('VECTORED_NATIVE=0: not available, with the reason, calls throw a coded error', async (t) => {
  const result = await runChild(probe, { env: { VECTORED_NATIVE: '0' } })
  t.equal(result.code, 0, result.stderr)
  const out = JSON.parse(result.stdout)
  t.equal(out.available, false)
  t.match(out.reason, /VECTORED_NATIVE=0/)
  t.equal(out.error, 'ERR_VECTORED_NATIVE_UNAVAILABLE')
  t.equal(out.hasSendfile, false)
  t.equal(out.iovMax, 1024)
})

t.test('a copy of the package without build/: not available, loading does not throw', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vectored-native-copy-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  fs.cpSync(path.join(packageRoot, 'dist'), path.join(dir, 'dist'), { recursive: true })
  fs.copyFileSync(path.join(packageRoot, 'package.json'), path.join(dir, 'package.json'))
  const entry = path.join(dir, 'dist', 'index.js')
  const missing = await runChild(probe, { env: { VECTORED_ENTRY: entry } })
  t.equal(missing.code, 0, missing.stderr)
  const out = JSON.parse(missing.stdout)
  t.equal(out.available, false)
  t.match(out.reason, /did not load/)
  t.match(out.reason, /vectored\.node/)
  t.equal(out.error, 'ERR_VECTORED_NATIVE_UNAVAILABLE')

  // A file that is there but is no shared object.
  fs.mkdirSync(path.join(dir, 'build', 'Release'), { recursive: true })
  fs.writeFileSync(path.join(dir, 'build', 'Release', 'vectored.node'), 'not an ELF file')
  const corrupt = await runChild(probe, { env: { VECTORED_ENTRY: entry } })
  t.equal(corrupt.code, 0, corrupt.stderr)
  const out2 = JSON.parse(corrupt.stdout)
  t.equal(out2.available, false)
  t.match(out2.reason, /did not load/)
})
