import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type BrowserContext, chromium, type Page } from 'playwright-core'

export const CHROMIUM = '/usr/bin/chromium'
/** Where the page screenshots go for a reviewer (ignored by git). */
export const SCREENSHOTS = fileURLToPath(new URL('../screenshots/', import.meta.url))

/**
 * Whether the browser tests can run: Chromium from Debian must be there. Under CI a missing browser is a failure,
 * not a skip (the caller asserts this).
 */
export function chromiumAvailable(): boolean {
  return existsSync(CHROMIUM)
}

export interface Browser {
  readonly context: BrowserContext
  /** Console messages of type error and uncaught page errors, from every page opened. */
  readonly errors: string[]
  open(url: string, viewport: { width: number; height: number }): Promise<Page>
  shot(page: Page, name: string): Promise<string>
  close(): Promise<void>
}

/** Headless Chromium (no browser download: the Debian build) with a fresh profile. */
export async function launchBrowser(): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'edgetwin-chromium-'))
  mkdirSync(SCREENSHOTS, { recursive: true })
  // launchPersistentContext passes the profile as --user-data-dir.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
    viewport: { width: 1280, height: 800 },
  })
  const errors: string[] = []
  return {
    context,
    errors,
    async open(url, viewport) {
      const page = await context.newPage()
      await page.setViewportSize(viewport)
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(`${page.url()}: ${m.text()}`)
      })
      page.on('pageerror', (e) => errors.push(`${page.url()}: ${e.message}`))
      // Anything not served by the console itself is a run-time CDN or tile fetch: refuse and record it.
      await page.route(
        (u) => !u.href.startsWith(new URL(url).origin),
        async (route) => {
          errors.push(`external request ${route.request().url()}`)
          await route.abort()
        },
      )
      await page.goto(url)
      await page.waitForSelector('#page[data-ready="true"]', { timeout: 60_000 })
      return page
    },
    async shot(page, name) {
      const path = join(SCREENSHOTS, `${name}.png`)
      await page.screenshot({ path, fullPage: true })
      return path
    },
    async close() {
      await context.close()
      rmSync(profile, { recursive: true, force: true })
    },
  }
}
