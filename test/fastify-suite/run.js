#!/usr/bin/env node
'use strict'
/**
 * Runs Fastify's own test suite (the fastify that @vectored/server depends on)
 * with node:test, the runner under Fastify's `borp`, in each mode asked for:
 * `stock`, `vectored` (@vectored/server registered in every app),
 * `node-connections` (the same with `{ connections: 'node' }`) and
 * `transport` (every app on `serverFactory: vectoredServer()`), through
 * preload.js, and prints the tests that fail in a mode of ours but not stock.
 *
 *   node test/fastify-suite/run.js                              # stock and the plugin
 *   node test/fastify-suite/run.js --mode stock,transport       # stock and the transport
 *   node test/fastify-suite/run.js --mode vectored --json out.json test/reply-code.test.js ...
 *
 * Needs `pnpm build` (the preload loads packages/server/dist).
 */
const path = require('node:path')
const fs = require('node:fs')
const { run } = require('node:test')

const root = path.join(__dirname, '../..')
const fastifyDir = path.dirname(require.resolve('fastify/package.json', { paths: [path.join(root, 'packages/server')] }))

const modes = ['stock', 'vectored', 'node-connections', 'transport']

function parseArgs (argv) {
  const opts = { modes: ['stock', 'vectored'], files: [], json: null, concurrency: 2, timeout: 90_000 }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === '--mode') {
      opts.modes = argv[++i].split(',')
      const unknown = opts.modes.filter((m) => !modes.includes(m))
      if (unknown.length > 0) throw new Error(`unknown mode ${unknown.join(', ')}: the modes are ${modes.join(', ')}`)
    }
    else if (a === '--json') opts.json = argv[++i]
    else if (a === '--concurrency') opts.concurrency = Number(argv[++i])
    else if (a === '--timeout') opts.timeout = Number(argv[++i])
    else opts.files.push(a)
  }
  return opts
}

/** Every test file of the suite, as borp finds them (.borp.yaml: test/**\/*.test.{js,mjs}). */
function suiteFiles () {
  const out = []
  const walk = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name)
      if (e.isDirectory()) walk(p)
      else if (/\.test\.(js|mjs)$/.test(e.name)) out.push(path.relative(fastifyDir, p))
    }
  }
  walk(path.join(fastifyDir, 'test'))
  return out.sort()
}

/** Runs the files in one mode; resolves to Map<key, {status, file, name, error}>. */
async function runMode (mode, files, opts) {
  process.env.VECTORED_SUITE = mode
  process.env.VECTORED_FASTIFY_DIR = fastifyDir
  const preload = `--require ${path.join(__dirname, 'preload.js')}`
  process.env.NODE_OPTIONS = [process.env.NODE_OPTIONS_BASE ?? '', preload].join(' ').trim()
  process.env.NODE_PATH = path.join(root, 'test/node_modules')
  const cwd = process.cwd()
  process.chdir(fastifyDir)
  const results = new Map()
  const seen = new Map()
  try {
    const stream = run({ files: files.map((f) => path.join(fastifyDir, f)), concurrency: opts.concurrency, timeout: opts.timeout })
    for await (const event of stream) {
      if (event.type !== 'test:pass' && event.type !== 'test:fail') continue
      const d = event.data
      const file = d.file ? path.relative(fastifyDir, d.file) : '?'
      // The file itself is reported as a test at nesting 0; count the tests inside it,
      // except when the file failed before any test ran (then it counts as one failure).
      if (d.nesting === 0 && d.name && (d.name === d.file || d.name.endsWith(file))) {
        if (event.type === 'test:fail' && ![...results.values()].some((r) => r.file === file)) {
          results.set(`${file} :: (file)`, { status: 'fail', file, name: '(file)', error: errorText(d) })
        }
        continue
      }
      let key = `${file} :: ${'  '.repeat(Math.max(0, d.nesting - 1))}${d.name}`
      const n = (seen.get(key) ?? 0) + 1
      seen.set(key, n)
      if (n > 1) key += ` #${n}`
      const status = event.type === 'test:fail' ? 'fail' : d.skip !== undefined ? 'skip' : d.todo !== undefined ? 'todo' : 'pass'
      results.set(key, { status, file, name: d.name, error: status === 'fail' ? errorText(d) : undefined })
    }
  } finally {
    process.chdir(cwd)
  }
  return results
}

function errorText (d) {
  const e = d.details && d.details.error
  if (!e) return ''
  const cause = e.cause ?? e
  return String((cause && (cause.message || cause.code)) || e.message || e).split('\n').slice(0, 3).join(' | ').slice(0, 300)
}

function tally (results) {
  const t = { pass: 0, fail: 0, skip: 0, todo: 0 }
  for (const r of results.values()) t[r.status]++
  return t
}

async function main () {
  const opts = parseArgs(process.argv.slice(2))
  const files = opts.files.length > 0 ? opts.files : suiteFiles()
  const started = Date.now()
  const byMode = {}
  for (const mode of opts.modes) {
    const t0 = Date.now()
    byMode[mode] = await runMode(mode, files, opts)
    const t = tally(byMode[mode])
    console.log(`${mode}: ${t.pass} pass, ${t.fail} fail, ${t.skip} skipped, ${t.todo} todo (${files.length} files, ${((Date.now() - t0) / 1000).toFixed(0)} s)`)
  }
  // Tests that fail in a mode of ours but not stock.
  const only = {}
  for (const mode of opts.modes.filter((m) => m !== 'stock')) {
    only[mode] = []
    for (const [key, r] of byMode[mode]) {
      if (r.status !== 'fail') continue
      const stock = byMode.stock ? byMode.stock.get(key) : undefined
      if (!stock || stock.status !== 'fail') only[mode].push({ key, error: r.error })
    }
    const label = byMode.stock ? `failing only in mode ${mode}` : `failing in mode ${mode}`
    console.log(`\n${only[mode].length} tests ${label}:`)
    for (const f of only[mode]) console.log(`  ${f.key}\n      ${f.error}`)
  }
  if (opts.json) {
    const out = { fastify: require(path.join(fastifyDir, 'package.json')).version, files, seconds: (Date.now() - started) / 1000, only, modes: {} }
    for (const [m, r] of Object.entries(byMode)) out.modes[m] = { tally: tally(r), fail: [...r].filter(([, v]) => v.status === 'fail').map(([k, v]) => ({ key: k, error: v.error })) }
    fs.writeFileSync(opts.json, JSON.stringify(out, null, 2))
  }
  console.log(`\ntotal ${((Date.now() - started) / 1000).toFixed(0)} s`)
  process.exitCode = Object.values(only).some((list) => list.length > 0) ? 1 : 0
}

main().catch((err) => { console.error(err); process.exit(2) })
