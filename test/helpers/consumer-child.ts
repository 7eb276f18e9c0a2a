/**
 * The parent side of the consumer tests (test/observability/consumers/*.js):
 * starts a consumer script for a mode with process.execPath, waits for its
 * port, lets the test send real requests, then asks for the consumer's report.
 */
import { fork, type ChildProcess } from 'node:child_process'
import * as http from 'node:http'
import * as path from 'node:path'
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import vectored, { vectoredServer } from '@vectored/server'

export const MODES = ['stock', 'plugin', 'node-connections', 'transport'] as const
export type Mode = typeof MODES[number]

export const NODE_MAJOR = Number(process.versions.node.split('.')[0])

export interface Consumer {
  port: number
  /** The consumer's report; the child closes its app and exits after it. */
  report<T>(): Promise<T>
  kill(): void
}

interface Message { port?: number; data?: unknown; error?: string }

export function startConsumer(script: string, mode: Mode, timeoutMs = 20000): Promise<Consumer> {
  const file = path.join(__dirname, '..', 'observability', 'consumers', script)
  const child: ChildProcess = fork(file, [mode], { execPath: process.execPath, execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const next = () => new Promise<Message>((resolve, reject) => {
    const timer = setTimeout(() => { child.kill(); reject(new Error(`${script} ${mode}: no answer in ${timeoutMs} ms`)) }, timeoutMs)
    const onMessage = (m: Message) => { done(); if (m.error !== undefined) reject(new Error(`${script} ${mode}: ${m.error}`)); else resolve(m) }
    const onExit = (code: number | null, signal: string | null) => { done(); reject(new Error(`${script} ${mode}: exited (${code ?? signal})`)) }
    const done = () => { clearTimeout(timer); child.off('message', onMessage); child.off('exit', onExit) }
    child.on('message', onMessage)
    child.on('exit', onExit)
  })
  return next().then((m) => ({
    port: m.port!,
    report: <T>() => { const answer = next(); child.send({ report: true }); return answer.then((r) => r.data as T) },
    kill: () => { if (child.exitCode === null) child.kill() },
  }))
}

export interface Reply { status: number; body: string; headers: Record<string, string | string[] | undefined> }

/** One real request over a fresh keep-alive-less connection (node:http, no agent). */
export function send(port: number, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => { text += c })
      res.on('end', () => resolve({ status: res.statusCode!, body: text, headers: res.headers }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(body)
  })
}

/** A Fastify app in this process for a mode, as the consumer scripts build theirs (harness.js). */
export async function appFor(mode: Mode, options: FastifyServerOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, ...options, ...(mode === 'transport' ? { serverFactory: vectoredServer() } : {}) })
  if (mode === 'plugin' || mode === 'transport') await app.register(vectored)
  if (mode === 'node-connections') await app.register(vectored, { connections: 'node' })
  return app
}
