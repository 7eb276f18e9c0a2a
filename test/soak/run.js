'use strict'
// `pnpm soak`: the reliability tests at full size (VECTORED_SOAK=1): 500
// connections of 16 MiB, 20,000 churning connections, 5,000 clients that
// never read, 60 s of mixed load; and a rolling restart behind nginx of
// 200,000 requests and 60 restarts per mode. Raises the open-file limit to the hard
// limit first (the 5,000-client test needs about 10,500 fds in the server and
// 5,000 here). Bounded: tap's per-file timeout is 15 minutes.
const { spawnSync } = require('node:child_process')
const path = require('node:path')

const root = path.join(__dirname, '..', '..')
const files = process.argv.slice(2).length > 0
  ? process.argv.slice(2)
  : ['eagain-storm', 'faults', 'fd-reuse', 'never-read', 'soak', 'fastify-faults'].map((f) => `test/reliability/${f}.test.ts`)
      .concat(['test/production/rolling-restart.test.ts'])
const script = `ulimit -n "$(ulimit -Hn)" 2>/dev/null; echo "open-file limit: $(ulimit -n)"; exec npx tap --timeout 900 --jobs 1 ${files.map((f) => `'${f}'`).join(' ')}`
const result = spawnSync('bash', ['-c', script], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, VECTORED_SOAK: '1' },
})
process.exit(result.status ?? 1)
