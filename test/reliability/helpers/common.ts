/**
 * Shared by the reliability tests: the size knob (CI or soak), waiting for
 * conditions, callbacks that count their calls, and a watch on uncaught
 * exceptions (a test fails if anything escapes to the event loop).
 */
import * as fs from 'node:fs'

/** `VECTORED_SOAK=1` (set by `pnpm soak`) runs the full sizes; otherwise sizes that fit CI. */
export const SOAK = process.env.VECTORED_SOAK === '1'

export function size<T>(ci: T, soak: T): T {
  return SOAK ? soak : ci
}

export function until(check: () => boolean, ms = 20_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms
  return new Promise((resolve, reject) => {
    const poll = () => {
      if (check()) resolve()
      else if (Date.now() > deadline) reject(new Error(`${what} not met in ${ms} ms`))
      else setTimeout(poll, 5)
    }
    poll()
  })
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/** A callback that records how often it ran and with what. */
export interface Tracked {
  calls: number
  err: Error | null
  done: (err?: Error | null) => void
  promise: Promise<Error | null>
}

export function tracked(): Tracked {
  let resolve!: (e: Error | null) => void
  const promise = new Promise<Error | null>((r) => (resolve = r))
  const t: Tracked = {
    calls: 0,
    err: null,
    done: (err) => {
      t.calls++
      t.err = err ?? null
      if (t.calls === 1) resolve(t.err)
    },
    promise,
  }
  return t
}

/** Collects uncaught exceptions while a test runs (they would otherwise kill the process). */
export function watchUncaught(t: { teardown(fn: () => void): void }): Error[] {
  const seen: Error[] = []
  const on = (e: Error) => seen.push(e)
  process.on('uncaughtException', on)
  t.teardown(() => process.removeListener('uncaughtException', on))
  return seen
}

export function openFds(pid: number | 'self' = 'self'): number {
  return fs.readdirSync(`/proc/${pid}/fd`).length
}

export function rssBytes(pid: number | 'self' = 'self'): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'latin1')
  const m = /VmRSS:\s+(\d+) kB/.exec(status)
  return m ? Number(m[1]) * 1024 : NaN
}

export function fdLimit(): number {
  const m = /Max open files\s+(\d+)/.exec(fs.readFileSync('/proc/self/limits', 'latin1'))
  return m ? Number(m[1]) : 1024
}
