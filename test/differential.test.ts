/**
 * Differential harness (test/differential/harness.ts): the same app, built
 * once with the plugin (its default: vectored serves the connections of
 * Fastify's node:http Server) and once without, answers every scenario of
 * test/differential/corpus.ts over raw sockets; the bytes must match exactly
 * (Date masked), and so must whether the server closed the connection.
 */
import t from 'tap'
import { differential } from './differential/harness'
import type { Scenario } from './differential/corpus'

const { list, appsFor, compareAll } = differential(t, { label: 'ours' })

t.test('the corpus holds at least 200 scenarios with distinct names', async (t) => {
  t.ok(list.length >= 200, `${list.length} scenarios`)
  t.equal(new Set(list.map((s: Scenario) => s.name)).size, list.length)
})

t.test('every scenario: same bytes as stock Fastify, Date masked', async (t) => {
  compareAll(t)
})

t.test('the plugin app actually wrote directly', async (t) => {
  const { ours } = await appsFor('default')
  t.match(ours.vectored.reason, /, vectored connections$/)
  const stats = ours.vectored.stats()
  t.ok(stats.directWrites > 100, `${stats.directWrites} direct writes`)
  t.ok(stats.responses > 100, `${stats.responses} responses through the writer`)
  t.ok(stats.sendfileBytes > 16 << 20, `${stats.sendfileBytes} bytes by sendfile`)
  t.ok(stats.earlyWrites > 0, `${stats.earlyWrites} pipelined responses queued before their turn`)
  t.ok(stats.batchedResponses > 0, `${stats.batchedResponses} responses shared a writev`)
})
