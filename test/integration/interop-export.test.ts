import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadDemo } from '../../src/demo/load-demo';
import { DEMO } from '../../src/demo/demo-events';
import { exportToString, type ExportFormat } from '../../src/interop/export-document';
import { createTestApp, type TestApp } from '../helpers/app';

// Independent readers: the W3C PROV reference library (Debian python3-prov) and rdflib, both
// under /usr/bin/python3. Each check prints JSON that the test compares with the demo's facts.
const PY = '/usr/bin/python3';
const readers = path.join(__dirname, '../fixtures/yprov4ml/readers.py');

function py(mode: string, file: string, ...args: string[]): Record<string, unknown> {
  return JSON.parse(execFileSync(PY, [readers, mode, file, ...args], { encoding: 'utf8', maxBuffer: 256 << 20 })) as Record<
    string,
    unknown
  >;
}

describe('export on the demo lifecycle, read by prov and rdflib', () => {
  let app: TestApp;
  let dir: string;
  const save = async (format: ExportFormat, scope: Parameters<typeof exportToString>[1]) => {
    const file = path.join(
      dir,
      `${format}-${Math.random().toString(36).slice(2)}.${format === 'turtle' ? 'ttl' : format === 'prov-json' ? 'json' : format}`,
    );
    fs.writeFileSync(file, await exportToString(app.deps.store, scope, format));
    return file;
  };

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'provml-interop-'));
    app = await createTestApp();
    // 190 epochs: enough for the best model (epoch 188), fewer batches to draw.
    expect((await loadDemo(app.deps, 190)).rejected).toBe(0);
  });
  afterAll(async () => {
    await app?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('whole store as PROV-JSON: prov reads it and finds the chain model188 -> netherlands.sgy', async () => {
    const file = await save('prov-json', { kind: 'all' });
    const r = py('prov-chain', file, DEMO.bestModel, DEMO.rawFile);
    expect(r.chain).toEqual(expect.arrayContaining(['wasGeneratedBy', 'used']));
    expect(r.found).toBe(true);
    expect(r.derivedFound).toBe(true);
    // 4 curation/preparation activities, then per training run: the run, training, epochs, batches.
    const perTraining = 2 + 190 + 190 * DEMO.batchesPerEpoch;
    expect(r.counts).toMatchObject({ Activity: 4 + 2 * perTraining, Agent: 3 });
  });

  it('whole store as Turtle: rdflib parses it and follows prov:used / wasGeneratedBy / wasDerivedFrom', async () => {
    const file = await save('turtle', { kind: 'all' });
    const r = py('rdf-chain', file, 'turtle', DEMO.bestModel, DEMO.rawFile);
    expect(r.found).toBe(true);
    expect(r.derivedFound).toBe(true);
  });
});
