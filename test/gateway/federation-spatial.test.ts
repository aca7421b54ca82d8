import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { EXAMPLES_STORES_DIR, openRegistry, type StoreRegistry } from '../../src/connectors/store-registry';
import { DEMO } from '../../src/demo/demo-events';
import { createFederationApp, readExample, type FederationApp } from './federation-app';

// The spatial question (issue 3, item 7) over the gateway: the demo lifecycle plus a second cube
// elsewhere with its own preparation and training, the cubes' polygons in a GeoJSON directory
// (the embedded document store, planar intersects), the walk over a real PostgreSQL.
const OTHER = { raw: '/gom/other.sgy', train: '/input/other-train.hdf5', model: '/models/other/model1.hdf5' };
const OTHER_CUBE = {
  type: 'Feature',
  geometry: {
    type: 'Polygon',
    coordinates: [
      [
        [-91, 27],
        [-90, 27],
        [-90, 28],
        [-91, 28],
        [-91, 27],
      ],
    ],
  },
  properties: { uri: 'http://example.org/cubes/other.sgy', name: 'another cube, Gulf of Mexico' },
};
// A document with a geometry but no references: it intersects, and names no data.
const UNREFERENCED = {
  type: 'Feature',
  geometry: { type: 'Point', coordinates: [4.6, 54.9] },
  properties: { uri: '/data/never-used.sgy' },
};

const ref = (uri: string) => ({ $ref: uri, store: DEMO.store });
const otherLifecycle = [
  { id: 'sp:1', type: 'workflowBegin', run: 'other-prep', workflow: 'learning-data-preparation' },
  {
    id: 'sp:2',
    type: 'taskBegin',
    task: 'other-prep.tiles',
    run: 'other-prep',
    transformation: 'generate_tiles',
    used: { seismic_file: ref(OTHER.raw), tile_size: 20 },
  },
  { id: 'sp:3', type: 'taskEnd', task: 'other-prep.tiles', generated: { train_set: ref(OTHER.train) } },
  { id: 'sp:4', type: 'workflowEnd', run: 'other-prep' },
  { id: 'sp:5', type: 'workflowBegin', run: 'other-train', workflow: 'seismic-training' },
  {
    id: 'sp:6',
    type: 'taskBegin',
    task: 'other-train.t',
    run: 'other-train',
    transformation: 'training',
    used: { learning_rate: 0.1, train_set: ref(OTHER.train) },
  },
  {
    id: 'sp:7',
    type: 'taskBegin',
    task: 'other-train.t.e1',
    run: 'other-train',
    parent: 'other-train.t',
    transformation: 'epoch',
    used: { epoch: 1 },
  },
  { id: 'sp:8', type: 'taskEnd', task: 'other-train.t.e1', generated: { model: ref(OTHER.model), epoch: 1 } },
  { id: 'sp:9', type: 'taskEnd', task: 'other-train.t' },
  { id: 'sp:10', type: 'workflowEnd', run: 'other-train' },
];

const box = (x0: number, y0: number, x1: number, y1: number) => ({
  type: 'Polygon',
  coordinates: [
    [
      [x0, y0],
      [x1, y0],
      [x1, y1],
      [x0, y1],
      [x0, y0],
    ],
  ],
});
const SPATIAL = `query($g: JSON!, $first: Int, $store: String) { modelsTrainedOnArea(geometry: $g, first: $first, store: $store) { id name reference { uri } } }`;
type Res = { modelsTrainedOnArea: Array<{ id: string; name: string; reference: { uri: string } }> };

// The demo's checkpoints: every 50th epoch of each run, and the best model of the lr 0.01 run.
const demoModelUris = () =>
  [
    ...DEMO.learningRates.flatMap((lr) =>
      [50, 100, 150, 200, 250, 300].filter((e) => e <= DEMO.maxEpochs).map((e) => `/models/lr${lr}/model${e}.hdf5`),
    ),
    DEMO.bestModel,
  ].sort();

describe('modelsTrainedOnArea on the embedded stores', () => {
  let dir: string;
  let registry: StoreRegistry;
  let app: FederationApp;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'provml-spatial-'));
    await copyFile(path.join(EXAMPLES_STORES_DIR, 'documents/netherlands.geojson'), path.join(dir, 'netherlands.geojson'));
    await writeFile(
      path.join(dir, 'other.geojson'),
      JSON.stringify({ type: 'FeatureCollection', features: [OTHER_CUBE, UNREFERENCED] }),
    );
    registry = await openRegistry(
      {
        stores: [
          { id: 'fs', kind: 'fs', options: { root: 'objects', paths: 'rooted' } },
          // The other cube's document is keyed by an IRI: the uriMap, inverted, leads back to its reference.
          { id: 'documents', kind: 'mongodb', options: { directory: dir }, uriMap: { '/gom/': 'http://example.org/cubes/' } },
        ],
      },
      { env: {}, baseDir: EXAMPLES_STORES_DIR },
    );
    app = await createFederationApp(registry);
    const ingested = await app.run<{ ingest: { accepted: number; rejected: number; issues: unknown[] } }>(
      `mutation($e: [JSON!]!) { ingest(events: $e) { accepted rejected issues { field message } } }`,
      { e: otherLifecycle },
    );
    expect(ingested.data?.ingest).toMatchObject({ accepted: otherLifecycle.length, rejected: 0 });
  });
  afterAll(async () => {
    await app?.close();
    await registry?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('a geometry inside the F3 cube gives model188 and its siblings, and none of the other cube', async () => {
    const res = await app.run<Res>(SPATIAL, { g: box(4.7, 54.88, 4.75, 54.92) });
    expect(res.errors).toBeUndefined();
    const uris = res.data!.modelsTrainedOnArea.map((m) => m.reference.uri);
    expect(uris).toContain(DEMO.bestModel);
    expect([...uris].sort()).toEqual(demoModelUris());
    expect(res.data!.modelsTrainedOnArea.every((m) => m.name === 'model' && m.id.startsWith('value:'))).toBe(true);
    // In id order, as `models` lists them.
    const ids = res.data!.modelsTrainedOnArea.map((m) => Number(m.id.slice('value:'.length)));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
  });

  it("the checked-in example (an area over the cube's corner) answers the same", async () => {
    const { query, variables } = await readExample('spatial');
    const res = await app.run<{ modelsTrainedOnArea: Array<{ reference: { uri: string } }> }>(query, variables);
    expect(res.errors).toBeUndefined();
    expect(res.data!.modelsTrainedOnArea.map((m) => m.reference.uri).sort()).toEqual(demoModelUris());
  });

  it('the other cube, reached through its IRI key and the inverted uriMap, gives only its own model', async () => {
    const res = await app.run<Res>(SPATIAL, { g: { type: 'Point', coordinates: [-90.5, 27.5] } });
    expect(res.errors).toBeUndefined();
    expect(res.data!.modelsTrainedOnArea.map((m) => m.reference.uri)).toEqual([OTHER.model]);
  });

  it('a geometry over both cubes gives all models; `first` keeps the first ones by id', async () => {
    const both = { type: 'MultiPolygon', coordinates: [box(4, 54, 5, 56).coordinates, box(-92, 26, -89, 29).coordinates] };
    const all = await app.run<Res>(SPATIAL, { g: both });
    expect(all.errors).toBeUndefined();
    expect(all.data!.modelsTrainedOnArea.map((m) => m.reference.uri).sort()).toEqual([...demoModelUris(), OTHER.model].sort());
    const three = await app.run<Res>(SPATIAL, { g: both, first: 3 });
    expect(three.data!.modelsTrainedOnArea.map((m) => m.id)).toEqual(all.data!.modelsTrainedOnArea.slice(0, 3).map((m) => m.id));
  });

  it('a geometry that intersects no cube gives []', async () => {
    for (const g of [
      box(10, 10, 11, 11),
      { type: 'Point', coordinates: [4.5, 54.5] },
      {
        type: 'LineString',
        coordinates: [
          [4.0, 54.0],
          [4.5, 54.81],
        ],
      },
    ]) {
      const res = await app.run<Res>(SPATIAL, { g });
      expect(res.errors).toBeUndefined();
      expect(res.data!.modelsTrainedOnArea).toEqual([]);
    }
  });

  it('bad input gets BAD_USER_INPUT naming the field; too large a page gets LIMIT_EXCEEDED', async () => {
    const bad = await app.run(SPATIAL, {
      g: {
        type: 'Polygon',
        coordinates: [
          [
            [4, 54],
            [5, 54],
            [4, 54],
          ],
        ],
      },
    });
    expect(bad.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(String(bad.errors?.[0].extensions?.field)).toMatch(/^geometry\.coordinates/);
    const kind = await app.run(SPATIAL, { g: { type: 'Circle', coordinates: [4, 54] } });
    expect(kind.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'geometry.type' });
    const injected = await app.run(SPATIAL, { g: { $where: 'sleep(1000)' } });
    expect(injected.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'geometry.type' });
    const store = await app.run(SPATIAL, { g: box(4, 54, 5, 56), store: 'fs' });
    expect(store.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'store' });
    const page = await app.run(SPATIAL, { g: box(4, 54, 5, 56), first: 100_000 });
    expect(page.errors?.[0].extensions).toMatchObject({ code: 'LIMIT_EXCEEDED' });
  });

  it('a document store that cannot be reached gives a typed store error naming it, not a crash', async () => {
    // A real MongoDB client against a loopback port that refuses connections.
    const port = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const down = await openRegistry(
      {
        stores: [
          { id: 'documents', kind: 'mongodb', options: { directory: dir } },
          {
            id: 'cubes',
            kind: 'mongodb',
            endpoint: `mongodb://127.0.0.1:${port}/?directConnection=true`,
            options: { database: 'd', collection: 'c' },
            timeoutMs: 500,
          },
        ],
      },
      { env: {}, baseDir: EXAMPLES_STORES_DIR },
    );
    const saved = app.deps.registry;
    app.deps.registry = down;
    try {
      const started = Date.now();
      const res = await app.run<Res>(SPATIAL, { g: box(4.7, 54.88, 4.75, 54.92) });
      expect(Date.now() - started).toBeLessThan(3000);
      expect(res.data).toBeNull();
      expect(res.errors).toHaveLength(1);
      expect(res.errors![0].path).toEqual(['modelsTrainedOnArea']);
      expect(['STORE_UNAVAILABLE', 'STORE_TIMEOUT']).toContain(res.errors![0].extensions?.code);
      expect(res.errors![0].extensions?.store).toBe('cubes');
      // Asking the store that works only still answers.
      const one = await app.run<Res>(SPATIAL, { g: box(4.7, 54.88, 4.75, 54.92), store: 'documents' });
      expect(one.errors).toBeUndefined();
      expect(one.data!.modelsTrainedOnArea.map((m) => m.reference.uri)).toContain(DEMO.bestModel);
    } finally {
      app.deps.registry = saved;
      await down.close();
    }
  });
});
