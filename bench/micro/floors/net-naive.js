'use strict'
// Floor 1: a net server that counts "\r\n\r\n" in each read and answers each
// with one native writev of a fixed response. No HTTP parser, no objects.
const net = require('node:net')
const native = require('@vectored/native')
const { response } = require('./fixed-response')

net.createServer({ noDelay: true }, (socket) => {
  socket.on('error', () => {})
  socket.on('data', (d) => {
    let n = 0
    for (let i = d.indexOf('\r\n\r\n'); i !== -1; i = d.indexOf('\r\n\r\n', i + 4)) n++
    for (let k = 0; k < n; k++) native.writevArgs(socket._handle.fd, response)
  })
}).listen(Number(process.env.PORT), '127.0.0.1', () => console.log('ready'))
