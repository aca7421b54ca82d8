/**
 * Screenshots of each page of the web app on the demo, into docs/ui/*.png (shown in the README):
 *
 *   npm run build && npx tsx scripts/ui-screenshots.ts
 *
 * Starts `provml serve` with the demo (scripts/web-demo-server.ts) and headless Chromium
 * (test/helpers/browser.ts), and waits on each page for what it draws, never on a timer.
 */
import path from 'node:path';
import type { Page } from 'playwright-core';
import { launchBrowser } from '../test/helpers/browser';
import { startDemoServer } from './web-demo-server';

const OUT = path.join(__dirname, '../docs/ui');
const MODEL = encodeURIComponent('/models/model188.hdf5');

interface Shot {
  file: string;
  hash: string;
  /** Selector of what the page draws last. */
  ready: string;
}

const SHOTS: Shot[] = [
  {
    file: 'search.png',
    hash: '#/search?kind=models&hp=learning_rate%20%3D%200.01&ev=loss%20%3C%200.01',
    ready: '[data-testid="model-results"] tbody tr a',
  },
  { file: 'runs.png', hash: '#/search?kind=runs', ready: '[data-testid="run-results"] tbody tr a' },
  { file: 'model-card.png', hash: `#/model?uri=${MODEL}`, ready: '[data-testid="footprint"] polygon' },
  { file: 'lineage.png', hash: `#/lineage?start=${MODEL}&dir=BACKWARD&depth=6`, ready: '[data-testid="lineage-graph"] g.node' },
  {
    file: 'run.png',
    hash: '#/run?id=run%3Ademo-training-lr0.01',
    ready: '[data-testid="chart-gpu-utilization"][data-points] canvas',
  },
  {
    file: 'compare.png',
    hash: '#/compare?run=run%3Ademo-training-lr0.01&run=run%3Ademo-training-lr0.001',
    ready: '[data-testid="chart-compare-loss"][data-points] canvas',
  },
];

async function shoot(page: Page, base: string, shot: Shot) {
  await page.goto(`${base}/${shot.hash}`);
  await page.waitForSelector(shot.ready);
  await page.screenshot({ path: path.join(OUT, shot.file), fullPage: true });
  console.log(`docs/ui/${shot.file}`);
}

async function main() {
  const demo = await startDemoServer();
  const chromium = await launchBrowser();
  try {
    const page = await chromium.browser.newPage({ viewport: { width: 1280, height: 860 } });
    for (const shot of SHOTS) await shoot(page, demo.base, shot);
  } finally {
    await chromium.close();
    await demo.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
