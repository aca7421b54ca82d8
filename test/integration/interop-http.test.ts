import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { ingestBatch } from '../../src/ingest/ingest-batch';
import { specHash } from '../../src/ingest/workflow-spec';
import { curationEvents, preparationEvents } from '../../src/demo/demo-events';
import { DEMO_SPECS } from '../../src/demo/demo-specs';
import { exportCommand } from '../../src/commands/export-command';
import { runCli } from '../helpers/run-cli';
import { handleProvRoute } from '../../src/interop/prov-route';
import { createTestApp, type TestApp } from '../helpers/app';

// The /prov route on a real HTTP server (loopback, port 0), and `provml export` against it.
describe('GET /prov and provml export', () => {
  let app: TestApp;
  let server: http.Server;
  let base: string;
  beforeAll(async () => {
    app = await createTestApp();
    for (const spec of DEMO_SPECS) await app.deps.store.registerWorkflow(spec, specHash(spec));
    await ingestBatch([...curationEvents(), ...preparationEvents()], {
      store: app.deps.store,
      catalog: app.deps.catalog,
      maxBatchEvents: 5000,
    });
    server = http.createServer((req, res) => {
      void handleProvRoute(req, res, app.deps).then((mine) => {
        if (!mine) res.writeHead(404).end('not mine');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    await app?.close();
  });

  it('negotiates the format from Accept, and ?format= wins', async () => {
    const ttl = await fetch(`${base}/prov/runs/demo-preparation-1`, { headers: { accept: 'text/turtle' } });
    expect(ttl.headers.get('content-type')).toMatch(/^text\/turtle/);
    expect(await ttl.text()).toContain('prov:used');
    const json = await fetch(`${base}/prov?format=prov-json`, { headers: { accept: 'text/turtle' } });
    expect(json.headers.get('content-type')).toMatch(/^application\/json/);
    expect(Object.keys((await json.json()) as object)).toEqual(
      expect.arrayContaining(['prefix', 'entity', 'activity', 'used', 'wasGeneratedBy']),
    );
  });

  it('answers 404 for an unknown run and 400 for an unknown format; leaves other paths alone', async () => {
    const missing = await fetch(`${base}/prov/runs/nope`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0].extensions.code).toBe(
      'NOT_FOUND',
    );
    const bad = await fetch(`${base}/prov?format=xml`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { errors: Array<{ message: string }> }).errors[0].message).toMatch(
      /unknown export format "xml"/,
    );
    expect((await fetch(`${base}/graphql`)).status).toBe(404);
  });

  it('provml export --entity writes the lineage document to stdout', async () => {
    let out = '';
    let err = '';
    const sink = (f: (s: string) => void) => new Writable({ write: (c, _e, cb) => (f(String(c)), cb()) });
    const code = await runCli(
      'export',
      exportCommand,
      ['--url', `${base}/graphql`, '--format', 'dot', '--entity', '/input/train.hdf5', '--depth', '3'],
      sink((s) => (out += s)),
      sink((s) => (err += s)),
    );
    expect({ code, err }).toEqual({ code: 0, err: '' });
    expect(out).toMatch(/^digraph provml/);
    expect(out).toContain('netherlands.sgy');
    expect(
      await runCli(
        'export',
        exportCommand,
        ['--format', 'nope'],
        sink(() => undefined),
        sink((s) => (err += s)),
      ),
    ).toBe(2);
    expect(err).toMatch(/unknown export format/);
  });
});
