'use strict'
const { parseArgs } = require('node:util')
const { scenarios } = require('./scenarios')
const { variants } = require('./variants')
const { QUICK, FULL, BUDGET_S, MIN_ROUNDS, MIN_WINDOW } = require('./plan')
const NODE_LINES = require('../../scripts/node-lines.json')

const HELP = `Usage: pnpm bench [-- options]      (or: node bench/run.js [options])

Benchmarks vectored against stock Fastify and peers, side by side.
Default is the quick run, sized to take about ${BUDGET_S} s in all: every scenario but
${scenarios.filter((s) => s.quick === false).map((s) => s.name).join(', ')} (--full or --scenario run those), and
${scenarios.filter((s) => s.quick === 'if-fits').map((s) => s.name).join(', ')} only when the budget has room for them.
It runs ${QUICK.rounds} rounds of ${QUICK.duration} s windows, each after a ${QUICK.warmup} s warm-up, when they fit;
otherwise (many cells, e.g. with the peers installed) it shortens the warm-up,
then the window, to no less than ${MIN_WINDOW} s, then runs ${MIN_ROUNDS} rounds. The plan and its
estimated time are printed after the correctness pass. An explicit --rounds,
--duration or --warmup turns the sizing off; the others then take the defaults below.

Options:
  --full                 every scenario, ${FULL.rounds} rounds x ${FULL.duration} s windows, ${FULL.warmup} s warm-up (the method in docs/benchmark.md)
  --scenario <names>     only these scenarios (comma separated, repeatable)
                         ${scenarios.map((s) => s.name).join(', ')}
  --variant <names>      only these variants (stock fastify is always checked for
                         correctness and timed, as the baseline for ratios, unless
                         --no-baseline) ${variants.map((v) => v.name + (v.optIn ? ' (only when named)' : '')).join(', ')}
  --rounds <n>           interleaved rounds (default ${QUICK.rounds}, --full ${FULL.rounds})
  --duration <s>         measured window in seconds (default ${QUICK.duration}, --full ${FULL.duration})
  --warmup <s>           warm-up before each window (default ${QUICK.warmup}, --full ${FULL.warmup})
  --connections <n>      override every scenario's connection count
  --loadgen <name>       autocannon (default) or wrk (when installed)
  --node <line>          run the Node servers (every variant but Bun and nginx) on
                         another Node: a pinned line, ${Object.keys(NODE_LINES).join(', ')} (scripts/node-lines.json;
                         fetched from npm into .node-lines/ when missing), a full
                         version, or the path of a node binary (absolute, or from
                         the workspace root). The load generator stays on the Node
                         running the bench. Default: that Node. The Node used is in
                         the table's heading, the chart's title and machine.node
  --install-peers        install bun (npm, into bench/.peers), nginx and wrk (apt-get) first
  --no-baseline          do not add stock fastify when --variant leaves it out
  --help                 this text

Output: a table on stdout, progress on stderr, and bench/results/<date>.json
(every raw sample, machine info with the servers' Node) + <date>.html (chart),
copied to latest.*.
`

function fail (msg) {
  const err = new Error(msg)
  err.usage = true
  throw err
}

function list (values, known, what) {
  const names = values.flatMap((v) => v.split(',')).map((s) => s.trim()).filter(Boolean)
  for (const n of names) if (!known.includes(n)) fail(`unknown ${what} "${n}"; known: ${known.join(', ')}`)
  return names
}

function positive (v, what, integer) {
  if (v === undefined) return undefined
  const n = Number(v)
  if (!(n > 0) || (integer && !Number.isInteger(n))) fail(`--${what} must be a positive ${integer ? 'integer' : 'number'}, got "${v}"`)
  return n
}

function parseCli (argv) {
  const { values } = parseArgs({
    args: argv,
    allowPositionals: false,
    options: {
      full: { type: 'boolean', default: false },
      scenario: { type: 'string', multiple: true, default: [] },
      variant: { type: 'string', multiple: true, default: [] },
      rounds: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string' },
      loadgen: { type: 'string', default: 'autocannon' },
      node: { type: 'string' },
      'install-peers': { type: 'boolean', default: false },
      'no-baseline': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false }
    }
  })
  const base = values.full ? FULL : QUICK
  const explicit = ['rounds', 'duration', 'warmup'].some((o) => values[o] !== undefined)
  if (values.node !== undefined && !values.node.trim()) fail('--node needs a Node line (a major, a version or a node path)')
  if (!['autocannon', 'wrk'].includes(values.loadgen)) fail(`--loadgen must be autocannon or wrk, got "${values.loadgen}"`)
  const scenarioNames = list(values.scenario, scenarios.map((s) => s.name), 'scenario')
  let variantNames = list(values.variant, variants.map((v) => v.name), 'variant')
  if (variantNames.length && !values['no-baseline'] && !variantNames.includes('fastify')) variantNames = ['fastify', ...variantNames]
  return {
    help: values.help,
    mode: values.full ? 'full' : 'quick',
    budget: !values.full && !explicit, // the quick run sizes rounds and windows to BUDGET_S (plan.js)
    // without --scenario: the quick run leaves out the rows marked quick: false (scenarios.js), --full runs all
    scenarios: scenarioNames.length ? scenarios.filter((s) => scenarioNames.includes(s.name)) : scenarios.filter((s) => values.full || s.quick !== false),
    variants: variantNames.length ? variants.filter((v) => variantNames.includes(v.name)) : variants.filter((v) => !v.optIn),
    rounds: positive(values.rounds, 'rounds', true) ?? base.rounds,
    duration: positive(values.duration, 'duration', false) ?? base.duration,
    warmup: positive(values.warmup, 'warmup', false) ?? base.warmup,
    connections: positive(values.connections, 'connections', true),
    loadgen: values.loadgen,
    node: values.node ?? null, // resolved by run.js (scripts/node-lines.js)
    installPeers: values['install-peers']
  }
}

module.exports = { parseCli, HELP }
