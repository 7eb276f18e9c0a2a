'use strict'
// Preloaded (node -r) into every Node server the bench starts, before the
// server's own code: a burst of process.nextTick calls, so that V8 settles
// the feedback of nextTick's tick-object literal before anything else runs.
// Left to chance, some processes end with that literal's feedback slots
// megamorphic and pay about 10% of their CPU on /hello for it (stock
// Fastify and the plugin alike, depending only on how the process started;
// docs/benchmark.md has the evidence). Every Node variant gets the same
// burst, so all start in the same state.
function noop () {}
function burst () {
  for (let i = 0; i < 2000; i++) process.nextTick(noop)
}
for (let k = 0; k < 10; k++) burst()
