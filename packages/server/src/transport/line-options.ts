/**
 * http.Server options that only some Node lines read.
 */
import * as http from 'node:http'

// Options node:http reads only from Node 22 on: on Node 20 an http.Server's
// keepAliveTimeoutBuffer or shouldUpgradeCallback property does nothing,
// and here neither, so the taken server behaves as node:http of its line.
const lineServer = http.createServer() as http.Server & { keepAliveTimeoutBuffer?: unknown; shouldUpgradeCallback?: unknown }
export const lineHasKeepAliveTimeoutBuffer = typeof lineServer.keepAliveTimeoutBuffer === 'number'
export const lineHasShouldUpgradeCallback = typeof lineServer.shouldUpgradeCallback === 'function'

