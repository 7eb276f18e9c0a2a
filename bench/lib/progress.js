'use strict'
// Progress on stderr: one rewritten line on a terminal, plain lines otherwise.
const tty = process.stderr.isTTY
const started = Date.now()
let open = false

const stamp = () => `[${String(Math.round((Date.now() - started) / 1000)).padStart(3)} s]`

function status (text) {
  if (tty) { process.stderr.write(`\r\x1b[K${stamp()} ${text}`); open = true }
}

function log (text) {
  if (open) { process.stderr.write('\r\x1b[K'); open = false }
  process.stderr.write(`${stamp()} ${text}\n`)
}

// On a terminal every step; elsewhere only the steps marked important.
function step (text, important) {
  if (tty) status(text)
  else if (important) log(text)
}

function done () { if (open) { process.stderr.write('\r\x1b[K'); open = false } }

module.exports = { step, log, done }
