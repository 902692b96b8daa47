// Headless Debian Chromium driven by playwright-core, for tests of what operators see in a browser.
// The flags keep Chromium off the network (this machine's is closed; background requests would
// otherwise fail by the dozen). Playwright gives each launch a fresh, empty profile.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

const CHROMIUM = process.env.PROMPTBOX_CHROMIUM ?? '/usr/bin/chromium';

/** Screenshots are kept here (gitignored) so a failing run can be looked at afterwards. */
export const ARTIFACTS_DIR = join(import.meta.dirname, '..', 'test-artifacts');

export interface HeadlessBrowser {
  page(): Promise<Page>;
  screenshot(page: Page, name: string): Promise<string>;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<HeadlessBrowser> {
  const browser: Browser = await chromium.launch({
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
    ],
  });
  await mkdir(ARTIFACTS_DIR, { recursive: true });
  return {
    async page() {
      const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
      return context.newPage();
    },
    async screenshot(page, name) {
      const file = join(ARTIFACTS_DIR, `${name}.png`);
      await page.screenshot({ path: file, fullPage: true });
      return file;
    },
    async close() {
      await browser.close();
    },
  };
}
