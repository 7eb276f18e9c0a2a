'use strict'
// The micro-benchmarks' command line: numeric options as `--name <number>`.

/** The number after `--name` on the command line, else `fallback`. */
function option(name, fallback) {
  const args = process.argv.slice(2)
  const i = args.indexOf(`--${name}`)
  return i >= 0 ? Number(args[i + 1]) : fallback
}

module.exports = { option }
