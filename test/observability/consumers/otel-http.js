'use strict'
// @opentelemetry/instrumentation-http with the Node tracer provider and an
// in-memory exporter, registered before fastify is required. Reports the
// finished spans (server and client) with the attributes tests compare.
const { modeArg, build, serve, fail } = require('./harness')
const { NodeTracerProvider } = require('@opentelemetry/sdk-trace-node')
const { InMemorySpanExporter, SimpleSpanProcessor } = require('@opentelemetry/sdk-trace-base')
const { registerInstrumentations } = require('@opentelemetry/instrumentation')
const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http')
const { SpanKind } = require('@opentelemetry/api')

const exporter = new InMemorySpanExporter()
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
provider.register()
registerInstrumentations({ tracerProvider: provider, instrumentations: [new HttpInstrumentation()] })

const KEPT = ['http.request.method', 'http.response.status_code', 'http.route', 'url.path', 'url.query', 'url.scheme',
  'server.address', 'server.port', 'network.protocol.version', 'http.method', 'http.status_code', 'http.target', 'http.url', 'http.scheme']

async function main () {
  const app = await build(modeArg())
  app.get('/hello', async () => ({ hello: 'world' }))
  app.get('/users/:id', async (req) => ({ id: req.params.id }))
  app.post('/created', async (_req, reply) => { reply.code(201); return { made: true } })
  app.get('/error', async () => { throw new Error('route failed') })
  await serve(app, () => exporter.getFinishedSpans().map((s) => {
    const attributes = {}
    for (const k of KEPT) if (k in s.attributes) attributes[k] = s.attributes[k]
    return { kind: s.kind === SpanKind.SERVER ? 'server' : s.kind, name: s.name, status: s.status.code, attributes, ended: s.ended }
  }))
}
main().catch(fail)
