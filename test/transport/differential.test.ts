/**
 * The plugin's differential corpus (test/differential/corpus.ts) against the
 * transport, with the harness of test/differential/harness.ts: the same app
 * built on stock Fastify and on `Fastify({ serverFactory: vectoredServer() })`
 * answers every scenario over raw sockets; the bytes must match exactly (Date
 * masked), and so must whether the server closed the connection.
 */
import t from 'tap'
import { vectoredServer } from '@vectored/server'
import { differential } from '../differential/harness'

const { list, appsFor, compareAll } = differential(t, { label: 'transport', options: () => ({ serverFactory: vectoredServer() }) })

t.test('the transport serves the apps', async (t) => {
  const pair = await appsFor('default')
  t.equal(pair.ours.server.constructor.name, 'TransportServer')
  t.ok(list.length >= 200, `${list.length} scenarios`)
})

t.test('every scenario: same bytes as stock Fastify, Date masked', async (t) => {
  compareAll(t)
})
