import t from 'tap'
import { execFileSync } from 'node:child_process'
import { runInMicrotask } from '@vectored/core'

t.test('runInMicrotask: in the current microtask checkpoint, in order, before a tick', async (t) => {
  const order: string[] = []
  process.nextTick(() => order.push('tick'))
  runInMicrotask((s: string) => order.push(s), 'a')
  queueMicrotask(() => order.push('queued'))
  runInMicrotask((s: string) => order.push(s), 'b')
  await new Promise((r) => setImmediate(r))
  // In a tap test body (a promise chain), microtasks run before the tick queue is drained.
  t.same(order, ['a', 'queued', 'b', 'tick'])
})

t.test('runInMicrotask: an exception is an uncaught exception, not an unhandled rejection', async (t) => {
  const script = `
    const { runInMicrotask } = require(${JSON.stringify(require.resolve('@vectored/core'))})
    let uncaught = 0, rejections = 0
    process.on('uncaughtException', (err) => { uncaught++; if (err.message !== 'boom') process.exit(3) })
    process.on('unhandledRejection', () => { rejections++ })
    runInMicrotask(() => { throw new Error('boom') }, null)
    setTimeout(() => { console.log(JSON.stringify({ uncaught, rejections })) }, 50)
  `
  const out = execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' })
  t.same(JSON.parse(out), { uncaught: 1, rejections: 0 })
})
