'use strict'
// How long a run takes, and how the quick run fits its time budget.
//
// The quick run is planned after the correctness pass, when the cells to
// time are known: the whole run (start to table) should take about
// BUDGET_S. It uses QUICK (3 rounds, 1 s windows, 1 s warm-up) when that
// fits; otherwise it shortens the warm-up, then the measured window, down to
// MIN_WINDOW each, and only then runs fewer rounds (down to MIN_ROUNDS).
// When even that does not fit, it runs the shortest plan and says so.
// An explicit --rounds, --duration or --warmup turns the budget off.

const QUICK = { rounds: 3, duration: 1, warmup: 1 }
const FULL = { rounds: 5, duration: 5, warmup: 1 }
const BUDGET_S = 150
const MIN_ROUNDS = 2
const MIN_WINDOW = 0.5
// Measured on the 2-core machines: starting and stopping one scenario's
// servers (in parallel, on one core), and writing the results.
const SCENARIO_S = 1.5
const REPORT_S = 0.5
// One idle-10k cell in one round: its server started, 200 + 10,000
// connections opened, 1.5 s of settling, closed (bench/lib/idle.js).
const IDLE_CELL_S = 6

// Seconds the timing pass and the report take from here. loadgen.seconds(s)
// is how long a window asked for s really runs (wrk: whole seconds);
// loadgen.overheadS what each window costs beyond that. cells: windows per
// round (a latency-fixed cell has one per rate); fixedS: seconds per round
// that do not depend on the windows (idle-10k cells, IDLE_CELL_S each).
function estimate ({ cells, scenarios, rounds, duration, warmup, fixedS = 0 }, loadgen) {
  const window = loadgen.seconds(warmup) + loadgen.seconds(duration) + loadgen.overheadS
  return scenarios * SCENARIO_S + rounds * (cells * window + fixedS) + REPORT_S
}

// cells, fixedS: as estimate's; scenarios: scenarios with at least one cell;
// elapsed: seconds the run has taken so far.
// Returns { rounds, duration, warmup, estimate (whole run), fits }.
function fitBudget ({ cells, scenarios, elapsed, fixedS = 0 }, loadgen) {
  const tenths = (x) => Math.floor(x * 10 + 1e-9) / 10
  const clamp = (x, max) => Math.min(max, Math.max(MIN_WINDOW, x))
  let plan
  for (let rounds = QUICK.rounds; rounds >= MIN_ROUNDS; rounds--) {
    const left = BUDGET_S - elapsed - scenarios * SCENARIO_S - REPORT_S
    const perWindow = cells ? (left / rounds - fixedS) / cells - loadgen.overheadS : Infinity
    const duration = loadgen.seconds(tenths(clamp(perWindow - MIN_WINDOW, QUICK.duration)))
    const warmup = loadgen.seconds(tenths(clamp(perWindow - duration, QUICK.warmup)))
    const total = elapsed + estimate({ cells, scenarios, rounds, duration, warmup, fixedS }, loadgen)
    plan = { rounds, duration, warmup, estimate: Math.ceil(total), fits: total <= BUDGET_S }
    if (plan.fits) break
  }
  return plan
}

// What the timing pass will do with these cells (the pending ones), as
// estimate and fitBudget take it. helloTimed: the hello scenario's stock cell
// is among them (latency-fixed then takes its peak from it).
function sizeOf (pending, scenariosByName) {
  const helloTimed = pending.some((c) => c.scenario === 'hello' && c.variant === 'fastify')
  let cells = 0
  let fixedS = 0
  for (const c of pending) {
    const s = scenariosByName[c.scenario]
    if (s.kind === 'idle') fixedS += IDLE_CELL_S
    else cells += s.kind === 'latency' ? s.levels.length : 1
  }
  // latency-fixed without hello measures stock's peak first: one window per round
  if (!helloTimed && pending.some((c) => scenariosByName[c.scenario].kind === 'latency')) cells++
  return { cells, fixedS, scenarios: new Set(pending.map((c) => c.scenario)).size }
}

module.exports = { QUICK, FULL, BUDGET_S, MIN_ROUNDS, MIN_WINDOW, estimate, fitBudget, sizeOf }
