// Headless Chromium for browser tests: Debian's /usr/bin/chromium driven by playwright-core.
// The flags keep Chromium off the network (this machine refuses outside connections, and a
// browser that tries them at start is slow and noisy). playwright gives each launch a fresh
// temporary profile and removes it on close.
import fs from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM_PATH = process.env.PROVML_CHROMIUM ?? '/usr/bin/chromium';

const OFFLINE_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-default-apps',
  '--disable-extensions',
];

export interface LaunchedBrowser {
  browser: Browser;
  close(): Promise<void>;
}

/** Starts headless Chromium with a new empty profile. */
export async function launchBrowser(): Promise<LaunchedBrowser> {
  if (!fs.existsSync(CHROMIUM_PATH)) {
    throw new Error(`Chromium not found at ${CHROMIUM_PATH} (apt-get install chromium, or set PROVML_CHROMIUM)`);
  }
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: OFFLINE_FLAGS,
  });
  return {
    browser,
    async close() {
      await browser.close();
    },
  };
}
