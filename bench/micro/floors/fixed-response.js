'use strict'
// The bytes the floors answer with: what the transport sends for /hello
// (the Date is fixed; its length is the same as a real one's).
const body = '{"hello":"world"}'
const response = Buffer.from(
  'HTTP/1.1 200 OK\r\ncontent-type: application/json; charset=utf-8\r\n' +
  `content-length: ${body.length}\r\nDate: Sun, 22 Nov 2026 10:00:00 GMT\r\n` +
  'Connection: keep-alive\r\nKeep-Alive: timeout=72\r\n\r\n' + body, 'latin1')
module.exports = { response }
