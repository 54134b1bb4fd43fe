// Builds the real docuvault binary (which embeds ui/dist) and runs
// `docuvault serve` on 127.0.0.1 with a fresh data directory.
import { execFileSync, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const ui = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const repo = resolve(ui, '..')

/** The server binary: $DOCUVAULT_BIN, or built now from the checkout. */
export function buildServer() {
  if (process.env.DOCUVAULT_BIN) return process.env.DOCUVAULT_BIN
  if (!existsSync(join(ui, 'dist', 'index.html'))) {
    throw new Error('ui/dist has no build: run `npm run build` first')
  }
  const out = join(ui, 'e2e', '.tmp', 'docuvault')
  mkdirSync(dirname(out), { recursive: true })
  execFileSync('go', ['build', '-o', out, './cmd/docuvault'], { cwd: repo, stdio: 'inherit' })
  return out
}

/**
 * Starts the server; resolves to its base URL, the first admin's password
 * and stop(). The server's output is kept for failure reports.
 */
export async function startServer(bin) {
  const data = mkdtempSync(join(tmpdir(), 'docuvault-e2e-'))
  const child = spawn(bin, ['serve', '--listen', '127.0.0.1:0', '--data', data], {
    env: {
      ...process.env,
      DOCUVAULT_ENCRYPTION_KEY: randomBytes(32).toString('base64'), // TOTP secrets are sealed with it
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  const ready = new Promise((res, rej) => {
    let admin = ''
    const onData = (b) => {
      output += b
      admin ||= /Created the first user "admin" with password (\S+)/.exec(output)?.[1] ?? ''
      const url = /listening on (http:\/\/127\.0\.0\.1:\d+)\/dav\//.exec(output)?.[1]
      if (url) res({ url, admin })
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', (b) => (output += b))
    child.on('exit', (code) => rej(new Error(`docuvault serve exited with ${code}:\n${output}`)))
    setTimeout(() => rej(new Error(`docuvault serve did not start in 30 s:\n${output}`)), 30_000).unref()
  })
  const { url, admin } = await ready
  return {
    url,
    adminPassword: admin,
    output: () => output,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r))
        child.kill('SIGTERM')
        await exited
      }
      rmSync(data, { recursive: true, force: true })
    },
  }
}
