import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { exportCommand } from '../../src/commands/export-command';
import { curationEvents } from '../../src/demo/demo-events';
import { DEMO_SPECS } from '../../src/demo/demo-specs';
import { ingestBatch } from '../../src/ingest/ingest-batch';
import { specHash } from '../../src/ingest/workflow-spec';
import { handleProvRoute } from '../../src/interop/prov-route';
import { createTestApp, type TestApp } from '../helpers/app';
import { runCli } from '../helpers/run-cli';
import { TextSink } from '../helpers/text-sink';

// `provml export --output FILE`: whole or not at all, and an existing file only with --overwrite.
describe('provml export --output', () => {
  let app: TestApp;
  let good: http.Server;
  let broken: http.Server;
  let goodUrl: string;
  let brokenUrl: string;
  let dir: string;
  const listen = async (s: http.Server) => {
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
    return `http://127.0.0.1:${(s.address() as AddressInfo).port}/graphql`;
  };
  beforeAll(async () => {
    app = await createTestApp();
    for (const spec of DEMO_SPECS) await app.deps.store.registerWorkflow(spec, specHash(spec));
    await ingestBatch(curationEvents(), { store: app.deps.store, catalog: app.deps.catalog, maxBatchEvents: 5000 });
    good = http.createServer((req, res) => void handleProvRoute(req, res, app.deps));
    // What the /prov route does when its store fails mid-way (prov-route.ts): the response is
    // cut off after some of the document.
    broken = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"prefix": {"provml": "https://provml.example/ns#"}, "entity": {'.padEnd(200_000, ' '));
      setTimeout(() => res.destroy(new Error('store went away')), 50);
    });
    goodUrl = await listen(good);
    brokenUrl = await listen(broken);
  });
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'provml-export-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  afterAll(async () => {
    await new Promise<void>((r) => good.close(() => r()));
    await new Promise<void>((r) => broken.close(() => r()));
    await app?.close();
  });

  const exportTo = async (url: string, ...args: string[]) => {
    const out = new TextSink();
    const err = new TextSink();
    const code = await runCli('export', exportCommand, ['--url', url, '--format', 'prov-json', '--quiet', ...args], out, err);
    return { code, out: out.text, err: err.text };
  };
  const leftovers = () => fs.readdirSync(dir).filter((f) => f.includes('.partial'));

  it('writes the whole document to FILE, nothing to stdout, no temporary file left', async () => {
    const file = path.join(dir, 'store.json');
    const r = await exportTo(goodUrl, '--output', file);
    expect(r).toEqual({ code: 0, out: '', err: '' });
    const doc = JSON.parse(fs.readFileSync(file, 'utf8')) as { activity?: object };
    expect(Object.keys(doc.activity ?? {}).length).toBeGreaterThan(0);
    expect(leftovers()).toEqual([]);
  });

  it('refuses an existing FILE without --overwrite, before asking the server; replaces it with', async () => {
    const file = path.join(dir, 'store.json');
    fs.writeFileSync(file, 'precious');
    const r = await exportTo('http://127.0.0.1:9/graphql', '--output', file);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${file} exists; give --overwrite`);
    expect(fs.readFileSync(file, 'utf8')).toBe('precious');
    expect((await exportTo(goodUrl, '--output', file, '--overwrite')).code).toBe(0);
    expect(fs.readFileSync(file, 'utf8')).toMatch(/^\{/);
    expect((await exportTo(goodUrl, '--overwrite')).code).toBe(2);
  });

  it('a failed export (the server cut off mid-way) leaves no FILE, and an old FILE intact', async () => {
    const fresh = path.join(dir, 'fresh.json');
    const r = await exportTo(brokenUrl, '--output', fresh);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/the export stopped after [\d.]+ MB: .*fresh\.json was not written/);
    expect(fs.existsSync(fresh)).toBe(false);

    const old = path.join(dir, 'old.json');
    fs.writeFileSync(old, '{"the": "previous export"}');
    expect((await exportTo(brokenUrl, '--output', old, '--overwrite')).code).toBe(1);
    expect(fs.readFileSync(old, 'utf8')).toBe('{"the": "previous export"}');
    expect(leftovers()).toEqual([]);
  });
});
