/**
 * `fn(arg)` in a microtask of the current checkpoint, for the callbacks of
 * a response written in full (the writer's `done`, then 'finish', then
 * 'close'). Not process.nextTick: when a callback from libuv schedules no
 * tick, Node's InternalCallbackScope::Close (src/api/callback.cc) runs the
 * microtask checkpoint natively and returns, and only a scheduled tick makes
 * it enter processTicksAndRejections in JS; under load that entry, per
 * read, cost more than any other single step of the transport (measured:
 * docs/transport.md, "Callbacks in microtasks"). Not queueMicrotask
 * either: Node's makes an AsyncResource and a bound function per call
 * (lib/internal/process/task_queues.js). An exception thrown by `fn`
 * escapes as an uncaught exception, as it would from a tick, not as a
 * rejected promise.
 */
const RESOLVED = Promise.resolve()

function rethrow(err: unknown): never {
  throw err
}

export function runInMicrotask<T>(fn: (arg: T) => void, arg: T): void {
  RESOLVED.then(() => {
    try {
      fn(arg)
    } catch (err) {
      process.nextTick(rethrow, err)
    }
  })
}
