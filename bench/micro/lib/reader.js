'use strict'
// The micro-benchmarks' socket: a connected loopback TCP socket whose reader
// is another process that drains it as fast as it can. With taskset, this
// process (the writer) is pinned to core 0 and the reader to core 1.
const { execFileSync, spawn } = require('node:child_process')
const net = require('node:net')

function pin(pid, core) {
  try {
    execFileSync('taskset', ['-pc', String(core), String(pid)], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

/**
 * Resolves with { socket, reader, pinned }: the writer's end (no Nagle; an
 * error ends the process), the reader process (it exits when the socket
 * closes) and whether the two were pinned.
 */
async function connectReader() {
  const server = net.createServer()
  await new Promise((r) => server.listen(0, '127.0.0.1', r))
  const port = server.address().port
  const readerScript = `
    const s = require('net').connect(${port}, '127.0.0.1')
    s.on('data', () => {})
    s.on('error', () => {})
    s.on('close', () => process.exit(0))
  `
  const hasTaskset = pin(process.pid, 0)
  const reader = hasTaskset
    ? spawn('taskset', ['-c', '1', process.execPath, '-e', readerScript], { stdio: 'inherit' })
    : spawn(process.execPath, ['-e', readerScript], { stdio: 'inherit' })
  const socket = await new Promise((r) => server.once('connection', r))
  server.close()
  socket.setNoDelay(true)
  socket.on('error', (e) => {
    console.error(e)
    process.exit(1)
  })
  return { socket, reader, pinned: hasTaskset }
}

module.exports = { connectReader }
