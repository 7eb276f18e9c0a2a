import t from 'tap'
import * as native from '@vectored/native'

t.test('the addon loads and reports itself available', async (t) => {
  t.equal(native.available, true, native.reason)
  t.equal(native.reason, '')
  t.ok(native.iovMax >= 16)
})
