/**
 * The Date header value, computed at most once a second like Node's utcDate()
 * (lib/internal/http.js): cached string, dropped by an unref'ed timer at the
 * next second boundary, so a call costs a variable read.
 */
let cached: string | undefined

function reset (): void {
  cached = undefined
}

export function utcDate (): string {
  if (cached === undefined) {
    const d = new Date()
    cached = d.toUTCString()
    setTimeout(reset, 1000 - d.getMilliseconds()).unref()
  }
  return cached
}
