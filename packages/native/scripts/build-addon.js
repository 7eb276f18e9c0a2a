'use strict'
// Builds the addon with node-gyp at install time. A failed build is not a
// failed install: @vectored/native then loads with `available: false` and
// @vectored/core uses its portable backend, saying so at start-up.
const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')

const root = path.join(__dirname, '..')
const args = ['rebuild']
// Build against the headers that ship with this Node when they are present,
// so that no header download is ever needed.
const prefix = path.join(path.dirname(process.execPath), '..')
if (!process.env.npm_config_nodedir && fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h'))) {
  args.push(`--nodedir=${prefix}`)
}

let gyp
try {
  gyp = require.resolve('node-gyp/bin/node-gyp.js', { paths: [root] })
} catch {
  gyp = null
}
const result = gyp
  ? spawnSync(process.execPath, [gyp, ...args], { cwd: root, stdio: 'inherit' })
  : spawnSync('node-gyp', args, { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' })

if (result.status !== 0) {
  console.warn(
    '@vectored/native: the addon did not build (see the node-gyp output above). ' +
      'vectored will run on its portable backend, which is slower. ' +
      'Install a C++ toolchain (python3, make, g++) and reinstall to get the native backend.'
  )
}
