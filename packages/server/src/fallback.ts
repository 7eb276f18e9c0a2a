/**
 * One process warning for each part of vectored that serves through a slower
 * path than it could on another Node (a private part of Node it relies on
 * is missing here): said once per part, with what was missing.
 */
const said = new Set<string>()

export function warnFallback(part: 'transport' | 'response', reason: string): void {
  if (said.has(part)) return
  said.add(part)
  process.emitWarning(`@vectored/server: ${reason}`, { code: 'VECTORED_FALLBACK' })
}
