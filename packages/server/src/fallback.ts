/**
 * One process warning for each reason the plugin or the transport serves
 * through a slower path than it could on another Node (a private part of
 * Node it relies on is missing here): said once, with what was missing.
 */
const said = new Set<string>()

export function warnFallback(reason: string): void {
  if (said.has(reason)) return
  said.add(reason)
  process.emitWarning(`@vectored/server: ${reason}`, { code: 'VECTORED_FALLBACK' })
}
