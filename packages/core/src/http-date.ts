/**
 * The Date header value, computed at most once a second like Node's utcDate()
 * (lib/internal/http.js): cached string, dropped by an unref'ed timer at the
 * next second boundary, so a call costs a variable read.
 */
let cached: string | undefined
let cachedLine: string | undefined

function reset (): void {
  cached = undefined
  cachedLine = undefined
}

export function utcDate (): string {
  if (cached === undefined) {
    const d = new Date()
    cached = d.toUTCString()
    cachedLine = 'Date: ' + cached + '\r\n'
    setTimeout(reset, 1000 - d.getMilliseconds()).unref()
  }
  return cached
}

/** `Date: <utcDate()>\r\n`, cached with it. */
export function dateLine (): string {
  if (cachedLine === undefined) utcDate()
  return cachedLine as string
}
