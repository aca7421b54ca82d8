// The GraphiQL route on its own: content negotiation, the example tabs, the bundle files, over a
// real HTTP server on port 0 (no provml server, no store: none of that is this module's).
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { silentLogger } from '../../src/logger';
import { readExampleTabs } from '../../src/web/example-tabs';
import { loadGraphiQLPage, type GraphiQLPage } from '../../src/web/graphiql-page';
import { prefersHtml } from '../../src/web/prefers-html';

describe('prefersHtml', () => {
  it.each([
    ['text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8', true],
    ['text/html', true],
    ['text/*', true],
    ['*/*', false],
    ['application/json', false],
    ['application/graphql-response+json, application/json;q=0.9', false],
    ['application/json, text/html', false],
    ['text/html;q=0.5, application/json', false],
    ['text/html;q=0', false],
    ['', false],
  ])('%s -> %s', (accept, expected) => {
    expect(prefersHtml(accept)).toBe(expected);
  });
  it('is false without an Accept header', () => expect(prefersHtml(undefined)).toBe(false));
});

function tmpDir(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'provml-graphiql-'));
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return dir;
}

describe('readExampleTabs', () => {
  it("puts the paper's questions first, in their order, with their variables", () => {
    const dir = tmpDir({
      'spatial.graphql': 'query S { a }',
      'q10.graphql': 'query Q10 { a }',
      'q2.graphql': 'query Q2 { a }',
      'q2.json': '{ "x": 1 }',
      'card.graphql': 'query C { a }',
      'notes.txt': 'not a query',
    });
    const { tabs } = readExampleTabs([dir]);
    expect(tabs.map((t) => t.name)).toEqual(['q2', 'q10', 'card', 'spatial']);
    expect(tabs[0]).toEqual({ name: 'q2', query: 'query Q2 { a }', variables: '{ "x": 1 }' });
    expect(tabs[1].variables).toBeUndefined();
  });
  it('reads the first folder that exists (a clone has examples/, a package only the built copy)', () => {
    const built = tmpDir({ 'q1.graphql': 'query Q1 { a }' });
    expect(readExampleTabs([path.join(built, 'absent'), built])).toEqual({
      dir: built,
      tabs: [{ name: 'q1', query: 'query Q1 { a }' }],
    });
    expect(readExampleTabs([path.join(built, 'absent')])).toEqual({ tabs: [] });
  });
});

async function serve(page: GraphiQLPage): Promise<{ base: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    if (!page.handle(req, res, new URL(req.url ?? '/', 'http://localhost'))) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"fallthrough":true}');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('the GraphiQL route', () => {
  const html = { accept: 'text/html' };

  it('answers a browser with a notice when the bundle is not built, and leaves GraphQL alone', async () => {
    const page = loadGraphiQLPage({ log: silentLogger, assetsDir: '/nonexistent', examplesDirs: [] });
    const s = await serve(page);
    try {
      const res = await fetch(`${s.base}/graphql`, { headers: html });
      expect(res.status).toBe(503);
      expect(await res.text()).toMatch(/npm run build/);
      expect(await (await fetch(`${s.base}/graphql`, { headers: { accept: 'application/json' } })).json()).toEqual({
        fallthrough: true,
      });
    } finally {
      await s.close();
    }
  });

  it('serves the page with the examples escaped for <script>, and only the files of the bundle', async () => {
    const assets = tmpDir({ 'graphiql.js': 'console.log("ide")', 'graphiql.css': 'body{}', 'secret.env': 'X=1' });
    const examples = tmpDir({ 'q1.graphql': '# a comment with </script><script>alert(1)</script>\nquery Q1 { a }' });
    const s = await serve(loadGraphiQLPage({ log: silentLogger, assetsDir: assets, examplesDirs: [examples] }));
    try {
      const page = await fetch(`${s.base}/graphql`, { headers: html });
      expect(page.status).toBe(200);
      const text = await page.text();
      expect(text.match(/<script/g)).toHaveLength(2); // the bundle and the config, nothing injected
      const config = /<script id="provml-graphiql-config" type="application\/json">(.*)<\/script>/.exec(text)![1];
      expect(JSON.parse(config).examples[0].query).toMatch(/^# a comment with <\/script>/);

      const js = await fetch(`${s.base}/graphiql/assets/graphiql.js`, { headers: { 'accept-encoding': 'gzip' } });
      expect(js.headers.get('content-type')).toMatch(/^text\/javascript/);
      expect(await js.text()).toBe('console.log("ide")'); // fetch undoes the gzip
      const raw = await new Promise<{ encoding?: string; body: Buffer }>((resolve, reject) =>
        http
          .get(`${s.base}/graphiql/assets/graphiql.js`, { headers: { 'accept-encoding': 'gzip' } }, (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => resolve({ encoding: res.headers['content-encoding'], body: Buffer.concat(chunks) }));
          })
          .on('error', reject),
      );
      expect(raw.encoding).toBe('gzip');
      expect(gunzipSync(raw.body).toString()).toBe('console.log("ide")');

      const head = await fetch(`${s.base}/graphiql/assets/graphiql.css`, {
        method: 'HEAD',
        headers: { 'accept-encoding': 'identity' },
      });
      expect(head.status).toBe(200);
      expect(head.headers.get('content-length')).toBe('6');
      // Not a type the bundle has, not a file of it, not a way out of the folder: not served here.
      for (const p of ['secret.env', 'nothing.js', '..%2Fgraphiql.js', '%2e%2e/%2e%2e/package.json']) {
        expect((await fetch(`${s.base}/graphiql/assets/${p}`)).status).toBe(404);
      }
      // POST is GraphQL's, whatever it accepts.
      const post = await fetch(`${s.base}/graphql`, { method: 'POST', headers: html, body: '{}' });
      expect(post.status).toBe(404);
    } finally {
      await s.close();
    }
  });
});
