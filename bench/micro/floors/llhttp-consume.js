'use strict'
// Floor 2: Node's llhttp parser reading the socket natively (consume), as
// the transport does; headers-complete answers with one native writev of a
// fixed response. The parser, the JS callback per request, no objects.
const net = require('node:net')
const native = require('@vectored/native')
const { HTTPParser } = require('node:_http_common')
const { response } = require('./fixed-response')

net.createServer({ noDelay: true }, (socket) => {
  socket.on('error', () => {})
  const parser = new HTTPParser()
  parser.initialize(HTTPParser.REQUEST, {}, 0, HTTPParser.kLenientNone)
  parser[HTTPParser.kOnHeadersComplete] = () => { native.writevArgs(socket._handle.fd, response); return 0 }
  parser[HTTPParser.kOnMessageComplete] = () => {}
  parser[HTTPParser.kOnExecute] = () => {}
  socket._handle._consumed = true
  parser.consume(socket._handle)
  socket.on('close', () => { parser.unconsume(); parser.free() })
}).listen(Number(process.env.PORT), '127.0.0.1', () => console.log('ready'))
