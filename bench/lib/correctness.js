'use strict'
// The correctness pass, before any timing: each variant's response to each
// scenario, fetched over a raw socket, against the expected bytes and
// against stock Fastify's response.
const { fetchRaw } = require('./http-raw')
const { requestsOf } = require('./scenarios')

// Headers a non-Fastify peer may add or omit (compared by name, any order).
const PEER_MAY_DIFFER = new Set(['date', 'server', 'connection', 'keep-alive', 'last-modified', 'etag', 'accept-ranges', 'content-length', 'transfer-encoding'])

const lower = (headers) => headers.map(([k, v]) => [k.toLowerCase(), v])
const show = (headers) => headers.map(([k, v]) => `${k}: ${v}`).join(' | ')

function firstDiff (a, b) {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i
  return a.length === b.length ? -1 : n
}

// Problems with one response, [] when it is correct.
// expect: the body's bytes.
function checkResponse (res, scenario, expect, reference, strictHeaders) {
  const problems = []
  if (res.status !== 200) problems.push(`status ${res.status}, expected 200`)
  const body = expect()
  if (!res.body.equals(body)) {
    const at = firstDiff(res.body, body)
    problems.push(`body differs at byte ${at} (got ${res.body.length} bytes, expected ${body.length})`)
  }
  const h = lower(res.headers)
  const date = h.filter(([k]) => k === 'date')
  if (date.length !== 1 || Number.isNaN(Date.parse(date[0][1]))) problems.push(`needs one valid Date header, got ${JSON.stringify(date.map(([, v]) => v))}`)
  const type = h.find(([k]) => k === 'content-type')?.[1]
  if (type !== scenario.type) problems.push(`content-type ${JSON.stringify(type)}, expected ${JSON.stringify(scenario.type)}`)
  if (!reference) return problems

  const ref = lower(reference.headers)
  if (strictHeaders) {
    // Same header lines, same order, same case; only the Date value may differ.
    if (res.statusLine !== reference.statusLine) problems.push(`status line ${JSON.stringify(res.statusLine)}, stock Fastify sends ${JSON.stringify(reference.statusLine)}`)
    // names compared with their case: Node writes Date/Connection/Keep-Alive
    const line = ([k, v]) => k.toLowerCase() === 'date' ? `${k}: *` : `${k}: ${v}`
    const a = res.headers.map(line).join('\n')
    const b = reference.headers.map(line).join('\n')
    if (a !== b) problems.push(`headers differ from stock Fastify: got [${show(res.headers)}], stock [${show(reference.headers)}]`)
  } else {
    // Any order; same values for every header that matters.
    const mine = new Map(h.filter(([k]) => !PEER_MAY_DIFFER.has(k)))
    const theirs = new Map(ref.filter(([k]) => !PEER_MAY_DIFFER.has(k)))
    for (const [k, v] of theirs) if (mine.get(k) !== v) problems.push(`header ${k}: ${JSON.stringify(mine.get(k))}, stock Fastify sends ${JSON.stringify(v)}`)
    for (const [k, v] of mine) if (!theirs.has(k)) problems.push(`extra header ${k}: ${v}`)
  }
  return problems
}

// Fetches one scenario's response(s) from a running server and checks them:
// each of its requests (pipelined `pipelining` times). references: stock
// Fastify's first response to each request, or null (stock itself).
async function checkScenario (port, scenario, references, strictHeaders) {
  const count = scenario.pipelining
  const requests = requestsOf(scenario)
  const problems = []
  const samples = []
  for (const [n, req] of requests.entries()) {
    const which = requests.length > 1 ? `${req.method} ${req.path}: ` : ''
    let responses
    try {
      responses = await fetchRaw(port, req, count, { waitClose: !!scenario.closes })
    } catch (err) {
      problems.push(`${which}fetch failed: ${err.message}`)
      continue
    }
    responses.forEach((res, i) => {
      for (const p of checkResponse(res, scenario, req.expect, references?.[n], strictHeaders)) problems.push(`${which}${count > 1 ? `response ${i + 1}/${count}: ` : ''}${p}`)
    })
    if (scenario.closes && !responses.closed) problems.push(`${which}the server kept the connection open after a Connection: close response`)
    samples.push(responses[0])
  }
  return { ok: problems.length === 0, problems: [...new Set(problems)].slice(0, 5), sample: samples[0], samples }
}

module.exports = { checkScenario, checkResponse }
