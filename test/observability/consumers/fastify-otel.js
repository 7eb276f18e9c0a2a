'use strict'
// @fastify/otel on top of @opentelemetry/instrumentation-http, as it is
// deployed: the http server span is the parent, @fastify/otel's request,
// hook and handler spans its children. Reports every finished span with its
// parent's name.
const { modeArg, build, serve, fail } = require('./harness')
const { NodeTracerProvider } = require('@opentelemetry/sdk-trace-node')
const { InMemorySpanExporter, SimpleSpanProcessor } = require('@opentelemetry/sdk-trace-base')
const { registerInstrumentations } = require('@opentelemetry/instrumentation')
const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http')
const { FastifyOtelInstrumentation } = require('@fastify/otel')

const exporter = new InMemorySpanExporter()
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
provider.register()
const fastifyOtel = new FastifyOtelInstrumentation()
registerInstrumentations({ tracerProvider: provider, instrumentations: [new HttpInstrumentation(), fastifyOtel] })

async function main () {
  const app = await build(modeArg())
  await app.register(fastifyOtel.plugin())
  app.addHook('onRequest', async function tagRequest (req) { req.tagged = true })
  app.get('/hello', async () => ({ hello: 'world' }))
  app.get('/users/:id', { preHandler: async function loadUser () {} }, async (req) => ({ id: req.params.id }))
  app.get('/error', async () => { throw new Error('route failed') })
  await serve(app, () => {
    const spans = exporter.getFinishedSpans()
    const byId = new Map(spans.map((s) => [s.spanContext().spanId, s]))
    return spans.map((s) => {
      const parentId = s.parentSpanContext?.spanId ?? s.parentSpanId
      const parent = parentId === undefined ? undefined : byId.get(parentId)
      return {
        name: s.name,
        kind: s.kind,
        parent: parent === undefined ? null : parent.name,
        traceOfParent: parent === undefined ? null : parent.spanContext().traceId === s.spanContext().traceId,
        route: s.attributes['http.route'] ?? null,
        status: s.attributes['http.response.status_code'] ?? null,
        url: s.attributes['url.path'] ?? null,
        errorStatus: s.status.code,
      }
    })
  })
}
main().catch(fail)
