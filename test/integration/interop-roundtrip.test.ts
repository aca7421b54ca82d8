import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { curationEvents, preparationEvents, trainingEvents } from '../../src/demo/demo-events';
import { DEMO_SPECS } from '../../src/demo/demo-specs';
import { ingestBatch } from '../../src/ingest/ingest-batch';
import { specHash } from '../../src/ingest/workflow-spec';
import { exportToString } from '../../src/interop/export-document';
import { importProvJsonFile } from '../../src/interop/import-document';
import { createTestApp, type TestApp } from '../helpers/app';

// export -> import into a fresh database -> export: the two PROV-JSON documents hold the same
// statements (relation keys `_:rN` aside). Then every other format of the same store is read by
// its own reader: JSON-LD by rdflib, DOT and SVG checked for their nodes.
const norm = (text: string) => {
  const doc = JSON.parse(text) as Record<string, Record<string, unknown>>;
  const out: Record<string, string[]> = {};
  for (const [section, body] of Object.entries(doc)) {
    if (section === 'prefix') continue;
    out[section] = Object.entries(body)
      .map(([k, v]) => JSON.stringify(k.startsWith('_:') ? v : [k, v]))
      .sort();
  }
  return out;
};

describe('round trip and the other formats', () => {
  let a: TestApp;
  let b: TestApp;
  let dir: string;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'provml-roundtrip-'));
    [a, b] = await Promise.all([createTestApp(), createTestApp()]);
    // The demo with 3 epochs, one batch per run (loadDemo would put both training runs, which
    // declare the same agents, into one batch; see the report).
    for (const spec of DEMO_SPECS) await a.deps.store.registerWorkflow(spec, specHash(spec));
    for (const events of [[...curationEvents(), ...preparationEvents()], trainingEvents(0, 3), trainingEvents(1, 3)]) {
      expect((await ingestBatch(events, { store: a.deps.store, catalog: a.deps.catalog, maxBatchEvents: 5000 })).rejected).toBe(
        0,
      );
    }
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('export -> import -> export is stable', async () => {
    const first = await exportToString(a.deps.store, { kind: 'all' }, 'prov-json');
    const file = path.join(dir, 'first.json');
    fs.writeFileSync(file, first);
    const r = await importProvJsonFile(file, { store: b.deps.store, catalog: b.deps.catalog, maxBatchEvents: 5000 });
    expect(r).toMatchObject({ source: 'provml', rejected: 0 });
    expect(r.issues).toEqual([]);
    const second = await exportToString(b.deps.store, { kind: 'all' }, 'prov-json');
    expect(norm(second)).toEqual(norm(first));
  });

  it('JSON-LD parses in rdflib; DOT and SVG draw every node of a run', async () => {
    const jsonld = path.join(dir, 'doc.jsonld');
    fs.writeFileSync(jsonld, await exportToString(a.deps.store, { kind: 'all' }, 'jsonld'));
    const out = execFileSync(
      '/usr/bin/python3',
      [
        path.join(__dirname, '../fixtures/yprov4ml/readers.py'),
        'rdf-chain',
        jsonld,
        'json-ld',
        '/input/train.hdf5',
        '/data/netherlands.sgy',
      ],
      { encoding: 'utf8' },
    );
    expect(JSON.parse(out)).toMatchObject({ found: true, derivedFound: true });

    const dot = await exportToString(a.deps.store, { kind: 'run', runId: 'demo-preparation-1' }, 'dot');
    expect(dot).toMatch(/^digraph provml \{/);
    expect(dot).toMatch(/-> ".*ref\/fs\/%2Fdata%2Fnetherlands\.sgy" \[label="used"\]/);
    const svg = await exportToString(a.deps.store, { kind: 'entity', uri: '/input/train.hdf5', depth: 4 }, 'svg');
    expect(svg).toMatch(/^<\?xml/);
    expect(svg).toContain('/data/netherlands.sgy');
    expect((svg.match(/<g class="(entity|activity|agent)">/g) ?? []).length).toBeGreaterThan(3);
  });
});
