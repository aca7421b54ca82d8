/**
 * Extraction at ingest against real stores: PostgreSQL (the job table and its trigger), the fs
 * object store, the file document store. Files are the demo's real SEG-Y (written by segyio),
 * a real HDF5 set (h5py), and broken copies made here.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { FileDocumentStore, UPSERT_FOLDER } from '../../src/connectors/documents/file-document-store';
import type { CreatedStore } from '../../src/connectors/store-config';
import { EXAMPLES_STORES_DIR, openRegistry, type StoreRegistry } from '../../src/connectors/store-registry';
import { parseWorkflowSpec, specHash } from '../../src/ingest/workflow-spec';
import { CURATION_SPEC, createExtractionApp, curationEvents, type ExtractionApp } from './extraction-app';

const SGY = path.join(EXAMPLES_STORES_DIR, 'objects/data/netherlands.sgy');
const H5 = path.join(EXAMPLES_STORES_DIR, 'objects/input/train.hdf5');

type Named = { name: string; value: unknown };
interface Extraction {
  status: string;
  bytesRead: string | null;
  attempts: number;
  note: string | null;
  error: { code: string; message: string; offset: string | null; field: string | null } | null;
  characteristics: Named[] | null;
  run: { id: string } | null;
}
const byName = (xs: Named[] | null) => Object.fromEntries((xs ?? []).map((x) => [x.name, x.value]));

const REF_QUERY = `query($uri: String!) { dataReference(uri: $uri) {
  uri
  extraction { status bytesRead attempts note error { code message offset field } characteristics { name value } run { id } }
  usedBy { id ... on TaskExecution { generated { name value } } }
} }`;

describe('extraction at ingest (fs object store, file document store, PostgreSQL)', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'provml-extraction-files-'));
  const docs = fs.mkdtempSync(path.join(os.tmpdir(), 'provml-extraction-docs-'));
  let registry: StoreRegistry;
  let app: ExtractionApp;

  const ref = (uri: string, extract?: unknown) => ({ $ref: uri, store: 'fs', ...(extract === undefined ? {} : { extract }) });
  const extraction = async (uri: string) => {
    const res = await app.run<{
      dataReference: { extraction: Extraction | null; usedBy: Array<{ id: string; generated?: Named[] }> };
    }>(REF_QUERY, { uri });
    expect(res.errors).toBeUndefined();
    return res.data!.dataReference;
  };
  const jobs = async (status?: string) => {
    const res = await app.run<{
      extractionJobs: { nodes: Array<{ id: string; status: string; dataReference: { uri: string } }> };
    }>(`query($s: ExtractionStatus) { extractionJobs(status: $s, first: 100) { nodes { id status dataReference { uri } } } }`, {
      s: status ?? null,
    });
    expect(res.errors).toBeUndefined();
    return res.data!.extractionJobs.nodes;
  };

  beforeAll(async () => {
    fs.mkdirSync(path.join(root, 'data'));
    fs.mkdirSync(path.join(root, 'input'));
    fs.copyFileSync(SGY, path.join(root, 'data/netherlands.sgy'));
    fs.copyFileSync(H5, path.join(root, 'input/train.hdf5'));
    // Headers and part of the first trace header: the file ends inside trace 1.
    fs.writeFileSync(path.join(root, 'data/truncated.sgy'), fs.readFileSync(SGY).subarray(0, 3700));
    for (let i = 0; i < 6; i++) fs.copyFileSync(SGY, path.join(root, `data/copy${i}.sgy`));
    registry = await openRegistry(
      {
        stores: [
          { id: 'fs', kind: 'fs', options: { root, paths: 'rooted' } },
          { id: 'documents', kind: 'mongodb', options: { directory: docs } },
        ],
      },
      { env: {}, baseDir: root },
    );
    app = await createExtractionApp(registry);
    const spec = parseWorkflowSpec(CURATION_SPEC);
    await app.deps.store.registerWorkflow(spec, specHash(spec));
  });
  afterAll(async () => {
    await app?.close();
    await registry?.close();
    fs.rmSync(root, { recursive: true, force: true });
    fs.rmSync(docs, { recursive: true, force: true });
  });

  it('keeps the batch whole, queues one job per request, and extracts in the background', async () => {
    const r = await app.ingest(
      curationEvents('c1', [
        ref('/data/netherlands.sgy', true),
        ref('/input/train.hdf5', {}),
        ref('/data/truncated.sgy', true),
        ref('/data/odd.sgy', { fsat: true }),
        ref('/data/plain.sgy'),
        ref('/data/declined.sgy', false),
      ]),
    );
    // A broken file or a wrong option never costs an event: they are the job's business.
    expect(r).toMatchObject({ accepted: 8, duplicates: 0, rejected: 0 });
    expect((await jobs('PENDING')).map((j) => j.dataReference.uri).sort()).toEqual([
      '/data/netherlands.sgy',
      '/data/odd.sgy',
      '/data/truncated.sgy',
      '/input/train.hdf5',
    ]);

    const worker = app.startWorker();
    expect(await worker.drain()).toBe(4);
    await worker.stop();

    const sgy = await extraction('/data/netherlands.sgy');
    expect(sgy.extraction).toMatchObject({ status: 'DONE', attempts: 1, error: null, note: null });
    const c = byName(sgy.extraction!.characteristics);
    // The demo cube's geometry, as make_demo_segy.py wrote it with segyio.
    expect(c).toMatchObject({
      format: 'SEG-Y',
      trace_count: 280,
      sample_count: 4,
      sample_interval_us: 4000,
      inline_range: [100, 750],
      crossline_range: [300, 1250],
      inline_count: 14,
      crossline_count: 20,
      crs: 'EPSG:23031',
      byte_order: 'big',
      sample_format: 'ieee-float32',
      ranges_inferred: false,
      file_size: fs.statSync(SGY).size,
    });
    // Headers only: the 3600 file header bytes and the trace headers (the first one read twice,
    // once to size the traces), never the 280 x 16 sample bytes.
    expect(c.bytes_read).toBe(3600 + 281 * 240);
    expect(sgy.extraction!.bytesRead).toBe(String(c.bytes_read));
    expect((c.footprint as { crs: string }).crs).toBe('EPSG:23031');
    const ring = (c.footprint_wgs84 as { coordinates: number[][][] }).coordinates[0];
    expect(ring).toHaveLength(5);
    for (const [lon, lat] of ring) {
      expect(lon).toBeGreaterThan(4.6);
      expect(lon).toBeLessThan(5.05);
      expect(lat).toBeGreaterThan(54.78);
      expect(lat).toBeLessThan(54.95);
    }

    // Lineage: the characteristics were generated by an extraction task that used the file.
    const runId = sgy.extraction!.run!.id;
    expect(runId).toMatch(/^run:provml-extraction-\d+$/);
    const task = sgy.usedBy.find((u) => u.id === `task:${runId.slice(4)}.extract`)!;
    expect(byName(task.generated!)).toMatchObject({ inline_range: [100, 750], crossline_range: [300, 1250], trace_count: 280 });
    const roles = await app.run<{ node: { generated: Array<{ __typename: string; name: string }> } }>(
      `query($id: ID!) { node(id: $id) { ... on TaskExecution { generated { __typename name } } } }`,
      { id: task.id },
    );
    expect(roles.errors).toBeUndefined();
    expect(new Set(roles.data!.node.generated.map((g) => g.__typename))).toEqual(new Set(['DatasetCharacteristicValue']));

    // HDF5: the shapes h5py reads, as characteristics of the learning dataset reference.
    const h5 = await extraction('/input/train.hdf5');
    expect(h5.extraction?.status).toBe('DONE');
    const shapes = JSON.parse(
      execFileSync('/usr/bin/python3', [
        '-c',
        `import h5py, json, sys
f = h5py.File(sys.argv[1], 'r'); out = {}
f.visititems(lambda n, o: out.__setitem__('/' + n, list(o.shape)) if isinstance(o, h5py.Dataset) else None)
print(json.dumps(out))`,
        H5,
      ]).toString(),
    ) as Record<string, number[]>;
    const hc = byName(h5.extraction!.characteristics);
    expect(hc.format).toBe('HDF5');
    expect(hc.shapes).toEqual(shapes);
    expect(hc.instances).toEqual(Object.fromEntries(Object.entries(shapes).map(([p, s]) => [p, s.length ? s[0] : null])));

    // Failures: typed, located, recorded on the job only.
    const bad = await extraction('/data/truncated.sgy');
    expect(bad.extraction).toMatchObject({ status: 'FAILED', attempts: 1, characteristics: null, run: null });
    expect(bad.extraction!.error).toMatchObject({ code: 'TRUNCATED', offset: expect.stringMatching(/^\d+$/) });
    expect(Number(bad.extraction!.error!.offset)).toBeGreaterThanOrEqual(3600);
    const odd = await extraction('/data/odd.sgy');
    expect(odd.extraction).toMatchObject({ status: 'FAILED', error: { code: 'BAD_OPTIONS', field: 'extract.fsat' } });
    expect(odd.extraction!.error!.message).toContain('unknown option "fsat"');
    expect((await extraction('/data/plain.sgy')).extraction).toBeNull();
    expect((await extraction('/data/declined.sgy')).extraction).toBeNull();
    expect((await jobs('FAILED')).map((j) => j.dataReference.uri).sort()).toEqual(['/data/odd.sgy', '/data/truncated.sgy']);
  });

  it('writes the footprint, converted to WGS84, to the file document store, where spatial queries find it', async () => {
    const c = byName((await extraction('/data/netherlands.sgy')).extraction!.characteristics);
    const folder = path.join(docs, UPSERT_FOLDER);
    const files = fs.readdirSync(folder);
    expect(files).toEqual([expect.stringMatching(/^data_netherlands\.sgy-[0-9a-f]{10}\.geojson$/)]);
    const written = JSON.parse(fs.readFileSync(path.join(folder, files[0]), 'utf8'));
    expect(written).toMatchObject({
      type: 'Feature',
      geometry: c.footprint_wgs84,
      properties: {
        uri: '/data/netherlands.sgy',
        sourceCrs: 'EPSG:23031',
        inlineRange: [100, 750],
        crosslineRange: [300, 1250],
        extractedBy: 'provml',
      },
    });
    const box = {
      type: 'Polygon',
      coordinates: [
        [
          [4.7, 54.88],
          [4.75, 54.88],
          [4.75, 54.92],
          [4.7, 54.92],
          [4.7, 54.88],
        ],
      ],
    };
    // The live store (updated in memory) and one opened afresh from the directory agree.
    const live = (registry.get('documents') as Extract<CreatedStore, { kind: 'mongodb' }>).documents;
    const fresh = await FileDocumentStore.fromDirectory(docs, { id: 'documents' });
    for (const store of [live, fresh]) {
      expect((await store.intersects(box, 10)).map((d) => d.uri)).toEqual(['/data/netherlands.sgy']);
      expect((await store.findByUris(['/data/netherlands.sgy']))[0]).toMatchObject({ geometry: c.footprint_wgs84 });
    }
    // HDF5 sets have no footprint: nothing else was written.
    expect(fs.readdirSync(folder)).toHaveLength(1);
  });

  it('is idempotent per (reference, options), and a new request retries a failed job', async () => {
    const before = (await jobs()).length;
    const again = curationEvents('c1', [ref('/data/netherlands.sgy', true)]);
    expect((await app.ingest(again)).duplicates).toBe(3);
    await app.ingest(curationEvents('c2', [ref('/data/netherlands.sgy', {}), ref('/data/netherlands.sgy', true)]));
    expect(await jobs()).toHaveLength(before);
    await app.ingest(curationEvents('c3', [ref('/data/netherlands.sgy', { fast: true })]));
    expect(await jobs()).toHaveLength(before + 1);

    // The file is repaired and asked for again: the failed job runs once more and succeeds.
    fs.copyFileSync(SGY, path.join(root, 'data/truncated.sgy'));
    await app.ingest(curationEvents('c4', [ref('/data/truncated.sgy', true)]));
    expect((await extraction('/data/truncated.sgy')).extraction).toMatchObject({ status: 'PENDING', error: null, attempts: 0 });
    const worker = app.startWorker();
    expect(await worker.drain()).toBe(2);
    await worker.stop();
    expect((await extraction('/data/truncated.sgy')).extraction).toMatchObject({ status: 'DONE', attempts: 1 });
    expect((await jobs()).filter((j) => j.dataReference.uri === '/data/netherlands.sgy').map((j) => j.status)).toEqual([
      'DONE',
      'DONE',
    ]);
  });

  it('keeps pending jobs across a restart and takes over a job whose worker died', async () => {
    await app.ingest(curationEvents('r1', [ref('/data/copy0.sgy', true), ref('/data/copy1.sgy', true)]));
    await app.restart();
    const pending = await jobs('PENDING');
    expect(pending.map((j) => j.dataReference.uri).sort()).toEqual(['/data/copy0.sgy', '/data/copy1.sgy']);

    // A worker claims one job and dies: the job stays RUNNING until its lease runs out. The lease
    // is long (a slow, loaded machine must not let it run out early) and then made to run out
    // here, instead of waiting for a short one: the counts must not depend on timing.
    const [claimed] = await app.deps.store.claimExtractionJobs(1, 600_000);
    expect((await jobs('RUNNING')).map((j) => j.id)).toEqual([claimed.id]);
    const first = app.startWorker();
    expect(await first.drain()).toBe(1);
    await first.stop();
    expect((await jobs('RUNNING')).map((j) => j.id)).toEqual([claimed.id]);
    const sql = new pg.Client({ connectionString: app.db.url });
    await sql.connect();
    try {
      await sql.query(`UPDATE extraction_job SET next_attempt_at = now() - interval '1 second' WHERE id = $1`, [claimed.id]);
    } finally {
      await sql.end();
    }
    const second = app.startWorker();
    expect(await second.drain()).toBe(1);
    await second.stop();
    for (const uri of ['/data/copy0.sgy', '/data/copy1.sgy']) {
      expect((await extraction(uri)).extraction).toMatchObject({ status: 'DONE' });
    }
    expect((await extraction(claimed.uri)).extraction!.attempts).toBe(2);
  });

  it('never runs more jobs at once than its concurrency', async () => {
    const objects = (registry.get('fs') as Extract<CreatedStore, { kind: 's3' | 'fs' }>).objects;
    const { stat, readRange } = { stat: objects.stat.bind(objects), readRange: objects.readRange.bind(objects) };
    const active = new Map<string, number>();
    let most = 0;
    // The real store, its stat slowed down so that jobs overlap; counts files being read at once.
    const tracked = async <T>(uri: string, delayMs: number, call: () => Promise<T>): Promise<T> => {
      active.set(uri, (active.get(uri) ?? 0) + 1);
      most = Math.max(most, active.size);
      try {
        await new Promise((r) => setTimeout(r, delayMs));
        return await call();
      } finally {
        const n = active.get(uri)! - 1;
        if (n) active.set(uri, n);
        else active.delete(uri);
      }
    };
    objects.stat = (uris) => tracked(uris[0], 150, () => stat(uris));
    objects.readRange = (uri, offset, length) => tracked(uri, 0, () => readRange(uri, offset, length));
    try {
      await app.ingest(
        curationEvents(
          'p1',
          [2, 3, 4, 5].map((i) => ref(`/data/copy${i}.sgy`, true)).concat([ref('/data/copy0.sgy', { fast: true })]),
        ),
      );
      const worker = app.startWorker({ concurrency: 2 });
      expect(await worker.drain()).toBe(5);
      await worker.stop();
      expect(most).toBe(2);
    } finally {
      objects.stat = stat;
      objects.readRange = readRange;
    }
    expect(await jobs('PENDING')).toEqual([]);
  });
});

describe('FileDocumentStore.upsert (the footprint writer)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'provml-upsert-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const square = (x: number, y: number) => ({
    type: 'Polygon' as const,
    coordinates: [
      [
        [x, y],
        [x + 1, y],
        [x + 1, y + 1],
        [x, y + 1],
        [x, y],
      ],
    ] as [number, number][][],
  });

  it('updates a document where it lies, keeps its other fields, and writes nothing twice', async () => {
    fs.writeFileSync(
      path.join(dir, 'cubes.geojson'),
      JSON.stringify({
        type: 'FeatureCollection',
        features: [
          { type: 'Feature', geometry: square(0, 0), properties: { uri: 'a.sgy', basin: 'A' } },
          { type: 'Feature', geometry: null, properties: { uri: ['b.sgy', 'http://x/b'], basin: 'B' } },
        ],
      }),
    );
    fs.writeFileSync(path.join(dir, 'plain.json'), JSON.stringify([{ uri: 'c.sgy', geometry: square(9, 9), depth: 3 }]));
    const store = await FileDocumentStore.fromDirectory(dir, { id: 'd' });
    expect(await store.upsert({ uri: 'http://x/b', geometry: square(5, 5), properties: { sourceCrs: 'EPSG:32631' } })).toBe(true);
    expect(await store.upsert({ uri: 'http://x/b', geometry: square(5, 5), properties: { sourceCrs: 'EPSG:32631' } })).toBe(
      false,
    );
    expect(await store.upsert({ uri: 'c.sgy', geometry: square(7, 7), properties: { traceCount: 10 } })).toBe(true);
    await expect(
      store.upsert({ uri: 'c.sgy', geometry: { type: 'Polygon', coordinates: [[[0, 0]]] } as never, properties: {} }),
    ).rejects.toMatchObject({
      extensions: { code: 'BAD_USER_INPUT' },
    });
    await expect(store.upsert({ uri: 'c.sgy', geometry: square(7, 7), properties: { $where: 1 } })).rejects.toMatchObject({
      extensions: { code: 'BAD_USER_INPUT' },
    });

    const onDisk = JSON.parse(fs.readFileSync(path.join(dir, 'cubes.geojson'), 'utf8'));
    expect(onDisk.features[0]).toEqual({ type: 'Feature', geometry: square(0, 0), properties: { uri: 'a.sgy', basin: 'A' } });
    expect(onDisk.features[1]).toEqual({
      type: 'Feature',
      geometry: square(5, 5),
      properties: { uri: ['b.sgy', 'http://x/b'], basin: 'B', sourceCrs: 'EPSG:32631' },
    });
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'plain.json'), 'utf8'))).toEqual([
      { uri: 'c.sgy', geometry: square(7, 7), depth: 3, traceCount: 10 },
    ]);
    expect(fs.existsSync(path.join(dir, UPSERT_FOLDER))).toBe(false);
    // Memory follows the files: the old shape is gone from spatial answers, the new one is there.
    expect((await store.intersects(square(9.2, 9.2), 10)).map((d) => d.uri)).toEqual([]);
    expect((await store.intersects(square(5.2, 5.2), 10)).map((d) => d.uri)).toEqual(['b.sgy']);
  });
});
