import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { importProvJsonFile } from '../../src/interop/import-document';
import { createTestApp, type TestApp } from '../helpers/app';

// yProv4ML's default metric format is Zarr (Prov4MLData.start_run: MetricsType.ZARR). The run of
// latest/ (the newest yProvML's naming), with its two loss series in Zarr stores instead of CSV:
// MSE_train in format 2 written by zarr-python 2.13, MSE_val in format 3 (make_zarr_fixtures.py
// --run). Imported over the real import path into PostgreSQL, its points answer over GraphQL.
const LATEST = path.join(__dirname, '../fixtures/yprov4ml/latest');

type Num = number | 'NaN' | 'Infinity' | '-Infinity';
interface Stored {
  epochs: number[];
  values: Num[];
  timestamps: number[];
}

describe('yProv4ML import of a run whose metrics are Zarr stores', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'provml-zarr-run-'));
  const file = path.join(dir, 'prov_mnist_exp_GR0_0.json');
  let app: TestApp;
  let summary: Awaited<ReturnType<typeof importProvJsonFile>>;
  let stored: Record<string, Stored>;

  beforeAll(async () => {
    fs.cpSync(LATEST, dir, { recursive: true });
    for (const name of ['MSE_train_Context.TRAINING_None_GR0.csv', 'MSE_val_Context.VALIDATION_None_GR0.csv'])
      fs.rmSync(path.join(dir, 'metrics_GR0', name));
    execFileSync('/usr/bin/python3', [path.join(__dirname, '../fixtures/yprov4ml/make_zarr_fixtures.py'), dir, '--run']);
    stored = JSON.parse(fs.readFileSync(path.join(dir, 'metrics_GR0/manifest.json'), 'utf8')) as Record<string, Stored>;
    // The document as yProv4ML writes it with MetricsType.ZARR: the same paths, ending .zarr.
    const text = fs.readFileSync(path.join(LATEST, 'prov_mnist_exp_GR0_0.json'), 'utf8');
    fs.writeFileSync(file, text.replace(/(MSE_(train|val)_Context\.[A-Z]+_None_GR0)\.csv/g, '$1.zarr'));
    app = await createTestApp();
    summary = await importProvJsonFile(file, { store: app.deps.store, catalog: app.deps.catalog, maxBatchEvents: 5000 });
  });
  afterAll(async () => {
    await app?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('reads both stores and reports their format, points and attributes', () => {
    expect(summary).toMatchObject({ source: 'yprov4ml', rejected: 0, duplicates: 0 });
    const zarr = summary.files.filter((f) => f.path.endsWith('.zarr'));
    expect(zarr.map((f) => [path.basename(f.path), f.status, f.format, f.points, f.attributes])).toEqual([
      [
        'MSE_train_Context.TRAINING_None_GR0.zarr',
        'read',
        'zarr-v2',
        1500,
        { name: 'MSE_train', context: 'Context.TRAINING', source: 'None' },
      ],
      [
        'MSE_val_Context.VALIDATION_None_GR0.zarr',
        'read',
        'zarr-v3',
        1200,
        { name: 'MSE_val', context: 'Context.VALIDATION', source: 'None' },
      ],
    ]);
    // MSE_train's one NaN (a diverged step) is set apart, and said so.
    expect(summary.warnings).toEqual([expect.stringMatching(/MSE_train.*1 of 1500 points are not finite/)]);
  });

  it.each([
    ['MSE_train', 'TRAINING', 'MSE_train_Context.TRAINING_None_GR0.zarr'],
    ['MSE_val', 'VALIDATION', 'MSE_val_Context.VALIDATION_None_GR0.zarr'],
  ])('%s answers over GraphQL with every finite point the store holds', async (name, context, store) => {
    const res = await app.run<{
      execution: { metrics: Array<{ step: string; value: number; context: string; recordedAt: string }> };
    }>(
      `query($name: String!) { execution(id: "mnist_exp_GR0_0") { metrics(name: $name, limit: 5000) { step value context recordedAt } } }`,
      { name },
    );
    expect(res.errors).toBeUndefined();
    const got = res.data!.execution.metrics.map((m) => [
      Number(m.step),
      Math.fround(m.value),
      m.context,
      new Date(m.recordedAt).getTime(),
    ]);
    const s = stored[store];
    const want = s.values
      .map((v, i) => [s.epochs[i], v, context, s.timestamps[i]] as const)
      .filter(([, v]) => typeof v === 'number')
      .map(([e, v, c, t]) => [e, Math.fround(v as number), c, t]);
    const order = (a: (string | number)[], b: (string | number)[]) => Number(a[3]) - Number(b[3]);
    expect(want.length).toBeGreaterThan(1000);
    expect(got.sort(order)).toEqual(want.sort(order));
  });
});
