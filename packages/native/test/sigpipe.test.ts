// Writes to a closed peer return -EPIPE/-ECONNRESET and never kill the
// process, even after a 'SIGPIPE' listener was added and removed (which sets
// SIGPIPE back to SIG_DFL). Each case runs in a child node so that a kill
// shows up here as a signal in the result, not as a dead test runner.
import t from 'tap'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { execFileSync } from 'node:child_process'
import { runChild } from './helpers'

const errno = os.constants.errno

// Shared prelude of every child: the addon, SIG_DFL restored for SIGPIPE,
// and a helper that writes until the kernel reports the failure.
const prelude = `
const native = require(process.env.VECTORED_ENTRY)
const net = require('net'), fs = require('fs')
const onPipe = () => {}
process.on('SIGPIPE', onPipe)
process.off('SIGPIPE', onPipe) // SIGPIPE is SIG_DFL from here on
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
async function untilFailure(write) {
  const results = []
  for (let i = 0; i < 200; i++) {
    const n = write()
    results.push(n)
    if (n < 0 && n !== -11) return { last: n, results: results.slice(-3) }
    await sleep(5)
  }
  return { last: 0, results: results.slice(-3) }
}
async function pair(kind) {
  const server = net.createServer()
  let addr
  if (kind === 'unix') {
    addr = require('path').join(require('os').tmpdir(), 'vn-sp-' + process.pid + '.sock')
    fs.rmSync(addr, { force: true })
    await new Promise((r) => server.listen(addr, r))
  } else {
    await new Promise((r) => server.listen(0, '127.0.0.1', r))
    addr = server.address().port
  }
  const accepted = new Promise((r) => server.once('connection', r))
  const writer = kind === 'unix' ? net.connect(addr) : net.connect(addr, '127.0.0.1')
  await new Promise((r) => writer.once('connect', r))
  // Node must not read the writer's side: it would see the peer's FIN or
  // RST, destroy the socket and close the fd under the test (EBADF).
  writer._handle.readStop()
  const peer = await accepted
  server.close()
  writer.on('error', () => {})
  peer.on('error', () => {})
  return { writer, peer, fd: writer._handle.fd }
}
`

function parse(t: { fail(message: string): void }, stdout: string): any {
  const line = stdout.trim().split('\n').pop() ?? ''
  try {
    return JSON.parse(line)
  } catch {
    t.fail(`child printed no result: ${JSON.stringify(stdout)}`)
    return {}
  }
}

t.test('control: with SIG_DFL restored, a plain write to a broken pipe does kill', async (t) => {
  const result = await runChild(`${prelude}
    const dir = fs.mkdtempSync(require('path').join(require('os').tmpdir(), 'vn-fifo-'))
    const fifo = dir + '/f'
    require('child_process').execFileSync('mkfifo', [fifo])
    const reader = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK)
    const writer = fs.openSync(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK)
    fs.closeSync(reader)
    fs.rmSync(dir, { recursive: true })
    try { fs.writeSync(writer, 'x') } catch (e) { console.log(JSON.stringify({ survived: e.code })) }
  `)
  t.equal(result.signal, 'SIGPIPE', 'the child died of SIGPIPE: the setup really restores SIG_DFL')
})

for (const kind of ['tcp', 'unix'] as const) {
  for (const call of ['writev', 'writevArgs', 'sendfile'] as const) {
    t.test(`${kind}: ${call} to a closed peer returns an errno and the process lives`, async (t) => {
      const result = await runChild(`${prelude}
        ;(async () => {
          const { writer, peer, fd } = await pair('${kind}')
          peer.destroy()
          await sleep(20)
          const file = require('path').join(require('os').tmpdir(), 'vn-sp-file-' + process.pid)
          fs.writeFileSync(file, Buffer.alloc(256 * 1024, 7))
          const fileFd = fs.openSync(file, 'r')
          fs.rmSync(file)
          const chunk = Buffer.alloc(16 * 1024, 1)
          const write = {
            writev: () => native.writev(fd, [chunk, chunk]),
            writevArgs: () => native.writevArgs(fd, chunk, chunk),
            sendfile: () => native.sendfile(fd, fileFd, 0, 256 * 1024),
          }['${call}']
          const outcome = await untilFailure(write)
          // After the failure, more writes keep failing without a signal.
          outcome.again = write()
          console.log(JSON.stringify(outcome))
          writer.destroy()
        })()
      `)
      t.equal(result.signal, null, `not killed by a signal (stderr: ${result.stderr})`)
      t.equal(result.code, 0)
      const outcome = parse(t, result.stdout)
      t.ok(
        [-errno.EPIPE, -errno.ECONNRESET].includes(outcome.last),
        `failed with -EPIPE or -ECONNRESET (got ${outcome.last}, last results ${outcome.results})`
      )
      t.ok(outcome.again < 0, `a later write fails too (${outcome.again})`)
    })
  }
}

t.test('FIFO whose reader exited: writev returns -EPIPE and the process lives', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vectored-fifo-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  const fifo = path.join(dir, 'f')
  execFileSync('mkfifo', [fifo])
  const result = await runChild(
    `${prelude}
    ;(async () => {
      const fifo = process.env.FIFO
      // The reader is another process that opens the FIFO, reads one byte and exits.
      const reader = require('child_process').spawn('head', ['-c', '1', fifo], { stdio: ['ignore', 'ignore', 'inherit'] })
      const fd = fs.openSync(fifo, 'w') // blocks until head has opened it
      const first = native.writev(fd, [Buffer.from('ab')])
      await new Promise((r) => reader.once('exit', r))
      const afterExit = native.writev(fd, [Buffer.from('cd')])
      const args = native.writevArgs(fd, Buffer.from('ef'))
      console.log(JSON.stringify({ first, afterExit, args }))
    })()
  `,
    { env: { FIFO: fifo } }
  )
  t.equal(result.signal, null, `not killed by a signal (stderr: ${result.stderr})`)
  t.equal(result.code, 0)
  const outcome = parse(t, result.stdout)
  t.equal(outcome.first, 2, 'the write while the reader is there goes in')
  t.equal(outcome.afterExit, -errno.EPIPE, 'writev after the reader exited: -EPIPE')
  t.equal(outcome.args, -errno.EPIPE, 'writevArgs after the reader exited: -EPIPE')
})

t.test('pipe reader exits in the middle of a blocking write: short count, no death', async (t) => {
  // The kernel raises SIGPIPE here although the write returns a positive
  // (short) count: pipe_write sends it when it finds no reader after having
  // written part of the data.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vectored-fifo-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  const fifo = path.join(dir, 'f')
  execFileSync('mkfifo', [fifo])
  const result = await runChild(
    `${prelude}
    const fifo = process.env.FIFO
    const reader = require('child_process').spawn('head', ['-c', '1000', fifo], { stdio: ['ignore', 'ignore', 'inherit'] })
    const fd = fs.openSync(fifo, 'w') // blocking: writev waits for the reader
    const total = 4 * 1024 * 1024
    const n = native.writev(fd, [Buffer.alloc(total / 2, 1), Buffer.alloc(total / 2, 2)])
    const after = native.writev(fd, [Buffer.from('x')])
    console.log(JSON.stringify({ n, total, after }))
  `,
    { env: { FIFO: fifo } }
  )
  t.equal(result.signal, null, `not killed by a signal (stderr: ${result.stderr})`)
  t.equal(result.code, 0)
  const outcome = parse(t, result.stdout)
  t.ok(outcome.n > 0 && outcome.n < outcome.total, `a short count (${outcome.n} of ${outcome.total})`)
  t.equal(outcome.after, -errno.EPIPE)
})
