#!/usr/bin/env node
'use strict'
/**
 * Runs Fastify's own test suite (node_modules/fastify/test, with node:test,
 * the runner under Fastify's borp) stock and on the transport (preload.js),
 * and lists the tests that fail only on the transport.
 *
 *   node test/transport/fastify-suite/run.js [--mode stock,transport] [--json out.json] [files...]
 *
 * Needs `pnpm build` (the preload loads packages/server/dist).
 */
const path = require('node:path')
const fs = require('node:fs')
const { run } = require('node:test')

const root = path.join(__dirname, '../../..')
const fastifyDir = path.dirname(require.resolve('fastify/package.json', { paths: [path.join(root, 'packages/server')] }))

function parseArgs (argv) {
  const opts = { modes: ['stock', 'transport'], files: [], json: null, concurrency: 2, timeout: 90_000 }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === '--mode') opts.modes = argv[++i].split(',')
    else if (a === '--json') opts.json = argv[++i]
    else if (a === '--concurrency') opts.concurrency = Number(argv[++i])
    else opts.files.push(a)
  }
  return opts
}

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

function errorText (d) {
  const e = d.details && d.details.error
  if (!e) return ''
  const cause = e.cause ?? e
  return String((cause && (cause.message || cause.code)) || e.message || e).split('\n').slice(0, 3).join(' | ').slice(0, 300)
}

async function runMode (mode, files, opts) {
  process.env.VECTORED_TRANSPORT = mode === 'transport' ? '1' : '0'
  process.env.VECTORED_FASTIFY_DIR = fastifyDir
  process.env.NODE_OPTIONS = `--require ${path.join(__dirname, 'preload.js')}`
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
      if (d.nesting === 0 && d.name && (d.name === d.file || d.name.endsWith(file))) {
        if (event.type === 'test:fail' && ![...results.values()].some((r) => r.file === file)) {
          results.set(`${file} :: (file)`, { status: 'fail', file, error: errorText(d) })
        }
        continue
      }
      let key = `${file} :: ${'  '.repeat(Math.max(0, d.nesting - 1))}${d.name}`
      const n = (seen.get(key) ?? 0) + 1
      seen.set(key, n)
      if (n > 1) key += ` #${n}`
      const status = event.type === 'test:fail' ? 'fail' : d.skip !== undefined ? 'skip' : d.todo !== undefined ? 'todo' : 'pass'
      results.set(key, { status, file, error: status === 'fail' ? errorText(d) : undefined })
    }
  } finally {
    process.chdir(cwd)
  }
  return results
}

function tally (results) {
  const t = { pass: 0, fail: 0, skip: 0, todo: 0 }
  for (const r of results.values()) t[r.status]++
  return t
}

async function main () {
  const opts = parseArgs(process.argv.slice(2))
  const files = opts.files.length > 0 ? opts.files : suiteFiles()
  const byMode = {}
  for (const mode of opts.modes) {
    const t0 = Date.now()
    byMode[mode] = await runMode(mode, files, opts)
    const t = tally(byMode[mode])
    console.log(`${mode}: ${t.pass} pass, ${t.fail} fail, ${t.skip} skipped, ${t.todo} todo (${files.length} files, ${((Date.now() - t0) / 1000).toFixed(0)} s)`)
  }
  const onlyTransport = []
  if (byMode.transport) {
    for (const [key, r] of byMode.transport) {
      if (r.status !== 'fail') continue
      const stock = byMode.stock?.get(key)
      if (!byMode.stock || !stock || stock.status !== 'fail') onlyTransport.push({ key, error: r.error })
    }
    console.log(`\n${onlyTransport.length} tests failing ${byMode.stock ? 'only on the transport' : 'on the transport'}:`)
    for (const f of onlyTransport) console.log(`  ${f.key}\n      ${f.error}`)
  }
  if (opts.json) {
    const out = { fastify: require(path.join(fastifyDir, 'package.json')).version, files, onlyTransport, modes: {} }
    for (const [m, r] of Object.entries(byMode)) out.modes[m] = { tally: tally(r), fail: [...r].filter(([, v]) => v.status === 'fail').map(([k, v]) => ({ key: k, error: v.error })) }
    fs.writeFileSync(opts.json, JSON.stringify(out, null, 2))
  }
  process.exitCode = onlyTransport.length > 0 ? 1 : 0
}

main().catch((err) => { console.error(err); process.exit(2) })
