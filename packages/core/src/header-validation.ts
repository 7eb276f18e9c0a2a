/**
 * Header name and value checks identical to Node's validateHeaderName /
 * validateHeaderValue (lib/_http_outgoing.js) over checkIsHttpToken /
 * checkInvalidHeaderChar (lib/_http_common.js), with Node's error codes and
 * messages; the lenient value check is Node 24's (see
 * LENIENT_INVALID_HEADER_CHAR).
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

/** Node's tokenRegExp: tchar of RFC 9110 5.6.2. (Irregexp beats a charCodeAt loop here, measured.) */
const TOKEN = /^[\^_`a-zA-Z\-0-9!#$%&'*+.|~]+$/

/** Node's headerCharRegex: anything outside \t, 0x20-0x7e, 0x80-0xff. */
const INVALID_HEADER_CHAR = /[^\t\x20-\x7e\x80-\xff]/

/**
 * Node 24's lenientHeaderCharRegex (lib/_http_common.js, the Fetch rules):
 * only NUL, LF, CR and characters above 0xff are refused. Node 24 and later
 * validate with it when the server (or the process) is lenient
 * (`insecureHTTPParser`, `httpValidation: 'relaxed' | 'insecure'`,
 * `--insecure-http-parser`): checkInvalidHeaderChar(val, lenient).
 */
// eslint-disable-next-line no-control-regex
const LENIENT_INVALID_HEADER_CHAR = /[\x00\x0a\x0d]|[^\x00-\xff]/

/** Node's checkIsHttpToken: a non-empty string of tchar. */
export function isHttpToken (name: string): boolean {
  return TOKEN.test(name)
}

/** Node's checkInvalidHeaderChar(value, lenient). */
export function hasInvalidHeaderChar (value: string, lenient = false): boolean {
  return (lenient ? LENIENT_INVALID_HEADER_CHAR : INVALID_HEADER_CHAR).test(value)
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
  if (typeof name !== 'string' || name.length === 0 || !TOKEN.test(name)) {
    throw invalidTokenError(label || 'Header name', name)
  }
}

/** Node's validateHeaderValue(name, value, lenient): ERR_HTTP_INVALID_HEADER_VALUE for undefined, ERR_INVALID_CHAR for bad chars. */
export function validateHeaderValue (name: string, value: unknown, lenient = false): void {
  if (value === undefined) throw invalidHeaderValueError(value, name)
  // regex.test coerces like Node's (a Symbol throws the same TypeError).
  if ((lenient ? LENIENT_INVALID_HEADER_CHAR : INVALID_HEADER_CHAR).test(value as string)) {
    throw invalidCharError('header content', name)
  }
}
