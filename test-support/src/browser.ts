import { chromium, type Browser, type Page } from 'playwright-core'

export type { Browser, Page }

/** Debian's chromium (installed by .ci/run), or the one CHROMIUM_PATH names. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/** A headless chromium driven over the DevTools protocol; close it after the test. */
export async function launchBrowser (): Promise<Browser> {
  // No sandbox: CI runs as root, where chromium refuses to start with one.
  return await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] })
}

/** A new page that records its console errors and uncaught exceptions. */
export async function pageWithErrors (browser: Browser, viewport = { width: 1280, height: 900 }): Promise<{ page: Page, errors: string[] }> {
  const page = await browser.newPage({ viewport })
  const errors: string[] = []
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`) })
  page.on('pageerror', (err) => errors.push(`page: ${err.message}`))
  return { page, errors }
}
