/**
 * The differential corpus (test/differential/corpus.ts) against the plugin
 * with `connections: 'node'`: node:http parses the requests and builds a
 * VectoredResponse per request, whose bytes go through vectored's writer.
 * The bytes must match stock Fastify's exactly (Date masked), and so must
 * whether the server closed the connection.
 */
import t from 'tap'
import { differential } from './differential/harness'

const { list, appsFor, compareAll } = differential(t, { label: 'node-connections', plugin: { connections: 'node' } })

t.test('node:http keeps the connections and the writer writes', async (t) => {
  const { ours } = await appsFor('default')
  t.match(ours.vectored.reason, /node:http connections \(the connections: 'node' option\)$/)
  t.ok(list.length >= 200, `${list.length} scenarios`)
})

t.test('every scenario: same bytes as stock Fastify, Date masked', async (t) => {
  compareAll(t)
})

t.test('the plugin app actually wrote directly', async (t) => {
  const stats = (await appsFor('default')).ours.vectored.stats()
  t.ok(stats.responses > 100, `${stats.responses} responses through the writer`)
  t.ok(stats.earlyWrites > 0, `${stats.earlyWrites} pipelined responses queued before their turn`)
})
