'use strict'
// Finding (and with --install-peers, installing) the peers the bench
// compares against: bun (npm package, into bench/.peers), nginx and wrk
// (Debian packages). Nothing is assumed to be installed.
const fs = require('node:fs')
const path = require('node:path')
const { spawnSync } = require('node:child_process')

const PEERS_DIR = path.join(__dirname, '..', '.peers')

function run (cmd, args, opts = {}) {
  return spawnSync(cmd, args, { encoding: 'utf8', ...opts })
}

function isElf (file) {
  try {
    const fd = fs.openSync(file, 'r')
    const b = Buffer.alloc(4)
    fs.readSync(fd, b, 0, 4, 0)
    fs.closeSync(fd)
    return b.toString('latin1') === '\x7fELF'
  } catch { return false }
}

function onPath (name) {
  const dirs = (process.env.PATH || '').split(':').concat(['/usr/sbin', '/sbin'])
  for (const d of dirs) {
    const f = path.join(d, name)
    try { fs.accessSync(f, fs.constants.X_OK); return f } catch {}
  }
  return null
}

// The real bun executable (not a JS shim), so its pid is the server's pid.
function findBun () {
  const candidates = []
  const nm = path.join(PEERS_DIR, 'node_modules')
  try {
    for (const d of fs.readdirSync(path.join(nm, '@oven'))) candidates.push(path.join(nm, '@oven', d, 'bin', 'bun'))
  } catch {}
  candidates.push(path.join(nm, 'bun', 'bin', 'bun.exe'), path.join(nm, '.bin', 'bun'))
  const global = onPath('bun')
  if (global) candidates.push(global)
  for (const c of candidates) {
    let real
    try { real = fs.realpathSync(c) } catch { continue }
    if (!isElf(real)) continue
    const v = run(real, ['--version'])
    if (v.status === 0) return { path: real, version: v.stdout.trim() }
  }
  return null
}

function findNginx () {
  const p = onPath('nginx')
  if (!p) return null
  const v = run(p, ['-v'])
  const m = /nginx\/(\S+)/.exec(v.stderr || '')
  return { path: p, version: m ? m[1] : 'unknown' }
}

function findWrk () {
  const p = onPath('wrk')
  if (!p) return null
  const v = run(p, ['-v'])
  const m = /wrk (\S+)/.exec((v.stdout || '') + (v.stderr || ''))
  return { path: p, version: m ? m[1] : 'unknown' }
}

function detectPeers () {
  return { bun: findBun(), nginx: findNginx(), wrk: findWrk() }
}

// --install-peers: bun from npm into bench/.peers, nginx + wrk from apt.
function installPeers (log) {
  const notes = []
  if (!findBun()) {
    log('installing bun (npm) into bench/.peers ...')
    fs.mkdirSync(PEERS_DIR, { recursive: true })
    const pkg = path.join(PEERS_DIR, 'package.json')
    if (!fs.existsSync(pkg)) fs.writeFileSync(pkg, JSON.stringify({ name: 'vectored-bench-peers', private: true }, null, 2) + '\n')
    // a clean environment: pnpm's npm_config_* variables are not npm's
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)))
    const r = run('npm', ['install', '--no-audit', '--no-fund', 'bun@latest'], { cwd: PEERS_DIR, env, stdio: ['ignore', 'inherit', 'inherit'] })
    notes.push(r.status === 0 && findBun() ? `bun ${findBun().version} installed` : `bun install failed (npm exit ${r.status ?? r.error?.message})`)
  }
  const apt = ['nginx', 'wrk'].filter((n) => !(n === 'nginx' ? findNginx() : findWrk()))
  if (apt.length) {
    const sudo = process.getuid && process.getuid() !== 0 ? ['sudo', '-n'] : []
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
    const aptRun = (args) => sudo.length ? run(sudo[0], [...sudo.slice(1), 'apt-get', ...args], { env, stdio: ['ignore', 'inherit', 'inherit'] }) : run('apt-get', args, { env, stdio: ['ignore', 'inherit', 'inherit'] })
    log(`installing ${apt.join(' ')} (apt-get) ...`)
    const u = aptRun(['update'])
    const i = u.status === 0 ? aptRun(['install', '-y', '--no-install-recommends', ...apt]) : u
    notes.push(i.status === 0 ? `${apt.join(', ')} installed (apt-get)` : `apt-get install ${apt.join(' ')} failed (exit ${i.status ?? i.error?.message})`)
  }
  return notes
}

module.exports = { detectPeers, installPeers, PEERS_DIR }
