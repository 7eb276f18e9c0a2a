/**
 * Header name and value checks identical to Node 20's validateHeaderName /
 * validateHeaderValue (lib/_http_outgoing.js) over checkIsHttpToken /
 * checkInvalidHeaderChar (lib/_http_common.js), with Node's error codes and
 * messages. Table lookups instead of Node's regexes: same answers, no regex.
 */
import { inspect } from 'node:util'

/** An Error carrying Node's `code`, printed as Node prints its own errors. */
export interface NodeStyleError extends Error {
  code: string
}

function nodeError<E extends Error> (Ctor: new (message: string) => E, code: string, message: string): E & NodeStyleError {
  const err = new Ctor(message) as E & NodeStyleError
  err.code = code
  // Node's errors print as `TypeError [ERR_X]: message`.
  Object.defineProperty(err, 'toString', {
    value: function (this: Error) { return `${this.name} [${code}]: ${this.message}` },
    enumerable: false,
    configurable: true,
    writable: true
  })
  return err
}

/** tchar of RFC 9110 5.6.2, the set of Node's tokenRegExp /^[\^_`a-zA-Z\-0-9!#$%&'*+.|~]+$/. */
const TOKEN_CHAR = new Uint8Array(128)
for (const c of "!#$%&'*+-.^_`|~") TOKEN_CHAR[c.charCodeAt(0)] = 1
for (let c = 0x30; c <= 0x39; c++) TOKEN_CHAR[c] = 1
for (let c = 0x41; c <= 0x5a; c++) TOKEN_CHAR[c] = 1
for (let c = 0x61; c <= 0x7a; c++) TOKEN_CHAR[c] = 1

/** Node's checkIsHttpToken: a non-empty string of tchar. */
export function isHttpToken (name: string): boolean {
  const len = name.length
  if (len === 0) return false
  for (let i = 0; i < len; i++) {
    const c = name.charCodeAt(i)
    if (c > 127 || TOKEN_CHAR[c] === 0) return false
  }
  return true
}

/** Node's checkInvalidHeaderChar: anything outside \t, 0x20-0x7e, 0x80-0xff. */
export function hasInvalidHeaderChar (value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i)
    if (c < 0x20 ? c !== 0x09 : (c === 0x7f || c > 0xff)) return true
  }
  return false
}

export function invalidTokenError (label: string, name: unknown): TypeError & NodeStyleError {
  return nodeError(TypeError, 'ERR_INVALID_HTTP_TOKEN', `${label} must be a valid HTTP token ["${String(name)}"]`)
}

export function invalidCharError (name: string, field?: string): TypeError & NodeStyleError {
  const suffix = field === undefined ? '' : ` ["${field}"]`
  return nodeError(TypeError, 'ERR_INVALID_CHAR', `Invalid character in ${name}${suffix}`)
}

export function invalidHeaderValueError (value: unknown, name: string): TypeError & NodeStyleError {
  return nodeError(TypeError, 'ERR_HTTP_INVALID_HEADER_VALUE', `Invalid value "${String(value)}" for header "${name}"`)
}

export function invalidStatusCodeError (statusCode: unknown): RangeError & NodeStyleError {
  return nodeError(RangeError, 'ERR_HTTP_INVALID_STATUS_CODE', `Invalid status code: ${String(statusCode)}`)
}

export function invalidArgValueError (name: string, value: unknown): TypeError & NodeStyleError {
  // Same truncation as Node's ERR_INVALID_ARG_VALUE message.
  let inspected = inspect(value)
  if (inspected.length > 128) inspected = `${inspected.slice(0, 128)}...`
  return nodeError(TypeError, 'ERR_INVALID_ARG_VALUE', `The argument '${name}' is invalid. Received ${inspected}`)
}

export function trailerInvalidError (): Error & NodeStyleError {
  return nodeError(Error, 'ERR_HTTP_TRAILER_INVALID', 'Trailers are invalid with this transfer encoding')
}

/** Node's validateHeaderName: throws ERR_INVALID_HTTP_TOKEN. */
export function validateHeaderName (name: unknown, label?: string): asserts name is string {
  if (typeof name !== 'string' || name.length === 0 || !isHttpToken(name)) {
    throw invalidTokenError(label || 'Header name', name)
  }
}

/** Node's validateHeaderValue: ERR_HTTP_INVALID_HEADER_VALUE for undefined, ERR_INVALID_CHAR for bad chars. */
export function validateHeaderValue (name: string, value: unknown): void {
  if (value === undefined) throw invalidHeaderValueError(value, name)
  // Template coercion is the ToString Node's regex.test applies (throws on a Symbol too).
  if (hasInvalidHeaderChar(typeof value === 'string' ? value : `${value as string}`)) {
    throw invalidCharError('header content', name)
  }
}
