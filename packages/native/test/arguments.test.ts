// Every argument of every function: a TypeError naming it. And hostile
// values that must neither crash the process nor write wrong bytes.
import t from 'tap'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import * as native from '@vectored/native'
import { EBADF } from './helpers'

const badFds = [undefined, null, '3', -1, 1.5, NaN, Infinity, -Infinity, 2 ** 31, 10n, {}, [], true]
const badSizes = [undefined, null, '3', -1, 1.5, NaN, Infinity, 2 ** 53, 10n, {}]

function tempFile(t: { teardown(fn: () => void): void }): { fd: number; read(): Buffer } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vectored-native-'))
  const file = path.join(dir, 'out')
  const fd = fs.openSync(file, 'w+')
  t.teardown(() => {
    fs.closeSync(fd)
    fs.rmSync(dir, { recursive: true, force: true })
  })
  return { fd, read: () => fs.readFileSync(file) }
}

function throwsTypeError(t: any, fn: () => unknown, name: string, what: string) {
  t.throws(fn, { name: 'TypeError', message: new RegExp(`"${name.replace(/[[\]]/g, '\\$&')}"`) }, what)
}

t.test('file descriptor arguments', async (t) => {
  const calls: [string, string, (v: any) => unknown][] = [
    ['writev', 'fd', (v) => native.writev(v, [])],
    ['writevArgs', 'fd', (v) => native.writevArgs(v)],
    ['sendfile', 'socketFd', (v) => native.sendfile(v, 0, 0, 0)],
    ['sendfile', 'fileFd', (v) => native.sendfile(1, v, 0, 0)],
    ['waitWritable', 'fd', (v) => native.waitWritable(v, () => {})],
    ['setSocketBuffers', 'fd', (v) => native.setSocketBuffers(v, 0, 0)],
    ['setMaxSegment', 'fd', (v) => native.setMaxSegment(v, 1024)],
    ['isNonBlocking', 'fd', (v) => native.isNonBlocking(v)],
    ['setNonBlocking', 'fd', (v) => native.setNonBlocking(v)],
  ]
  for (const [fn, name, call] of calls) {
    for (const bad of badFds) throwsTypeError(t, () => call(bad), name, `${fn} ${name}=${String(bad)}`)
  }
})

t.test('the other arguments', async (t) => {
  for (const bad of [undefined, null, 'abc', {}, Buffer.from('a'), new Set(), 5]) {
    throwsTypeError(t, () => native.writev(1, bad as any), 'buffers', `writev buffers=${String(bad)}`)
  }
  for (const bad of [undefined, null, 'abc', {}, [], 5, new ArrayBuffer(4)]) {
    throwsTypeError(t, () => native.writev(1, [Buffer.alloc(1), bad as any]), 'buffers[1]', `writev element ${String(bad)}`)
    throwsTypeError(t, () => native.writevArgs(1, Buffer.alloc(1), bad as any), 'buffers[1]', `writevArgs ${String(bad)}`)
  }
  for (const bad of badSizes) {
    throwsTypeError(t, () => native.sendfile(1, 0, bad as any, 0), 'offset', `sendfile offset=${String(bad)}`)
    throwsTypeError(t, () => native.sendfile(1, 0, 0, bad as any), 'length', `sendfile length=${String(bad)}`)
  }
  for (const bad of [undefined, null, 'f', {}, 1]) {
    throwsTypeError(t, () => native.waitWritable(1, bad as any), 'callback', `waitWritable callback=${String(bad)}`)
  }
  for (const bad of [undefined, -1, 1.5, NaN, 2 ** 31, '1']) {
    throwsTypeError(t, () => native.setSocketBuffers(1, bad as any, 0), 'sendBytes', `sendBytes=${String(bad)}`)
    throwsTypeError(t, () => native.setSocketBuffers(1, 0, bad as any), 'receiveBytes', `receiveBytes=${String(bad)}`)
    throwsTypeError(t, () => native.setMaxSegment(1, bad as any), 'bytes', `setMaxSegment bytes=${String(bad)}`)
  }
})

t.test('argument errors carry code ERR_INVALID_ARG_TYPE', async (t) => {
  t.throws(() => native.writev(-1, []), { code: 'ERR_INVALID_ARG_TYPE' })
})

t.test('hostile numbers are system errors, not crashes', async (t) => {
  t.equal(native.writev(2147483647, [Buffer.from('x')]), EBADF, 'huge fd: -EBADF')
  t.equal(native.writevArgs(2147483647, Buffer.from('x')), EBADF)
  t.equal(native.sendfile(2147483647, 2147483646, 0, 10), EBADF)
  t.equal(native.isNonBlocking(2147483647), EBADF)
  t.equal(native.setNonBlocking(2147483647), EBADF)
  t.equal(native.setSocketBuffers(2147483647, 1, 1), EBADF)
  t.equal(native.isNonBlocking(-0), native.isNonBlocking(0), '-0 is fd 0, as in node:fs')
  t.equal(native.writev(-0, []), 0)
  const { fd } = tempFile(t)
  t.equal(native.setSocketBuffers(fd, 1, 1), -os.constants.errno.ENOTSOCK, 'not a socket: -ENOTSOCK')
  t.equal(native.setMaxSegment(2147483647, 1024), EBADF)
  t.equal(native.setMaxSegment(fd, 1024), -os.constants.errno.ENOTSOCK, 'setMaxSegment, not a socket: -ENOTSOCK')
  t.equal(native.sendfile(fd, fd, 2 ** 53 - 1, 2 ** 53 - 1) < 0, true, 'absurd offset: a negative errno')
})

t.test('detached and zero-length buffers write nothing', async (t) => {
  const { fd, read } = tempFile(t)
  const ab = new ArrayBuffer(8)
  const view = new Uint8Array(ab)
  structuredClone(ab, { transfer: [ab] })
  t.equal(view.length, 0, 'the view is detached')
  t.equal(native.writev(fd, [view, Buffer.from('ok')]), 2)
  t.equal(native.writevArgs(fd, view, new DataView(new ArrayBuffer(0))), 0)
  t.equal(read().toString(), 'ok')
})

t.test('a getter that detaches an earlier element cannot make writev read freed memory', async (t) => {
  const { fd, read } = tempFile(t)
  const first = new Uint8Array(4096).fill(0x41)
  const second = Buffer.from('second')
  const list: Uint8Array[] = [first]
  Object.defineProperty(list, 1, {
    enumerable: true,
    get() {
      structuredClone(first.buffer, { transfer: [first.buffer] })
      return second
    },
  })
  const n = native.writev(fd, list)
  t.equal(n, second.length, 'the detached element counts as empty')
  t.equal(read().toString(), 'second', 'no bytes of the detached buffer were written')
})

t.test('getters that throw, proxies, sparse and huge arrays', async (t) => {
  const { fd, read } = tempFile(t)
  const throwing: Buffer[] = [Buffer.from('a')]
  Object.defineProperty(throwing, 1, {
    get() {
      throw new Error('getter boom')
    },
  })
  t.throws(() => native.writev(fd, throwing), { message: 'getter boom' }, 'the getter error propagates')

  const proxy = new Proxy([Buffer.from('p')], {})
  throwsTypeError(t, () => native.writev(fd, proxy), 'buffers', 'a Proxy is not an Array to V8')
  throwsTypeError(
    t,
    () => native.writev(fd, [new Proxy(Buffer.from('x'), {}) as Buffer]),
    'buffers[0]',
    'a Proxy of a Buffer is not a buffer'
  )
  throwsTypeError(t, () => native.writev(fd, Buffer.alloc(3) as any), 'buffers', 'a Buffer is not an Array')

  // eslint-disable-next-line no-sparse-arrays
  const sparse = [Buffer.from('s'), , Buffer.from('t')] as Buffer[]
  throwsTypeError(t, () => native.writev(fd, sparse), 'buffers[1]', 'a hole is not a buffer')
  const longSparse: Buffer[] = []
  longSparse.length = 2 ** 32 - 1
  throwsTypeError(t, () => native.writev(fd, longSparse), 'buffers[0]', 'length 2^32-1 with holes fails fast')

  const huge = Array.from({ length: 100_000 }, () => Buffer.from('h'))
  t.equal(native.writev(fd, huge), native.iovMax, '100k elements: the first iovMax written')
  // Elements past iovMax are not looked at (see docs/native.md).
  const tailBad = [...huge.slice(0, native.iovMax), 'not a buffer'] as unknown as Buffer[]
  t.equal(native.writev(fd, tailBad), native.iovMax)
  const many = Array.from({ length: 50_000 }, () => Buffer.from('g'))
  t.equal(native.writevArgs(fd, ...many), native.iovMax, '50k arguments: the first iovMax written')
  t.equal(read().length, 3 * native.iovMax)
})

t.test('reentrancy: a getter that calls writev itself', async (t) => {
  const { fd, read } = tempFile(t)
  const list: Buffer[] = [Buffer.from('1')]
  Object.defineProperty(list, 1, {
    get() {
      native.writev(fd, [Buffer.from('inner')])
      return Buffer.from('2')
    },
  })
  t.equal(native.writev(fd, list), 2)
  t.equal(read().toString(), 'inner12', 'the getter ran before the outer write')
})
