// Node's private symbols are looked up in @vectored/core's node-internals module.
export { ownSymbol, chainSymbol } from '@vectored/core'
