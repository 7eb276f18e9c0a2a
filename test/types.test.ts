/**
 * The plugin's public types (test/types/plugin.test-d.ts) checked with the
 * TypeScript compiler: options, reply.sendVector / reply.sendFile and
 * app.vectored by declaration merging. Uses packages/server/dist (pnpm build).
 */
import t from 'tap'
import { spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'

const root = path.join(__dirname, '..')
const tsc = path.join(root, 'node_modules/typescript/bin/tsc')

function check(project: string): { status: number | null; output: string } {
  const r = spawnSync(process.execPath, [tsc, '--noEmit', '-p', project], { cwd: root, encoding: 'utf8', timeout: 60_000 })
  return { status: r.status, output: `${r.stdout}${r.stderr}` }
}

t.test('the declared types hold and every expected misuse is rejected', async (t) => {
  t.ok(fs.existsSync(path.join(root, 'packages/server/dist/index.d.ts')), 'packages/server is built')
  const r = check('test/types')
  t.equal(r.output.trim(), '', 'no diagnostics')
  t.equal(r.status, 0, 'tsc exits 0')
})

t.test('a misuse without @ts-expect-error fails the check', async (t) => {
  // Proves the check sees the merged types (a decorator typed `any` would let this through).
  const dir = fs.mkdtempSync(path.join(root, 'test/types/.misuse-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ extends: '../tsconfig.json', include: ['*.ts'] }))
  fs.writeFileSync(path.join(dir, 'misuse.ts'), [
    "import Fastify from 'fastify'",
    "import vectored from '@vectored/server'",
    'const app = Fastify()',
    'void app.register(vectored)',
    "app.get('/', (_req, reply) => reply.sendVector('not buffers'))",
    'const n: string = app.vectored.stats().bytes',
    'void n',
    '',
  ].join('\n'))
  const r = check(path.relative(root, dir))
  t.not(r.status, 0, 'tsc fails')
  t.match(r.output, /misuse\.ts\(5,\d+\): error TS2345/, 'sendVector(string) is rejected')
  t.match(r.output, /misuse\.ts\(6,\d+\): error TS2322/, 'stats().bytes is a number')
})
