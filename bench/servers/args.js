'use strict'
// Shared by the Node servers: port from argv/env, file path from env.
const { parseArgs } = require('node:util')
const path = require('node:path')
const os = require('node:os')
const { FILE_NAME } = require('./payloads')

// Exit when the bench that started us is gone (killed before it could stop us).
function exitWithParent () {
  const parent = process.ppid
  setInterval(() => { if (process.ppid !== parent) process.exit(0) }, 1000).unref()
}

function serverOptions () {
  exitWithParent()
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: process.env.PORT || '0' },
      scenario: { type: 'string', default: process.env.BENCH_SCENARIO || 'all' }
    },
    strict: false
  })
  const file = process.env.BENCH_FILE || path.join(os.tmpdir(), FILE_NAME)
  return { port: Number(values.port), scenario: values.scenario, file, host: '127.0.0.1', path: process.env.LISTEN_PATH || null }
}

// Loopback TCP, or the unix socket LISTEN_PATH when set (the nginx-unix scenario).
function listenOptions (opts) {
  return opts.path ? { path: opts.path } : { port: opts.port, host: opts.host }
}

function readyLine (app) {
  const a = app.server.address()
  return `ready ${typeof a === 'string' ? a : a.port}`
}

module.exports = { serverOptions, listenOptions, readyLine }
