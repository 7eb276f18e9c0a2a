'use strict'
// @sentry/node initialised before fastify is required, with a transport that
// keeps each envelope in memory (nothing is sent; the DSN's host is never
// dialled). An onRequest hook tags the request's scope with its x-request-tag
// header; /fail waits (so concurrent requests overlap), reads the tag back
// and throws. Reports the error events: their request data, tags and extra.
const { modeArg, build, serve, fail } = require('./harness')
const Sentry = require('@sentry/node')

const envelopes = []
Sentry.init({
  dsn: 'https://public@127.0.0.1:9/1',
  tracesSampleRate: 0,
  transport: (options) => Sentry.createTransport(options, async (request) => {
    envelopes.push(typeof request.body === 'string' ? request.body : Buffer.from(request.body).toString('utf8'))
    return { statusCode: 200 }
  }),
})

function events () {
  const out = []
  for (const text of envelopes) {
    const lines = text.split('\n')
    for (let i = 1; i + 1 < lines.length; i += 2) {
      const header = JSON.parse(lines[i])
      if (header.type === 'event') out.push(JSON.parse(lines[i + 1]))
    }
  }
  return out
}

async function main () {
  const app = await build(modeArg())
  Sentry.setupFastifyErrorHandler(app)
  app.addHook('onRequest', async (req) => { Sentry.setTag('request-tag', req.headers['x-request-tag']) })
  app.get('/fail', async (req) => {
    await new Promise((resolve) => setTimeout(resolve, Number(req.query.wait ?? 0)))
    Sentry.setExtra('tag-in-handler', Sentry.getIsolationScope().getScopeData().tags['request-tag'])
    throw new Error(`route failed for ${req.headers['x-request-tag']}`)
  })
  app.get('/hello', async () => ({ hello: 'world' }))
  await serve(app, async () => {
    await Sentry.flush(2000)
    return events().map((e) => ({
      message: e.exception?.values?.[0]?.value ?? null,
      type: e.exception?.values?.[0]?.type ?? null,
      handled: e.exception?.values?.[0]?.mechanism?.handled ?? null,
      request: e.request ? { method: e.request.method, url: e.request.url, query: e.request.query_string ?? null, tagHeader: e.request.headers?.['x-request-tag'] ?? null } : null,
      tags: e.tags ?? {},
      extra: e.extra ?? {},
      transaction: e.transaction ?? null,
    }))
  })
}
main().catch(fail)
