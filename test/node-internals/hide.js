'use strict'
// Preloaded (-r) into a child process to make this Node look like a future
// one that lacks part of what vectored's transport relies on, before
// vectored loads. VECTORED_TEST_HIDE names what to hide:
//   parser.<method>   _http_common.HTTPParser without that method (as the
//                     module vectored requires sees it; node:http keeps its own)
//   list.active       ConnectionsList.prototype.active deleted (node:http
//                     itself never calls it)
//   http_common       require('_http_common') throws for vectored
const Module = require('node:module')
const http = require('node:http')
const hide = process.env.VECTORED_TEST_HIDE || ''

if (hide.startsWith('parser.')) {
  const method = hide.slice('parser.'.length)
  const common = require('_http_common')
  const Real = common.HTTPParser
  // A class with every static constant and every prototype method but one.
  function Doctored () { return Reflect.construct(Real, [], Doctored) }
  for (const key of Object.keys(Real)) Doctored[key] = Real[key]
  Doctored.prototype = Object.create(Object.getPrototypeOf(Real.prototype))
  for (const key of Object.getOwnPropertyNames(Real.prototype)) {
    if (key !== method && key !== 'constructor') Object.defineProperty(Doctored.prototype, key, Object.getOwnPropertyDescriptor(Real.prototype, key))
  }
  const doctored = { ...common, HTTPParser: Doctored }
  const load = Module._load
  Module._load = function (request, parent, isMain) {
    if (request === '_http_common' && parent && /[\\/]packages[\\/]/.test(parent.filename)) return doctored
    return load.apply(this, arguments)
  }
} else if (hide === 'list.active') {
  const probe = http.createServer()
  probe.emit('listening')
  const symbols = Object.getOwnPropertySymbols(probe)
  clearInterval(probe[symbols.find((s) => s.description === 'http.server.connectionsCheckingInterval')])
  const list = probe[symbols.find((s) => s.description === 'http.server.connections')]
  delete Object.getPrototypeOf(list).active
} else if (hide === 'http_common') {
  const load = Module._load
  Module._load = function (request, parent) {
    if (request === '_http_common' && parent && /[\\/]packages[\\/]/.test(parent.filename)) throw new Error("Cannot find module '_http_common'")
    return load.apply(this, arguments)
  }
} else if (hide !== '') {
  throw new Error(`hide.js: unknown VECTORED_TEST_HIDE=${hide}`)
}
