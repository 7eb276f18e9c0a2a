/**
 * Base classes for the transport's requests and responses whose
 * constructors do nothing: EventEmitter's methods make `_events` on the
 * first listener (lib/events.js: _addListener, emit, removeListener,
 * listenerCount and listeners all accept `_events === undefined`), and
 * `kCapture` and `_maxListeners` are read from the prototype when unset.
 * Fastify adds no listener to a request or a response when it has no logger
 * and no onResponse hook, so under load most of them never pay for
 * EventEmitter's constructor (perf: 1.2% of the server's samples for two
 * per request). `instanceof EventEmitter` (and Stream) still holds.
 */
import { EventEmitter } from 'node:events'
import { Stream } from 'node:stream'

function lazy<T extends abstract new (...args: any[]) => object>(base: T): T {
  function Lazy(): void {}
  Lazy.prototype = Object.create(base.prototype as object, {
    constructor: { value: Lazy, writable: true, configurable: true },
  })
  Object.setPrototypeOf(Lazy, base) // static members (EventEmitter.once, ...) as on a subclass
  return Lazy as unknown as T
}

export const LazyEventEmitter = lazy(EventEmitter)
export const LazyStream = lazy(Stream)
