#!/usr/bin/env node
'use strict'
// Runs the tap suite (or the files given) on another Node line:
//
//   node scripts/test-line.js <line> [tap options and files...]
//   pnpm test:line 24 test/plugin.test.ts
//
// <line> is a pinned line (20, 22, 24, 26: scripts/node-lines.json), a full
// version or the path of a node binary; a pinned line missing is fetched
// first (scripts/node-lines.js). tap runs with that line's node first on
// the PATH, so tap itself, the test files it spawns (process.execPath) and
// what they spawn in turn run on it. Only tap: the type check of `pnpm test`
// (tsc -p test/tsconfig.json) does not depend on the line and is not rerun.
const fs = require('node:fs')
const path = require('node:path')
const { spawn } = require('node:child_process')
const { resolveNode, LineError } = require('./node-lines')

const ROOT = path.join(__dirname, '..')

function main () {
  const args = process.argv.slice(2).filter((a, i) => !(i === 0 && a === '--')) // pnpm may pass a literal --
  const [spec, ...tapArgs] = args
  if (!spec || spec === '--help' || spec === '-h') {
    process.stdout.write('Usage: node scripts/test-line.js <line: 20|22|24|26, a version or a node path> [tap options and files...]\n')
    process.exitCode = spec ? 0 : 2
    return
  }
  let line
  try { line = resolveNode(spec, { install: true }) } catch (err) {
    if (!(err instanceof LineError)) throw err
    process.stderr.write(`test-line: ${err.message}\n`)
    process.exitCode = 1
    return
  }
  // pnpm's shim for tap, as `pnpm test` runs it: it starts `node` from the PATH.
  const tap = path.join(ROOT, 'node_modules', '.bin', 'tap')
  if (!fs.existsSync(tap)) {
    process.stderr.write('test-line: node_modules/.bin/tap is missing: install the workspace first (npx --yes pnpm@10.34.9 install)\n')
    process.exitCode = 1
    return
  }
  process.stderr.write(`test-line: tap on node ${line.version} (${line.bin})\n`)
  const env = { ...process.env, PATH: [line.dir, path.join(ROOT, 'node_modules', '.bin'), process.env.PATH].join(path.delimiter) }
  const child = spawn(tap, tapArgs, { cwd: ROOT, env, stdio: 'inherit' })
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig))
  child.once('error', (err) => { process.stderr.write(`test-line: cannot start tap: ${err.message}\n`); process.exitCode = 1 })
  child.once('exit', (code, signal) => {
    if (signal) process.stderr.write(`test-line: tap was killed by ${signal}\n`)
    process.exitCode = code ?? 1
  })
}

main()
