'use strict'
// CPU pinning with taskset: server on core 0, load generator on core 1.
const { spawnSync } = require('node:child_process')
const os = require('node:os')

const SERVER_CORE = '0'
const LOAD_CORE = '1'

let state
function pinning () {
  if (state) return state
  const r = spawnSync('taskset', ['-c', LOAD_CORE, 'true'])
  if (r.error) state = { ok: false, note: 'taskset not found (Debian package util-linux): server and load generator are NOT pinned, they share the cores' }
  else if (r.status !== 0) state = { ok: false, note: `taskset -c ${LOAD_CORE} failed (${os.cpus().length} cores?): processes are NOT pinned` }
  else state = { ok: true, note: `server pinned to core ${SERVER_CORE}, load generator to core ${LOAD_CORE} (taskset)` }
  if (os.cpus().length < 2) state.note += `; only ${os.cpus().length} core(s): server and load generator compete`
  return state
}

// [cmd, args] running `cmd args` on the given core when possible.
function pinned (core, cmd, args) {
  return pinning().ok ? ['taskset', ['-c', core, cmd, ...args]] : [cmd, args]
}

module.exports = { pinning, pinned, SERVER_CORE, LOAD_CORE }
