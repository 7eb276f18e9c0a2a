'use strict'
// What the numbers were measured on.
const os = require('node:os')
const path = require('node:path')
const { execFileSync } = require('node:child_process')

function version (pkg) {
  try { return require(`${pkg}/package.json`).version } catch { return null }
}

function gitCommit () {
  try {
    const cwd = path.join(__dirname, '..')
    const sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
    const dirty = execFileSync('git', ['status', '--porcelain', '--', '.'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
    return dirty ? `${sha} (bench/ modified)` : sha
  } catch { return null }
}

// node: the Node the servers ran on ({ version, bin }, --node or this one);
// benchNode is the one running the bench and autocannon.
function machineInfo ({ peers, pinning, clockTicks, argv, loadAtStart, node, nodeRequested = null }) {
  const cpus = os.cpus()
  return {
    cpuModel: cpus[0]?.model?.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30 * 10) / 10,
    kernel: `${os.type()} ${os.release()}`,
    arch: process.arch,
    node: `v${node.version}`,
    nodeRequested, // --node as given, or null
    nodeBinary: node.bin,
    benchNode: process.version,
    fastify: version('fastify'),
    fastifyStatic: version('@fastify/static'),
    autocannon: version('autocannon'),
    bun: peers.bun?.version ?? null,
    nginx: peers.nginx?.version ?? null,
    wrk: peers.wrk?.version ?? null,
    clockTicks,
    loadAverageAtStart: loadAtStart,
    loadAverageAtEnd: os.loadavg().map((x) => Math.round(x * 100) / 100),
    pinning: pinning.note,
    commit: gitCommit(),
    command: ['pnpm bench', ...argv].join(' ').trim()
  }
}

module.exports = { machineInfo }
