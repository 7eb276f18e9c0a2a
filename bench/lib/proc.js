'use strict'
// Server CPU time and peak RSS from /proc (Linux).
const fs = require('node:fs')
const { execFileSync } = require('node:child_process')

let ticks
function clockTicks () {
  if (ticks === undefined) {
    try { ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100 } catch { ticks = 100 }
  }
  return ticks
}

// utime and stime of all the process's threads, in microseconds.
function cpuTimes (pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  // fields[0] is field 3 (state): utime is field 14, stime field 15
  const us = 1e6 / clockTicks()
  return { user: Number(fields[11]) * us, sys: Number(fields[12]) * us }
}

// utime + stime, in microseconds.
function cpuMicros (pid) {
  const { user, sys } = cpuTimes(pid)
  return user + sys
}

// Peak resident set size (VmHWM) in bytes.
function peakRss (pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8')
  const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(status)
  return m ? Number(m[1]) * 1024 : NaN
}

// Resident set size now (VmRSS) in bytes.
function rss (pid) {
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m ? Number(m[1]) * 1024 : NaN
}

// The process's open file limit ('self' or a pid): { soft, hard } (Infinity when unlimited).
function fdLimit (pid = 'self') {
  const m = /^Max open files\s+(\S+)\s+(\S+)/m.exec(fs.readFileSync(`/proc/${pid}/limits`, 'utf8'))
  const n = (x) => x === 'unlimited' ? Infinity : Number(x)
  return m ? { soft: n(m[1]), hard: n(m[2]) } : { soft: NaN, hard: NaN }
}

// [cmd, args] that runs `cmd args` with its soft open file limit raised to
// at least n (as far as the hard limit allows), through sh's ulimit (Node
// cannot raise its own); unchanged when this process's limit is already n.
function withNofile (n, cmd, args) {
  if (!(fdLimit().soft < n)) return [cmd, args]
  return ['sh', ['-c', 'ulimit -n "$0" 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$@"', String(n), cmd, ...args]]
}

function procAvailable () {
  try { cpuMicros(process.pid); return true } catch { return false }
}

module.exports = { clockTicks, cpuTimes, cpuMicros, peakRss, rss, fdLimit, withNofile, procAvailable }
