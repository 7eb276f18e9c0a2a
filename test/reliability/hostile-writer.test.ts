/**
 * Hostile arguments to core's writer and head serializer: refused at the
 * call with a TypeError / Node's error code, nothing written, the connection
 * and the process go on.
 */
import t from 'tap'
import { SocketWriter, serializeHead, type WriterMode } from '@vectored/core'
import { connect, startSink } from '../../packages/core/test/helpers/sockets'

const modes: WriterMode[] = ['native', 'portable', 'stock']

const badPieces: [string, unknown][] = [
  ['a string', 'text'],
  ['a number', 42],
  ['null', null],
  ['undefined', undefined],
  ['a plain object', { byteLength: 3 }],
  ['an ArrayBuffer', new ArrayBuffer(4)],
  ['a Float64Array', new Float64Array(2)],
  ['a DataView', new DataView(new ArrayBuffer(4))],
]

for (const mode of modes) {
  t.test(`${mode}: write() refuses non-Uint8Array pieces at the call, writes nothing, goes on`, async (t) => {
    const sink = await startSink()
    const { socket, peer } = await connect(sink)
    const writer = SocketWriter.of(socket, { mode })
    const chunks: Buffer[] = []
    peer.on('data', (c: Buffer) => chunks.push(c))
    const uncaught: Error[] = []
    const onUncaught = (e: Error) => uncaught.push(e)
    process.on('uncaughtException', onUncaught)
    t.teardown(() => process.removeListener('uncaughtException', onUncaught))
    let doneCalls = 0
    for (const [what, bad] of badPieces) {
      t.throws(
        () => writer.write([Buffer.from('head'), bad as Uint8Array], () => doneCalls++),
        { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' },
        `${what} is refused`
      )
    }
    t.throws(() => writer.write('not an array' as unknown as Uint8Array[]), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' })
    t.equal(writer.pendingBytes, 0, 'nothing queued')
    // Let any flush that was (wrongly) scheduled run.
    await new Promise((r) => setTimeout(r, 30))
    t.same(uncaught, [], 'nothing thrown out of the event loop')
    t.equal(doneCalls, 0, 'refused writes never call back')
    t.equal(writer.writable, true, 'the writer still works')
    await new Promise<void>((resolve) => writer.write([Buffer.from('ok')], () => resolve()))
    socket.end()
    await new Promise((r) => peer.once('end', r))
    t.equal(Buffer.concat(chunks).toString(), 'ok', 'only the valid write reached the peer')
    await sink.close()
  })
}

t.test('native: sendFile() refuses bad fds, offsets and lengths at the call', async (t) => {
  const sink = await startSink()
  const { socket, peer } = await connect(sink)
  const writer = SocketWriter.of(socket)
  const uncaught: Error[] = []
  const onUncaught = (e: Error) => uncaught.push(e)
  process.on('uncaughtException', onUncaught)
  t.teardown(() => process.removeListener('uncaughtException', onUncaught))
  const cases: [string, unknown, unknown, unknown, unknown][] = [
    ['a string fd', [], '3', 0, 1],
    ['a negative fd', [], -1, 0, 1],
    ['a fractional offset', [], 0, 0.5, 1],
    ['a negative length', [], 0, 0, -1],
    ['NaN length', [], 0, 0, NaN],
    ['a string head piece', ['x'], 0, 0, 1],
  ]
  for (const [what, head, fd, offset, length] of cases) {
    t.throws(
      () => writer.sendFile(head as Uint8Array[], fd as number, offset as number, length as number),
      { name: 'TypeError' },
      `${what} is refused`
    )
  }
  t.equal(writer.pendingBytes, 0)
  await new Promise((r) => setTimeout(r, 30))
  t.same(uncaught, [], 'nothing thrown out of the event loop')
  t.equal(writer.writable, true)
  socket.destroy()
  peer.destroy()
  await sink.close()
})

t.test('serializeHead refuses hostile heads with Node\'s codes', async (t) => {
  const cases: [string, () => unknown, string][] = [
    ['CR in a value', () => serializeHead(200, { 'x-a': 'a\rb' }), 'ERR_INVALID_CHAR'],
    ['LF in a value', () => serializeHead(200, { 'x-a': 'a\nSet-Cookie: evil=1' }), 'ERR_INVALID_CHAR'],
    ['CRLF CRLF in a value (splitting)', () => serializeHead(200, { 'x-a': 'a\r\n\r\nHTTP/1.1 200 OK' }), 'ERR_INVALID_CHAR'],
    ['NUL in a value', () => serializeHead(200, { 'x-a': 'a\0b' }), 'ERR_INVALID_CHAR'],
    ['LF in an array value', () => serializeHead(200, { 'x-a': ['ok', 'b\nc'] }), 'ERR_INVALID_CHAR'],
    ['CRLF in a name', () => serializeHead(200, { 'x-a\r\nx-b': 'v' }), 'ERR_INVALID_HTTP_TOKEN'],
    ['space in a name', () => serializeHead(200, { 'x a': 'v' }), 'ERR_INVALID_HTTP_TOKEN'],
    ['colon in a name', () => serializeHead(200, { 'x:a': 'v' }), 'ERR_INVALID_HTTP_TOKEN'],
    ['empty name', () => serializeHead(200, { '': 'v' }), 'ERR_INVALID_HTTP_TOKEN'],
    ['undefined value', () => serializeHead(200, [['x-a', undefined as unknown as string]]), 'ERR_HTTP_INVALID_HEADER_VALUE'],
    ['status 99', () => serializeHead(99), 'ERR_HTTP_INVALID_STATUS_CODE'],
    ['status 1000', () => serializeHead(1000), 'ERR_HTTP_INVALID_STATUS_CODE'],
    ['status NaN', () => serializeHead(NaN), 'ERR_HTTP_INVALID_STATUS_CODE'],
    ['CRLF in the reason', () => serializeHead(200, null, { statusMessage: 'OK\r\nX-Evil: 1' }), 'ERR_INVALID_CHAR'],
  ]
  for (const [what, call, code] of cases) t.throws(call, { code }, what)
  // A status given as a string is coerced to a number (statusCode |= 0, as in
  // Node's writeHead): its characters never reach the status line.
  t.throws(() => serializeHead('200\r\nX-Evil: 1' as unknown as number), { code: 'ERR_HTTP_INVALID_STATUS_CODE' })
  const coerced = serializeHead(' 200\r\n' as unknown as number)
  t.match(coerced.text, /^HTTP\/1\.1 200 OK\r\nDate: [^\r\n]+\r\n/, 'a string status is coerced, its characters never written')
})
