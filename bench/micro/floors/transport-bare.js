'use strict'
// The transport without Fastify: vectoredServer() with a handler doing what
// Fastify's reply ends with (writeHead with two headers, end with the JSON).
const { vectoredServer } = require('@vectored/server')
const { hello } = require('../../servers/payloads')

const headers = { 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(JSON.stringify(hello))) }
const server = vectoredServer()((req, res) => {
  res.writeHead(200, headers)
  res.end(JSON.stringify(hello))
})
server.listen(Number(process.env.PORT), '127.0.0.1', () => console.log('ready'))
