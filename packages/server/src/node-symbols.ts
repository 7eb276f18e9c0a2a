/**
 * Node and Fastify keep some state under Symbols they do not export
 * (lib/_http_server.js: Symbol('ServerResponse'), Symbol('http.server.connections');
 * lib/_http_outgoing.js: Symbol('kOutHeaders'); Fastify's Symbol('fastify.context')):
 * the plugin and the transport find them by description.
 */

/** The object's own symbol with this description, if any. */
export function ownSymbol(object: object, description: string): symbol | undefined {
  return Object.getOwnPropertySymbols(object).find((s) => s.description === description)
}

/** The first symbol with this description on the object or its prototype chain, or null. */
export function chainSymbol(object: object, description: string): symbol | null {
  for (let o: object | null = object; o !== null; o = Object.getPrototypeOf(o)) {
    const found = ownSymbol(o, description)
    if (found !== undefined) return found
  }
  return null
}
