// GraphiQL at /graphql, self-hosted: over HTTP (content negotiation, POST unchanged, no CDN in the
// page) and in headless Chromium with every request off this machine refused and recorded.
// Needs the build (npm run build): the server is bin/provml.js, the bundle dist/graphiql.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { launchBrowser, type LaunchedBrowser } from '../helpers/browser';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { gql, startServerProcess, type ServerProcess } from '../helpers/server-process';

const EXAMPLES = path.join(__dirname, '../../examples/queries');
const exampleNames = fs
  .readdirSync(EXAMPLES)
  .filter((f) => f.endsWith('.graphql'))
  .map((f) => /^\s*query\s+(\w+)/m.exec(fs.readFileSync(path.join(EXAMPLES, f), 'utf8'))![1]);
const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8';
// Hosts of the CDNs GraphiQL pages and Apollo's landing page usually load from.
const CDN = /unpkg\.com|jsdelivr|cdnjs|googleapis|gstatic|apollographql\.com|esm\.sh/;

let db: TestDatabase;
let server: ServerProcess;

beforeAll(async () => {
  db = await createTestDatabase();
  server = await startServerProcess({ PROVML_DATABASE_URL: db.url, PROVML_DATA_DIR: os.tmpdir() });
});
afterAll(async () => {
  await server?.stop();
  await db?.drop();
});

describe('/graphql over HTTP', () => {
  it('gives a browser the GraphiQL page, linking only this server', async () => {
    const res = await fetch(server.url, { headers: { accept: BROWSER_ACCEPT } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('vary')).toMatch(/accept/i);
    expect(res.headers.get('content-security-policy')).toMatch(/default-src 'none'.*script-src 'self'/);
    const html = await res.text();
    expect(html).toContain('id="graphiql"');
    expect(html).not.toMatch(CDN);
    const links = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(links.length).toBeGreaterThanOrEqual(2);
    for (const link of links) expect(link).toMatch(/^(graphiql\/assets\/|data:)/);
    // Every example query travels in the page.
    for (const name of exampleNames) expect(html).toContain(`query ${name}`);
  });

  it('serves the bundle it links, with nothing from a CDN inside', async () => {
    const html = await (await fetch(server.url, { headers: { accept: 'text/html' } })).text();
    for (const [, link] of html.matchAll(/(?:src|href)="(graphiql\/assets\/[^"]+)"/g)) {
      const res = await fetch(new URL(link, server.url));
      expect(res.status).toBe(200);
      const body = await res.text();
      expect(body.length).toBeGreaterThan(1000);
      expect(body).not.toMatch(CDN);
      const again = await fetch(new URL(link, server.url), { headers: { 'if-none-match': res.headers.get('etag')! } });
      expect(again.status).toBe(304);
    }
    expect((await fetch(`${server.base}/graphiql/assets/../../package.json`)).status).toBe(404);
    expect((await fetch(`${server.base}/graphiql/assets/nothing.js`)).status).toBe(404);
  });

  it('leaves POST and JSON GETs to GraphQL, as before', async () => {
    const post = await gql<{ __typename: string }>(server.url, '{ __typename }');
    expect(post.status).toBe(200);
    expect(post.body.data).toEqual({ __typename: 'Query' });
    // A POST from a client that also accepts HTML is still GraphQL.
    const html = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: BROWSER_ACCEPT },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(await html.json()).toEqual({ data: { __typename: 'Query' } });
    const get = await fetch(`${server.url}?query=${encodeURIComponent('{ __typename }')}`, {
      headers: { accept: 'application/json', 'apollo-require-preflight': '1' },
    });
    expect(get.headers.get('content-type')).toMatch(/json/);
    expect(await get.json()).toEqual({ data: { __typename: 'Query' } });
    // curl and fetch send */*: JSON, not the page (and not Apollo's landing page either).
    const any = await fetch(server.url, { headers: { accept: '*/*' } });
    expect(any.headers.get('content-type')).toMatch(/json/);
  });
});

describe('GraphiQL in Chromium with no network', () => {
  let launched: LaunchedBrowser;
  let context: BrowserContext;
  let page: Page;
  const outside: string[] = [];
  const problems: string[] = [];

  beforeAll(async () => {
    launched = await launchBrowser();
    context = await launched.browser.newContext({ viewport: { width: 1440, height: 900 } });
    await context.route('**/*', async (route) => {
      const url = new URL(route.request().url());
      if (url.hostname === '127.0.0.1' || url.protocol === 'data:' || url.protocol === 'blob:') return route.continue();
      outside.push(url.href);
      return route.abort('blockedbyclient');
    });
    // The recorder itself is checked: a page that asks for an outside address shows up in the list.
    const probe = await context.newPage();
    await probe.goto('http://192.0.2.1/probe').catch(() => undefined);
    await probe.close();
    expect(outside).toEqual(['http://192.0.2.1/probe']);
    outside.length = 0;
    page = await context.newPage();
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
    });
    await page.goto(server.url);
    await page.locator('.graphiql-container').waitFor();
  });
  afterAll(async () => {
    await launched?.close();
  });

  it('opens one tab per example query', async () => {
    const titles = page.locator('.graphiql-tab-button');
    await titles.nth(exampleNames.length - 1).waitFor();
    expect((await titles.allInnerTexts()).map((t) => t.trim()).sort()).toEqual([...exampleNames].sort());
  });

  it('runs an example against the demo and shows the result', async () => {
    await page.locator('.graphiql-tab-button', { hasText: /^Q2$/ }).click();
    await page.locator('.graphiql-execute-button').click();
    const response = page.locator('.graphiql-response');
    await response.getByText('/models/model188.hdf5').first().waitFor();
    await response.getByText('"tile_size"').first().waitFor();
  });

  it('sends the access token as Authorization: Bearer', async () => {
    await page.getByLabel('Access token').fill('graphiql-test-token');
    const sent = page.waitForRequest(
      (r) => r.method() === 'POST' && r.url() === server.url && /"Q2"|query Q2/.test(r.postData() ?? ''),
    );
    await page.locator('.graphiql-execute-button').click();
    expect((await sent).headers()['authorization']).toBe('Bearer graphiql-test-token');
    await page.getByLabel('Access token').fill('');
  });

  it('shows the schema docs', async () => {
    await page.getByLabel('Show Documentation Explorer').click();
    const docs = page.locator('.graphiql-doc-explorer');
    await docs.getByText('Query', { exact: true }).first().click();
    await docs.locator('.graphiql-doc-explorer-title', { hasText: 'Query' }).waitFor();
    await docs.getByText('bestModel', { exact: true }).first().waitFor();
    const dir = process.env.PROVML_UI_SCREENSHOTS;
    if (dir) await page.screenshot({ path: path.join(dir, 'graphiql.png') });
  });

  it('asked for nothing outside this machine, and nothing failed', () => {
    expect(outside).toEqual([]);
    expect(problems).toEqual([]);
  });
});
