'use strict'
// The bytes every server sends, built the same way in every process so the
// correctness pass can rebuild them and compare byte for byte.
const { Readable } = require('node:stream')

const KiB = 1024

function pattern (size, seed) {
  const b = Buffer.allocUnsafe(size)
  let x = (seed * 2654435761) >>> 0
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0
    b[i] = x >>> 24
  }
  return b
}

const hello = { hello: 'world' }
const helloBody = Buffer.from(JSON.stringify(hello))
const buffer64k = pattern(64 * KiB, 1)
const vectorPieces = Array.from({ length: 16 }, (_, i) => pattern(4 * KiB, 100 + i))
const vectorConcat = Buffer.concat(vectorPieces)
const STREAM_CHUNKS = 256
const streamChunks = Array.from({ length: STREAM_CHUNKS }, (_, i) => pattern(16 * KiB, 1000 + (i % 16)))
const fileSize = 4 * 1024 * KiB
const FILE_NAME = 'vectored-bench-4m.bin'

function fileBytes () { return pattern(fileSize, 7) }

// A Readable of 256 x 16 KiB chunks (preallocated, never copied).
function makeStream () {
  let i = 0
  return new Readable({
    read () {
      if (i < STREAM_CHUNKS) this.push(streamChunks[i++])
      else this.push(null)
    }
  })
}

// POST /echo (the post-json-1k scenario): a 1 KiB JSON order; the reply is
// a small JSON derived from it (echoReply), the same in every server.
const order = {
  id: 4711,
  customer: 'c-000123',
  currency: 'EUR',
  items: Array.from({ length: 12 }, (_, i) => ({ sku: `sku-${1000 + i}`, qty: 1 + (i % 3), price: 100 + i * 7 }))
}
function echoReply (o) {
  let total = 0
  for (const it of o.items) total += it.qty * it.price
  return { id: o.id, customer: o.customer, items: o.items.length, total }
}
const postBody = Buffer.from(JSON.stringify({ ...order, note: 'x'.repeat(Math.max(0, 1024 - JSON.stringify({ ...order, note: '' }).length)) }))
const echoBody = Buffer.from(JSON.stringify(echoReply(order)))

const routes = {
  hello: '/hello',
  buffer: '/buffer-64k',
  vector: '/vector',
  file: '/file',
  stream: '/stream',
  echo: '/echo',
  app: '/app' // prefix of the realistic app (realistic-app.js)
}

const types = {
  json: 'application/json; charset=utf-8',
  bin: 'application/octet-stream'
}

module.exports = {
  hello, helloBody, buffer64k, vectorPieces, vectorConcat, streamChunks,
  fileSize, FILE_NAME, fileBytes, makeStream, routes, types, pattern,
  postBody, echoReply, echoBody
}
