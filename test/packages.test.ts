import t from 'tap'
import { spawnSync } from 'node:child_process'
import * as path from 'node:path'

// Each package loads with require and with import on this Node, with its
// named exports, and ships its type declarations.
const packages: Record<string, string[]> = {
  '@vectored/native': ['writev', 'writevArgs', 'sendfile', 'waitWritable', 'available', 'reason'],
  '@vectored/core': ['SocketWriter', 'serializeHead', 'advance', 'writeStreamBody', 'writeFileBody', 'stats'],
  '@vectored/server': ['vectored', 'default', 'vectoredServer'],
}

function run(args: string[], input?: string) {
  return spawnSync(process.execPath, args, { cwd: __dirname, input, encoding: 'utf8', timeout: 20_000 })
}

for (const [name, exports] of Object.entries(packages)) {
  t.test(`${name}: require and import give the named exports`, async (t) => {
    const list = JSON.stringify(exports)
    const cjs = run(['-e', `const m = require(${JSON.stringify(name)}); const miss = ${list}.filter((k) => !(k in m)); process.stdout.write(JSON.stringify(miss))`])
    t.equal(cjs.status, 0, cjs.stderr)
    t.same(JSON.parse(cjs.stdout || 'null'), [], 'require: nothing missing')
    const esm = run(['--input-type=module', '-e', `import * as m from ${JSON.stringify(name)}; const miss = ${list}.filter((k) => !(k in m)); process.stdout.write(JSON.stringify(miss))`])
    t.equal(esm.status, 0, esm.stderr)
    t.same(JSON.parse(esm.stdout || 'null'), [], 'import: nothing missing')
    const pkg = require(`${name}/package.json`) as { types: string }
    const types = path.join(path.dirname(require.resolve(`${name}/package.json`)), pkg.types)
    t.ok(require('node:fs').existsSync(types), `${pkg.types} is there`)
  })
}

// engines says the Node lines the tests run on (scripts/node-lines.json),
// the same in every package.
t.test('engines.node admits every pinned Node line and no untested major', async (t) => {
  const root = path.join(__dirname, '..')
  const pinned = require(path.join(root, 'scripts/node-lines.json')) as Record<string, string>
  const range = (require(path.join(root, 'package.json')) as { engines: { node: string } }).engines.node
  for (const name of Object.keys(packages)) {
    t.equal((require(`${name}/package.json`) as { engines: { node: string } }).engines.node, range, `${name} has the root's range`)
  }
  // Each alternative is ^major.minor.patch.
  const alternatives = range.split('||').map((a) => /^\s*\^(\d+)\.(\d+)\.(\d+)\s*$/.exec(a))
  t.ok(alternatives.every((m) => m !== null), `${range} is a list of ^x.y.z`)
  const admits = (version: string) => {
    const [major, minor, patch] = version.split('.').map(Number) as [number, number, number]
    return alternatives.some((m) => m !== null && Number(m[1]) === major && (minor > Number(m[2]) || (minor === Number(m[2]) && patch >= Number(m[3]))))
  }
  for (const version of Object.values(pinned)) t.ok(admits(version), `${range} admits ${version}`)
  t.same(alternatives.map((m) => m?.[1]).sort(), Object.keys(pinned).sort(), 'the majors are the pinned lines')
  t.ok(admits(process.versions.node), `and the running ${process.version}`)
})
