// Debian's chromium through playwright-core, with a guard that fails the
// run on any console error the test did not announce.
import assert from 'node:assert/strict'
import { mkdirSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'

const ui = resolve(dirname(fileURLToPath(import.meta.url)), '..')
export const screenshotDir = process.env.SCREENSHOT_DIR ?? resolve(ui, '..', 'docs', 'screenshots')

export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  })
}

export const viewports = {
  desktop: { viewport: { width: 1280, height: 800 } },
  phone: { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 },
}

/**
 * A page whose console errors, page errors and failed requests are
 * recorded; expectErrors(re, fn) allows errors matching re while fn runs
 * (a sign-in the test means to fail); assertClean() fails on the rest.
 */
export async function newPage(browser, kind, baseURL) {
  const context = await browser.newContext({ ...viewports[kind], baseURL, acceptDownloads: true, locale: 'en-GB', timezoneId: 'UTC' })
  const page = await context.newPage()
  open.add(page)
  page.on('close', () => open.delete(page))
  const errors = []
  let allowed = null
  const record = (text) => {
    if (allowed && allowed.re.test(text)) allowed.seen++
    else errors.push(text)
  }
  page.on('console', (m) => m.type() === 'error' && record(`console: ${m.text()}`))
  page.on('pageerror', (e) => record(`page error: ${e.message}`))
  page.on('requestfailed', (r) => {
    // Navigating away cancels what is in flight; that is no error.
    if (r.failure()?.errorText !== 'net::ERR_ABORTED') record(`request failed: ${r.url()} ${r.failure()?.errorText}`)
  })
  return {
    page,
    context,
    async expectErrors(re, fn) {
      allowed = { re, seen: 0 }
      try {
        await fn()
        await page.waitForTimeout(250) // console messages trail their responses
        assert.ok(allowed.seen > 0, `expected a console error matching ${re}`)
      } finally {
        allowed = null
      }
    },
    assertClean() {
      const found = errors.splice(0)
      assert.deepEqual(found, [], `console errors on ${kind}:\n${found.join('\n')}`)
    },
  }
}

const open = new Set()

/** Screenshots of every open page into e2e/.tmp/, for a failed step; the paths. */
export async function shootFailure(step) {
  const dir = join(ui, 'e2e', '.tmp')
  mkdirSync(dir, { recursive: true })
  const paths = []
  let i = 0
  for (const page of open) {
    const path = join(dir, `failed-${step.replace(/\W+/g, '-')}-${++i}.png`)
    await page.screenshot({ path, fullPage: true }).then(() => paths.push(`${path} (${page.url()})`), () => {})
  }
  return paths
}

/** Saves <name>-<kind>.png of the whole page under docs/screenshots/. */
export async function shoot(page, name, kind) {
  mkdirSync(screenshotDir, { recursive: true })
  await page.evaluate(() => document.activeElement instanceof HTMLElement && document.activeElement.blur())
  await page.screenshot({ path: join(screenshotDir, `${name}-${kind}.png`), fullPage: true, animations: 'disabled' })
}
