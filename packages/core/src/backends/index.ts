import * as native from '@vectored/native'
import { nativeBackend } from './native'
import { portableBackend } from './portable'
import type { Backend } from './types'

export type { Backend } from './types'

/** The backend sockets with a usable fd get, chosen once at load. */
export const backend: Backend = native.available ? nativeBackend : portableBackend

/** Why this backend: empty for native, the addon's load failure otherwise. */
export const backendReason: string = native.available
  ? ''
  : `the native addon is not available (${native.reason}); using the portable backend (fs.writevSync), which is slower`
