/**
 * Clients that ask for a file (reply.sendFile and @fastify/static, both
 * fs.ReadStreams that the plugin and the transport send by sendfile) and
 * hang up at once or within 15 ms, 16 at a time: the moment falls anywhere
 * between the handler's fs.stat, the stream being parked, the file being
 * opened for sendfile and the head being written. Found by the benchmark's
 * file scenario (its load generator closes every connection at the end of a
 * window): the transport's server died with ERR_INVALID_ARG_TYPE from a
 * parked stream handed back after Fastify had destroyed it.
 *
 * Per mode: no uncaught exception, the server still sends the whole file
 * byte for byte afterwards, and its open fds come back to where they were
 * (every fd opened for sendfile is closed).
 */
import t from 'tap'
import * as fs from 'node:fs'
import * as net from 'node:net'
import * as os from 'node:os'
import * as path from 'node:path'
import Fastify, { type FastifyInstance } from 'fastify'
import fastifyStatic from '@fastify/static'
import { vectored, vectoredServer } from '@vectored/server'
import { parse } from './helpers/http'
import { openFds, size, sleep, until, watchUncaught } from './helpers/common'

const CLIENTS = size(300, 3000)
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vectored-file-disconnect-'))
const file = path.join(dir, 'data.bin')
const data = Buffer.alloc(2 * 1024 * 1024)
for (let i = 0; i < data.length; i++) data[i] = (i * 13 + (i >> 9)) & 0xff
fs.writeFileSync(file, data)
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))

type Mode = 'vectored' | 'transport'

async function build(mode: Mode): Promise<FastifyInstance> {
  const app = mode === 'transport' ? Fastify({ serverFactory: vectoredServer() }) : Fastify()
  await app.register(vectored)
  await app.register(fastifyStatic, { root: dir, prefix: '/static/', decorateReply: false })
  app.get('/file', (_req, reply) => { reply.sendFile(file) })
  await app.listen({ port: 0, host: '127.0.0.1' })
  return app
}

/** Sends one GET and destroys the socket after `delayMs` (0: right after the write). */
function hangUp(port: number, url: string, delayMs: number): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.write(`GET ${url} HTTP/1.1\r\nHost: x\r\n\r\n`)
      if (delayMs === 0) socket.destroy()
      else setTimeout(() => socket.destroy(), delayMs)
    })
    socket.on('error', () => {})
    socket.on('close', () => resolve())
  })
}

function fetchWhole(port: number, url: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(`GET ${url} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`))
    const chunks: Buffer[] = []
    socket.on('data', (d: Buffer) => chunks.push(d))
    socket.on('error', reject)
    socket.on('close', () => resolve(Buffer.concat(chunks)))
  })
}

for (const mode of ['vectored', 'transport'] as Mode[]) {
  t.test(`${mode}: ${CLIENTS} clients hang up on a file`, async (t) => {
    const uncaught = watchUncaught(t)
    const app = await build(mode)
    t.teardown(() => app.close())
    const port = (app.server.address() as net.AddressInfo).port
    // Warm: one whole file first, so the fd count below includes what stays open.
    const first = parse(await fetchWhole(port, '/file')).responses[0]
    t.ok(first !== undefined && first.body.equals(data), 'a whole file before the clients')
    const fdsBefore = openFds()

    for (let i = 0; i < CLIENTS; i += 16) {
      const batch: Promise<void>[] = []
      for (let k = 0; k < 16; k++) {
        const url = (i + k) % 2 === 0 ? '/file' : '/static/data.bin'
        batch.push(hangUp(port, url, ((i + k) * 7) % 16))
      }
      await Promise.all(batch)
    }
    t.same(uncaught.map((e) => e.message), [], 'no uncaught exception')

    for (const url of ['/file', '/static/data.bin']) {
      const r = parse(await fetchWhole(port, url)).responses[0]
      t.ok(r !== undefined && r.status === 200 && r.body.equals(data), `${url} afterwards: the whole file, byte for byte`)
    }
    // Closed fds return as their streams and sendfile writes finish.
    await until(() => openFds() <= fdsBefore, 10_000, `open fds back to ${fdsBefore}`).catch(() => {})
    await sleep(50)
    t.ok(openFds() <= fdsBefore, `open fds back to ${fdsBefore} (now ${openFds()})`)
  })
}
