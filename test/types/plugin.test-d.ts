/**
 * Types users get from `await app.register(vectored)`: the options, the reply
 * decorators and app.vectored, by declaration merging into 'fastify'.
 * Checked by `tsc --noEmit -p test/types` (test/types.test.ts): a type that
 * drifts fails the check, and each `@ts-expect-error` fails it when the misuse
 * below it stops being an error.
 */
import Fastify, { type FastifyReply } from 'fastify'
import vectored, { vectored as named, type VectoredOptions, type VectoredStats, type VectoredDecorator, type FileRange } from '@vectored/server'

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false
function assertType<T extends true>(): void {}

async function main(): Promise<void> {
  const app = Fastify()
  await app.register(vectored)
  await app.register(named, { enabled: false })
  const options: VectoredOptions = {}
  await app.register(vectored, options)
  // @ts-expect-error enabled is a boolean
  await app.register(vectored, { enabled: 'yes' })
  await app.register(vectored, { connections: 'node' })
  await app.register(vectored, { connections: 'vectored', enabled: true })
  assertType<Equal<VectoredOptions['connections'], 'vectored' | 'node' | undefined>>()
  // @ts-expect-error connections is 'vectored' or 'node'
  await app.register(vectored, { connections: 'fast' })

  app.get('/v', (_req, reply) => {
    const r = reply.sendVector([Buffer.from('a'), new Uint8Array([98])])
    assertType<Equal<typeof r, FastifyReply>>()
    return r
  })
  app.get('/f', (_req, reply) => {
    const range: FileRange = { start: 0, end: 9 }
    assertType<Equal<ReturnType<FastifyReply['sendFile']>, FastifyReply>>()
    return reply.sendFile('/etc/hostname', range)
  })
  app.get('/misuse', (_req, reply) => {
    // @ts-expect-error sendVector takes an array of buffers, not a string
    reply.sendVector('abc')
    // @ts-expect-error nor an array of numbers
    reply.sendVector([1, 2, 3])
    // @ts-expect-error sendFile takes a path
    reply.sendFile(42)
    // @ts-expect-error range ends are numbers
    reply.sendFile('/etc/hostname', { start: '0' })
    return reply.send()
  })

  const decorator: VectoredDecorator = app.vectored
  assertType<Equal<typeof app.vectored.active, boolean>>()
  assertType<Equal<typeof app.vectored.reason, string>>()
  // @ts-expect-error active is read-only
  app.vectored.active = false

  const stats = app.vectored.stats()
  assertType<Equal<typeof stats, VectoredStats>>()
  assertType<Equal<VectoredStats['batchedResponses'], number>>()
  assertType<Equal<VectoredStats['sendfileBytes'], number>>()
  assertType<Equal<VectoredStats['fallbacks'], Record<string, number>>>()
  // @ts-expect-error no such counter
  void stats.notACounter
  void decorator
}

void main
