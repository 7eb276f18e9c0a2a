/**
 * http.Server options and behaviours that only some Node lines have, read
 * off the running line's node:http rather than its version number.
 */
import * as http from 'node:http'
import * as net from 'node:net'
import { ownSymbol } from '../node-symbols'

// Options node:http reads only from Node 22 on: on Node 20 an http.Server's
// keepAliveTimeoutBuffer or shouldUpgradeCallback property does nothing,
// and here neither, so the taken server behaves as node:http of its line.
const lineServer = http.createServer() as http.Server & { keepAliveTimeoutBuffer?: unknown; shouldUpgradeCallback?: unknown }
export const lineHasKeepAliveTimeoutBuffer = typeof lineServer.keepAliveTimeoutBuffer === 'number'
export const lineHasShouldUpgradeCallback = typeof lineServer.shouldUpgradeCallback === 'function'
/**
 * The symbol under which Node 24 and later keep an http.Server's
 * optimizeEmptyRequests option (lib/_http_server.js kOptimizeEmptyRequests,
 * set by storeHTTPOptions); undefined on lines without the option.
 */
export const lineOptimizeEmptyRequestsKey: symbol | undefined = ownSymbol(lineServer, 'OptimizeEmptyRequestsOption')

/**
 * What the running line's node:http does when a connection closes with a
 * pipelined response queued behind the one holding the socket, and with an
 * Upgrade request that has a body: node:http's own connection listener fed
 * sockets without a handle ('data' and 'close' emitted by hand, all of it
 * synchronous, nothing listens or connects). The probe server's events stay
 * with it (an own emit, not http.Server.prototype.emit, which an APM agent
 * may have wrapped), so no one sees its requests but a subscriber to
 * node:http's diagnostics channels already there.
 * - abortsQueuedResponses: Node 24 and later destroy each queued response
 *   with ConnResetException('aborted') in socketOnClose (abortOutgoing),
 *   which sets `destroyed` and `errored` and emits 'close' a tick later;
 *   Node 20 and 22 leave them untouched.
 * - upgradeWithBody: Node 26 parses the body of an Upgrade request into the
 *   request and emits 'upgrade' at once with an UpgradeStream, a Duplex over
 *   the socket that gives the bytes after the body once the body is read;
 *   before, the parser stops at the head and the body is the head of the
 *   upgraded stream.
 */
export const lineServerBehaviour: { abortsQueuedResponses: boolean; upgradeWithBody: boolean } = (() => {
  const out = { abortsQueuedResponses: false, upgradeWithBody: false }
  try {
    const server = http.createServer()
    const onConnection = server.listeners('connection').find((l) => l.name === 'connectionListener') as ((socket: net.Socket) => void) | undefined
    if (onConnection === undefined) return out
    const responses: http.ServerResponse[] = []
    let upgradedWith: unknown = null
    Object.defineProperty(server, 'emit', {
      value(event: string, ...args: unknown[]): boolean {
        if (event === 'request') responses.push(args[1] as http.ServerResponse)
        else if (event === 'upgrade') upgradedWith = args[1]
        return true
      },
    })
    server.on('upgrade', () => {}) // counted by the line's default shouldUpgradeCallback
    const feed = (text: string): net.Socket => {
      const socket = new net.Socket()
      onConnection.call(server, socket)
      socket.emit('data', Buffer.from(text, 'latin1'))
      socket.emit('close')
      socket.destroy()
      return socket
    }
    feed('GET / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n')
    out.abortsQueuedResponses = responses.length === 2 && responses[1]!.destroyed
    const upgraded = feed('POST / HTTP/1.1\r\nHost: x\r\nConnection: upgrade\r\nUpgrade: probe\r\nContent-Length: 1\r\n\r\n')
    out.upgradeWithBody = upgradedWith !== null && upgradedWith !== upgraded
  } catch {
    // Not readable this way: Node 20's behaviour (neither).
  }
  return out
})()
