/**
 * node:http's diagnostics channels for servers, published by the transport
 * as the running line's node:http publishes them (lib/_http_server.js):
 *
 *   Node 20:  http.server.request.start    parserOnIncoming, after the response is made, before 'request'
 *             http.server.response.finish  resOnFinish, the response's first 'finish' listener
 *   Node 22+: http.server.response.created also, at the end of ServerResponse's constructor
 *
 * request.start and response.finish carry { request, response, socket,
 * server }, response.created { request, response }. The channel objects are
 * the ones node:http publishes on (channels are per name, process-wide), so
 * a subscriber of either sees both. Nobody subscribed costs one
 * `hasSubscribers` read per channel per request. See docs/diagnostics-channels.md.
 */
import * as dc from 'node:diagnostics_channel'
import * as http from 'node:http'

export const requestStart = dc.channel('http.server.request.start')
export const responseFinish = dc.channel('http.server.response.finish')

/**
 * Whether this line's ServerResponse publishes http.server.response.created
 * (Node 22 and later), found by making one with a subscriber on the channel.
 */
function lineHasResponseCreated(): boolean {
  const channel = dc.channel('http.server.response.created')
  let seen = false
  const probe = (): void => { seen = true }
  channel.subscribe(probe)
  try {
    const req = { method: 'GET', httpVersionMajor: 1, httpVersionMinor: 1, headers: {} }
    new http.ServerResponse(req as http.IncomingMessage)
  } catch {
    // A constructor that wants more of its request: go by the line's version.
    seen = Number(process.versions.node.split('.')[0]) >= 22
  } finally {
    channel.unsubscribe(probe)
  }
  return seen
}

/** http.server.response.created where the running line has it, else null. */
export const responseCreated: dc.Channel | null = lineHasResponseCreated() ? dc.channel('http.server.response.created') : null
