/**
 * The web app in headless Chromium on the demo (issue 12): first page load and a 300-epoch curve.
 *
 *   npm run build && npx tsx bench/web.ts [--samples 9]
 *
 * `provml serve` with the demo (scripts/web-demo-server.ts: its own local PostgreSQL in a temp
 * directory), Debian's Chromium through playwright-core (test/helpers/browser.ts).
 * - first page load: a new browser context per sample (empty cache, as a first visit), from
 *   navigation start to the search page's first model rows on screen, and to the load event;
 *   side by side with the same search query sent from Node, and GET / alone (what the server
 *   costs, without the browser);
 * - 300-epoch curve: the run page of demo-training-lr0.01 in a warm context: the uPlot draw of
 *   the loss curve (the page's `chart:metric-loss` performance measure), and navigation start to
 *   the curve drawn; side by side with the metric query alone from Node.
 * Targets: first page load <= 1 s, a 300-epoch curve <= 200 ms.
 */
import { performance } from 'node:perf_hooks';
import type { BrowserContext } from 'playwright-core';
import { launchBrowser } from '../test/helpers/browser';
import { startDemoServer } from '../scripts/web-demo-server';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const SAMPLES = arg('samples', 9);

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmt = (xs: number[]) =>
  `${median(xs).toFixed(1).padStart(8)} ms  (min ${Math.min(...xs).toFixed(1)}, max ${Math.max(...xs).toFixed(1)})`;

const SEARCH = `query SearchModels($filter: ModelFilter, $first: Int!, $after: String) {
  models(filter: $filter, first: $first, after: $after) {
    nodes { id reference { uri } recordedAt hyperparameters { name value } evaluations { name value }
      trainingExecution { id run { id experiment { name } } } }
    pageInfo { endCursor hasNextPage }
  }
}`;
const METRIC = `query($r0: String!) { r0: execution(id: $r0) { id m0: metrics(name: "loss", limit: 5000) { step value context recordedAt } } }`;

async function timedPost(url: string, query: string, variables: Record<string, unknown>): Promise<number> {
  const t = performance.now();
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  await res.json();
  return performance.now() - t;
}

async function firstLoad(ctx: BrowserContext, base: string): Promise<{ visible: number; load: number }> {
  const page = await ctx.newPage();
  await page.goto(`${base}/`);
  await page.waitForSelector('[data-testid="model-results"] tbody tr a');
  // Both measured inside the page, from its navigation start.
  const visible = Number(await page.evaluate('performance.now()'));
  const load = Number(await page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd"));
  await page.close();
  return { visible, load };
}

async function curve(ctx: BrowserContext, base: string): Promise<{ draw: number; total: number; points: number }> {
  const page = await ctx.newPage();
  await page.goto(`${base}/#/run?id=run%3Ademo-training-lr0.01`);
  await page.waitForSelector('[data-testid="chart-metric-loss"][data-points] canvas');
  const m = (await page.evaluate(
    "(() => { const e = performance.getEntriesByName('chart:metric-loss')[0]; return { draw: e.duration, total: e.startTime + e.duration }; })()",
  )) as { draw: number; total: number };
  const points = Number(await page.getByTestId('chart-metric-loss').getAttribute('data-points'));
  await page.close();
  return { ...m, points };
}

async function main() {
  const demo = await startDemoServer();
  const chromium = await launchBrowser();
  const graphql = `${demo.base}/graphql`;
  try {
    // One warm-up of each, unmeasured: the server's first queries plan and cache their statements.
    const warmCtx = await chromium.browser.newContext();
    await firstLoad(warmCtx, demo.base);
    await curve(warmCtx, demo.base);

    const visible: number[] = [];
    const load: number[] = [];
    const searchApi: number[] = [];
    const index: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      const ctx = await chromium.browser.newContext();
      const r = await firstLoad(ctx, demo.base);
      await ctx.close();
      visible.push(r.visible);
      load.push(r.load);
      searchApi.push(await timedPost(graphql, SEARCH, { filter: {}, first: 20, after: null }));
      const t = performance.now();
      await (await fetch(`${demo.base}/`)).text();
      index.push(performance.now() - t);
    }

    const draw: number[] = [];
    const total: number[] = [];
    const metricApi: number[] = [];
    let points = 0;
    for (let i = 0; i < SAMPLES; i++) {
      const r = await curve(warmCtx, demo.base);
      draw.push(r.draw);
      total.push(r.total);
      points = r.points;
      metricApi.push(await timedPost(graphql, METRIC, { r0: 'run:demo-training-lr0.01' }));
    }
    await warmCtx.close();

    console.log(`web app on the demo, headless Chromium, ${SAMPLES} samples each, medians`);
    console.log('first page load (new context, empty cache)');
    console.log(`  search page, first model rows on screen ${fmt(visible)}   target <= 1000 ms`);
    console.log(`  load event                              ${fmt(load)}`);
    console.log(`  baseline: the same search query, Node   ${fmt(searchApi)}`);
    console.log(`  baseline: GET / (index.html), Node      ${fmt(index)}`);
    console.log(`${points}-epoch loss curve (run page, warm cache)`);
    console.log(`  uPlot draw of the curve                 ${fmt(draw)}   target <= 200 ms`);
    console.log(`  navigation start -> curve drawn         ${fmt(total)}`);
    console.log(`  baseline: the metric query, Node        ${fmt(metricApi)}`);
  } finally {
    await chromium.close();
    await demo.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
