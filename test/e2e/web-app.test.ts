import fs from 'node:fs';
import fsp from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { launchBrowser, type LaunchedBrowser } from '../helpers/browser';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { gql, startServerProcess, type ServerProcess } from '../helpers/server-process';

// The web app at `/` in headless Chromium, against `provml serve` with the demo, as a user
// would click through it: search -> model card -> lineage -> run -> compare; and a store that is
// down. The app is the built bundle (dist/app), served by the server itself, with no network.

const WEB_INDEX = path.join(__dirname, '../../dist/app/index.html');
const STORES = path.join(__dirname, '../../examples/stores');

/** The text of the model-card card with this test id. */
const cardText = (page: Page, testid: string) => page.getByTestId(testid).first().innerText();

describe('the web app in a browser, on the demo', () => {
  let db: TestDatabase;
  let server: ServerProcess;
  let chromium: LaunchedBrowser;
  let page: Page;
  const pageErrors: string[] = [];
  const offsite: string[] = [];

  beforeAll(async () => {
    if (!fs.existsSync(WEB_INDEX)) throw new Error(`${WEB_INDEX} is missing: run npm run build first`);
    db = await createTestDatabase('provml_web');
    server = await startServerProcess({ PROVML_DATABASE_URL: db.url, PROVML_DATA_DIR: os.tmpdir() });
    chromium = await launchBrowser();
    page = await chromium.browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    // Everything the page loads must come from provml itself (no CDN, no fonts from elsewhere).
    page.on('request', (r) => {
      if (!r.url().startsWith(server.base) && !r.url().startsWith('data:')) offsite.push(r.url());
    });
  });
  afterAll(async () => {
    await chromium?.close();
    await server?.stop();
    await db?.drop();
  });

  it('serves the app at / and its assets, and leaves the API routes alone', async () => {
    const index = await fetch(`${server.base}/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toMatch(/text\/html/);
    const html = await index.text();
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)![1];
    const js = await fetch(`${server.base}${asset}`);
    expect(js.status).toBe(200);
    expect(js.headers.get('cache-control')).toMatch(/immutable/);
    expect((await fetch(`${server.base}/assets/missing.js`)).status).toBe(404);
    expect((await fetch(`${server.base}/%2e%2e/%2e%2e/package.json`)).status).toBe(404);
    expect((await fetch(`${server.base}/healthz`)).status).toBe(200);
    // A JSON POST is not the app's (a POST without a JSON content type is refused earlier, 415).
    const post = await fetch(`${server.base}/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(post.status).toBe(404);
  });

  it('pages search results by cursor', async () => {
    await page.goto(`${server.base}/#/search?kind=models&first=5`);
    const rows = page.getByTestId('model-results').locator('tbody tr');
    await rows.first().locator('a').first().waitFor();
    const first = await rows.allInnerTexts();
    expect(first).toHaveLength(5);
    await page.getByRole('button', { name: 'Next →' }).click();
    await page.getByText('page 2', { exact: true }).waitFor();
    await page.locator('[data-testid="model-results"][aria-busy="false"]').waitFor();
    const uri = (row: string) => row.split('\t')[0];
    await rows
      .filter({ hasNotText: uri(first[0]) })
      .first()
      .waitFor();
    const second = await rows.allInnerTexts();
    expect(second.length).toBeGreaterThan(0);
    expect(second.some((r) => first.includes(r))).toBe(false);
    await page.getByRole('button', { name: '← Previous' }).click();
    await page.getByText('page 1', { exact: true }).waitFor();
    await page.locator('[data-testid="model-results"][aria-busy="false"]').waitFor();
    await rows
      .filter({ hasText: uri(first[0]) })
      .first()
      .waitFor();
    expect(await rows.allInnerTexts()).toEqual(first);
  });

  it('search -> model card -> lineage -> run -> compare', async () => {
    await page.goto(`${server.base}/`);
    // Search: models with loss < 0.01 trained with learning_rate = 0.01, by the API's filter.
    await page.getByLabel('Evaluations').fill('loss < 0.01');
    await page.getByLabel('Hyperparameters').fill('learning_rate = 0.01');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/ev=loss/);
    // aria-busy: the table shows the answer to the current filter, not the previous one.
    await page.locator('[data-testid="model-results"][aria-busy="false"]').waitFor();
    const results = page.getByTestId('model-results');
    await results.getByRole('link', { name: '/models/model188.hdf5' }).waitFor();
    const rows = await results.locator('tbody tr').allInnerTexts();
    expect(rows.length).toBeGreaterThan(1);
    expect(rows.every((r) => /learning_rate=0\.01\b/.test(r))).toBe(true);
    expect(rows.some((r) => r.includes('lr0.001'))).toBe(false);

    // Model card: evaluation, training execution, how the set was made, basin and field, footprint.
    await results.getByRole('link', { name: '/models/model188.hdf5' }).click();
    await page.getByTestId('model-card').waitFor();
    expect(await cardText(page, 'evaluations')).toMatch(/loss\s+0\.0022/);
    expect(await cardText(page, 'hyperparameters')).toMatch(/learning_rate\s+0\.01/);
    expect(await cardText(page, 'training')).toMatch(/ibm-hpc-cluster[\s\S]*48213/);
    expect(await cardText(page, 'preparation')).toMatch(/tile_size\s+40[\s\S]*noise_threshold/);
    const knowledge = await cardText(page, 'knowledge');
    expect(knowledge).toMatch(/basin\s+Southern North Sea/);
    expect(knowledge).toMatch(/field\s+F3 block/);
    expect(await page.getByTestId('footprint').first().locator('polygon').count()).toBe(1);
    // Q3 on the card: the least-loss model trained on its training set is this one.
    expect(await page.getByTestId('best-on-set').first().innerText()).toMatch(/Least loss .*: this model \(loss 0\.0022\)/);

    // Lineage backward from the model reaches the raw SEG-Y file; a click expands a node.
    await page.getByRole('link', { name: 'lineage ←' }).click();
    const graph = page.getByTestId('lineage-graph');
    await graph.waitFor();
    const raw = graph.locator('g.node', { hasText: '/data/netherlands.sgy' });
    await raw.waitFor();
    const before = await graph.locator('g.node').count();
    expect(await graph.locator('g.node', { hasText: 'extract_seismic_metadata' }).count()).toBe(0);
    await raw.locator('rect').click();
    // Expanding adds the raw file's other neighbours: the curation run that extracted its facts,
    // which is not on the model's backward path.
    await graph.locator('g.node', { hasText: 'extract_seismic_metadata' }).waitFor();
    expect(await graph.locator('g.node').count()).toBeGreaterThan(before);

    // Nodes link to their pages: the training run's ↗ opens its run page, with a loss curve of
    // 300 epochs, batch times per epoch and GPU telemetry.
    await graph.locator('g.node[data-node-id="run:demo-training-lr0.01"] a').click();
    await page.waitForURL(/#\/run\?id=run%3Ademo-training-lr0\.01/);
    const curve = page.getByTestId('chart-metric-loss');
    await page.waitForSelector('[data-testid="chart-metric-loss"][data-points] canvas');
    expect(await curve.getAttribute('data-points')).toBe('300');
    await page.waitForSelector('[data-testid="chart-batch-times"][data-points="300"] canvas');
    await page.waitForSelector('[data-testid="chart-gpu-utilization"][data-points] canvas');

    // A node with more neighbours than the cap: the levels that fit, then "show more" raises the cap.
    await page.goto(
      `${server.base}/#/lineage?start=${encodeURIComponent('task:demo-training-lr0.01.training')}&dir=BOTH&depth=1`,
    );
    const summary = page.getByTestId('lineage-summary');
    await page.getByTestId('capped').waitFor();
    expect(await summary.innerText()).toMatch(/^1 nodes[\s\S]*Depth 0 of 1 shown/);
    await page.getByTestId('show-more').click();
    await page.getByText('cap of 240 nodes').waitFor();
    await page.getByTestId('show-more').click();
    await summary.filter({ hasText: /^3\d\d nodes, \d+ edges\./ }).waitFor();
    expect(await graph.locator('g.node', { hasText: 'epoch' }).count()).toBe(300);

    // Compare the two trainings, picked on the runs search.
    await page.goto(`${server.base}/#/search?kind=runs&workflow=seismic-training`);
    await page.getByLabel('pick run:demo-training-lr0.01', { exact: true }).check();
    await page.getByLabel('pick run:demo-training-lr0.001', { exact: true }).check();
    await page.getByTestId('compare-selected').click();
    await page.waitForSelector('[data-testid="chart-compare-loss"][data-series="2"][data-points="300"] canvas');
    const diff = await page.getByTestId('param-diff').locator('tr.differs').allInnerTexts();
    expect(diff.some((r) => /learning_rate\s+0\.01\s+0\.001/.test(r))).toBe(true);

    expect(pageErrors).toEqual([]);
    expect(offsite).toEqual([]);
  });
});

describe('the run page of a running run, live', () => {
  let db: TestDatabase;
  let server: ServerProcess;
  let chromium: LaunchedBrowser;
  let page: Page;
  const pageErrors: string[] = [];
  const INGEST = `mutation($e: [JSON!]!) { ingest(events: $e) { accepted rejected } }`;
  const ingest = async (events: unknown[]) => {
    const res = await gql<{ ingest: { rejected: number } }>(server.url, INGEST, { e: events });
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data!.ingest.rejected).toBe(0);
  };
  const loss = (run: string, from: number, n: number) =>
    Array.from({ length: n }, (_, i) => ({
      id: `${run}-loss-${from + i}`,
      type: 'metric',
      run,
      name: 'loss',
      value: 1 / (from + i + 1),
      step: from + i,
    }));

  beforeAll(async () => {
    db = await createTestDatabase('provml_web_live');
    server = await startServerProcess({ PROVML_DATABASE_URL: db.url, PROVML_DEMO: '0', PROVML_DATA_DIR: os.tmpdir() });
    const reg = await gql(server.url, 'mutation($s: WorkflowSpecInput!) { registerWorkflow(spec: $s) { id } }', {
      s: { name: 'web-live-job', kind: 'LEARNING', transformations: [{ name: 'training', kind: 'LEARNING_STAGE' }] },
    });
    expect(reg.body.errors).toBeUndefined();
    chromium = await launchBrowser();
    page = await chromium.browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('pageerror', (e) => pageErrors.push(e.message));
  }, 120_000);
  afterAll(async () => {
    await chromium?.close();
    await server?.stop();
    await db?.drop();
  });

  it('grows the curve as points are ingested and shows the status change when the run ends', async () => {
    const run = 'web-live';
    await ingest([{ id: `${run}-begin`, type: 'workflowBegin', run, workflow: 'web-live-job' }]);
    await ingest(loss(run, 0, 5));
    const seriesReads: string[] = [];
    page.on('request', (r) => {
      if (r.method() === 'POST' && /WebRunSeries/.test(r.postData() ?? '')) seriesReads.push(r.url());
    });
    await page.goto(`${server.base}/#/run?id=run:${run}`);
    await page.waitForSelector('[data-testid="chart-metric-loss"][data-points="5"] canvas');
    await page.getByTestId('run-live').waitFor();
    expect(await page.getByTestId('run-status').innerText()).toBe('RUNNING');

    await ingest(loss(run, 5, 10));
    await page.waitForSelector('[data-testid="chart-metric-loss"][data-points="15"] canvas');
    await ingest(loss(run, 15, 5));
    await page.waitForSelector('[data-testid="chart-metric-loss"][data-points="20"] canvas');
    // The new points came over the socket: the page read the series over HTTP once.
    expect(seriesReads).toHaveLength(1);

    const reread = page.waitForResponse((r) => /WebRunSeries/.test(r.request().postData() ?? ''));
    await ingest([{ id: `${run}-end`, type: 'workflowEnd', run, status: 'FINISHED' }]);
    await page.getByTestId('run-status').getByText('FINISHED').waitFor();
    await page.getByTestId('run-live').waitFor({ state: 'detached' });
    // Once ended, the page reads the run again: the same 20 points, drawn once each.
    await reread;
    await page.waitForSelector('[data-testid="chart-metric-loss"][data-points="20"] canvas');
    expect(seriesReads).toHaveLength(2);
    expect(pageErrors).toEqual([]);
  });
});

describe('the web app with the knowledge store down', () => {
  let db: TestDatabase;
  let server: ServerProcess;
  let chromium: LaunchedBrowser;
  let dead: net.Server;
  let dir: string;

  beforeAll(async () => {
    if (!fs.existsSync(WEB_INDEX)) throw new Error(`${WEB_INDEX} is missing: run npm run build first`);
    // A SPARQL endpoint that takes each connection and drops it: refused answers, every time.
    dead = net.createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', resolve));
    const port = (dead.address() as net.AddressInfo).port;
    dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'provml-web-down-'));
    const config = path.join(dir, 'provml.config.json');
    await fsp.writeFile(
      config,
      JSON.stringify({
        stores: [
          { id: 'fs', kind: 'fs', options: { root: path.join(STORES, 'objects'), paths: 'rooted' } },
          {
            id: 'knowledge',
            kind: 'sparql',
            endpoint: `http://127.0.0.1:${port}/sparql`,
            uriMap: { '/data/': 'http://ibm.com/' },
            timeoutMs: 2000,
          },
          { id: 'documents', kind: 'mongodb', options: { directory: path.join(STORES, 'documents') } },
        ],
      }),
    );
    db = await createTestDatabase('provml_web');
    server = await startServerProcess({ PROVML_DATABASE_URL: db.url, PROVML_DATA_DIR: dir, PROVML_CONFIG: config });
    chromium = await launchBrowser();
  });
  afterAll(async () => {
    await chromium?.close();
    await server?.stop();
    await db?.drop();
    await new Promise((resolve) => dead?.close(resolve));
    if (dir) await fsp.rm(dir, { recursive: true, force: true });
  });

  it('shows basin and field as unavailable and renders the rest of the model card', async () => {
    const page = await chromium.browser.newPage();
    await page.goto(`${server.base}/#/model?uri=${encodeURIComponent('/models/model188.hdf5')}`);
    await page.getByTestId('model-card').waitFor();
    const knowledge = await cardText(page, 'knowledge');
    expect(knowledge).toMatch(/Basin and field unavailable/);
    expect(knowledge).toMatch(/store knowledge \(STORE_UNAVAILABLE\)/);
    // The other stores and the provenance store still answer.
    expect(await cardText(page, 'evaluations')).toMatch(/loss\s+0\.0022/);
    expect(await cardText(page, 'facts')).toMatch(/trace_count\s+280/);
    expect(await page.getByTestId('footprint').first().locator('polygon').count()).toBe(1);
    await page.close();
  });
});
