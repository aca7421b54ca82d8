import fs from 'node:fs';
import path from 'node:path';
import { EXAMPLES_STORES_DIR, demoRegistryFile, openRegistry, type StoreRegistry } from '../../src/connectors/store-registry';
import { DEMO } from '../../src/demo/demo-events';
import { countStoreCalls, createFederationApp, readExample, traceReads, type FederationApp } from './federation-app';

// The checked-in paper queries (examples/queries) over the gateway with the embedded demo stores:
// Oxigraph from the Turtle, the GeoJSON directory and the `fs` file store, beside the demo
// lifecycle in a real PostgreSQL.
type Named = { name: string; value: unknown };
const byName = (xs: Named[]) => Object.fromEntries(xs.map((x) => [x.name, x.value]));
const objectFile = (uri: string) => fs.statSync(path.join(EXAMPLES_STORES_DIR, 'objects', uri));
const F3_POLYGON = JSON.parse(fs.readFileSync(path.join(EXAMPLES_STORES_DIR, 'documents/netherlands.geojson'), 'utf8')).geometry;

interface RawFile {
  uri: string;
  store: string;
  object: { size: string; contentType?: string | null } | null;
  knowledge: Record<string, unknown> | null;
  document: { geometry: unknown } | null;
  usedBy: Array<{ id: string; generated?: Named[] }>;
}

function expectRawFile(raw: RawFile) {
  expect(raw.uri).toBe(DEMO.rawFile);
  expect(raw.object?.size).toBe(String(objectFile(DEMO.rawFile).size));
  expect(raw.knowledge).toMatchObject({
    basin: 'Southern North Sea',
    field: 'F3 block',
    inlineMin: '100',
    inlineMax: '750',
    crosslineMin: '300',
    crosslineMax: '1250',
  });
  expect(raw.document?.geometry).toEqual(F3_POLYGON);
  // Number of slices: extracted by the curation task that used the file.
  const extract = raw.usedBy.find((u) => u.id === 'task:demo-curation-1.extract')!;
  const extracted = byName(extract.generated!);
  expect(extracted).toMatchObject({
    number_of_inlines: 651,
    number_of_crosslines: 951,
    inline_range: DEMO.inlineRange,
    crossline_range: DEMO.crosslineRange,
  });
  expect(Number(raw.knowledge!.inlineMax) - Number(raw.knowledge!.inlineMin) + 1).toBe(extracted.number_of_inlines);
  expect(Number(raw.knowledge!.crosslineMax) - Number(raw.knowledge!.crosslineMin) + 1).toBe(extracted.number_of_crosslines);
}

describe('federation on the embedded demo stores', () => {
  let registry: StoreRegistry;
  let app: FederationApp;
  let counter: ReturnType<typeof countStoreCalls>;
  beforeAll(async () => {
    registry = await openRegistry(demoRegistryFile(), { env: {}, baseDir: EXAMPLES_STORES_DIR });
    counter = countStoreCalls(registry);
    app = await createFederationApp(registry);
  });
  afterAll(async () => {
    await app?.close();
    await registry?.close();
  });
  beforeEach(() => counter.reset());

  it('Q1: coordinates, basin, field and number of slices of the seismic file behind a model, in one request', async () => {
    const { query, variables } = await readExample('q1');
    type Res = {
      model: {
        reference: { uri: string };
        datasets: Array<{ name: string; dataReference: { uri: string; wasDerivedFrom: RawFile[] } }>;
      };
    };
    const res = await app.run<Res>(query, variables);
    expect(res.errors).toBeUndefined();
    const train = res.data!.model.datasets.find((d) => d.name === 'train_set')!;
    expect(train.dataReference.uri).toBe('/input/train.hdf5');
    expect(train.dataReference.wasDerivedFrom).toHaveLength(1);
    expectRawFile(train.dataReference.wasDerivedFrom[0]);
    expect(train.dataReference.wasDerivedFrom[0].object?.contentType).toBe('application/x-segy');
    // Geographic coordinates in the cube's own CRS, as the curation extracted them.
    const extract = train.dataReference.wasDerivedFrom[0].usedBy.find((u) => u.id === 'task:demo-curation-1.extract')!;
    expect(byName(extract.generated!).coordinates).toMatchObject({ type: 'Polygon', crs: 'EPSG:23031' });
  });

  it('Q6: the seismic file of the training set, its slices, basin and field, in one request', async () => {
    const { query, variables } = await readExample('q6');
    const res = await app.run<{
      dataReference: { uri: string; wasDerivedFrom: Array<RawFile & { knowledge: { wells: string[]; label: string } }> };
    }>(query, variables);
    expect(res.errors).toBeUndefined();
    expect(res.data!.dataReference.uri).toBe(variables.dataset);
    const [raw] = res.data!.dataReference.wasDerivedFrom;
    expectRawFile(raw);
    expect(raw.knowledge.label).toBe('Netherlands F3 block seismic cube');
    expect([...raw.knowledge.wells].sort()).toEqual(['F02-1', 'F03-2', 'F03-4', 'F06-1']);
  });

  it('model card: hyperparameters, evaluations, raw file basin/field/polygon, model size and GPU data in one request', async () => {
    const { query, variables } = await readExample('model-card');
    type Gpu = {
      host: string;
      gpuIndex: number;
      gpuName: string;
      samples: number;
      avgUtilization: number;
      maxUtilization: number;
      maxMemoryUsed: string;
      energy: number;
    };
    type Res = {
      model: {
        reference: { uri: string; object: { size: string; modified: string; contentType: string } };
        hyperparameters: Named[];
        evaluations: Named[];
        datasets: Array<{ name: string; dataReference: { uri: string; object: { size: string }; wasDerivedFrom: RawFile[] } }>;
        trainingExecution: { id: string; host: string; run: { id: string; attributes: { jobId: string }; gpuSummary: Gpu[] } };
      };
    };
    const res = await app.run<Res>(query, variables);
    expect(res.errors).toBeUndefined();
    const m = res.data!.model;
    const modelFile = objectFile(DEMO.bestModel);
    expect(m.reference.uri).toBe(DEMO.bestModel);
    expect(m.reference.object.size).toBe(String(modelFile.size));
    expect(new Date(m.reference.object.modified).getTime()).toBe(Math.floor(modelFile.mtimeMs));
    expect(byName(m.hyperparameters)).toEqual({
      batch_size: 60,
      max_epochs: 300,
      learning_rate: 0.01,
      optimizer: 'Adam',
      epoch: 188,
    });
    expect(byName(m.evaluations)).toEqual({ loss: DEMO.bestLoss, mean_iou: DEMO.bestMeanIou });
    const train = m.datasets.find((d) => d.name === 'train_set')!;
    expect(train.dataReference.object.size).toBe(String(objectFile('/input/train.hdf5').size));
    const raw = train.dataReference.wasDerivedFrom[0];
    expect(raw.knowledge).toEqual({ basin: 'Southern North Sea', field: 'F3 block' });
    expect(raw.document?.geometry).toEqual(F3_POLYGON);
    // The epoch task that generated the checkpoint; its run holds the GPU samples of the whole training.
    expect(m.trainingExecution.id).toBe(`task:demo-training-lr0.01.training.e${DEMO.bestEpoch}`);
    expect(m.trainingExecution.run.attributes.jobId).toBe(DEMO.jobIds[0]);
    const gpus = m.trainingExecution.run.gpuSummary;
    expect(gpus.map((g) => [g.host, g.gpuIndex, g.gpuName, g.samples])).toEqual([
      [DEMO.hosts[0], 0, 'Tesla V100-SXM2-16GB', DEMO.maxEpochs], // one sample per epoch per GPU
      [DEMO.hosts[0], 1, 'Tesla V100-SXM2-16GB', DEMO.maxEpochs],
    ]);
    for (const g of gpus) {
      expect(g.avgUtilization).toBeGreaterThanOrEqual(85);
      expect(g.maxUtilization).toBeLessThanOrEqual(99);
      expect(g.avgUtilization).toBeLessThanOrEqual(g.maxUtilization);
      expect(Number(g.maxMemoryUsed)).toBeGreaterThan(14e9);
      expect(g.energy).toBeGreaterThan(0);
    }
  });

  it('costs one connector call per store per query level, whatever the number of references', async () => {
    const one = await app.run<{
      dataReferences: { nodes: Array<{ uri: string; knowledge: unknown; document: unknown; object: { size: string } | null }> };
    }>(`{ dataReferences(first: 100) { nodes { uri knowledge { iri } document { id } object { size } } } }`);
    expect(one.errors).toBeUndefined();
    const nodes = one.data!.dataReferences.nodes;
    expect(nodes.length).toBeGreaterThanOrEqual(15);
    expect(Object.fromEntries(counter.calls)).toEqual({ knowledge: 1, documents: 1, fs: 1 });
    // Only /data/ references map to knowledge-graph IRIs (the demo's uriMap): the others are not asked.
    expect(Object.fromEntries(counter.keys)).toEqual({ knowledge: 1, documents: nodes.length, fs: nodes.length });
    // The demo files exist only for the raw file, the sets and the best model: others are null, not errors.
    expect(
      nodes
        .filter((n) => n.object)
        .map((n) => n.uri)
        .sort(),
    ).toEqual(['/data/netherlands.sgy', '/input/test.hdf5', '/input/train.hdf5', '/input/valid.hdf5', '/models/model188.hdf5']);

    counter.reset();
    const two = await app.run(
      `{ dataReferences(filter: { uriPrefix: "/input/" }) { nodes { object { size } knowledge { iri } wasDerivedFrom { object { size } knowledge { iri } document { id } } } } }`,
    );
    expect(two.errors).toBeUndefined();
    // Level 1: three sets (documents not asked); level 2: their common raw file.
    expect(Object.fromEntries(counter.calls)).toEqual({ knowledge: 1, documents: 1, fs: 2 });
    expect(Object.fromEntries(counter.keys)).toEqual({ knowledge: 1, documents: 1, fs: 4 });

    // With every path mapped to an IRI (longest uriMap prefix wins), the knowledge store too gets
    // all keys of a level in one call: level 1 the three sets, level 2 their raw file.
    const wide = await openRegistry(
      {
        stores: [
          {
            id: 'kg',
            kind: 'sparql',
            options: { files: ['knowledge/netherlands.ttl'] },
            uriMap: { '/': 'http://ibm.com/other/', '/data/': 'http://ibm.com/' },
          },
        ],
      },
      { env: {}, baseDir: EXAMPLES_STORES_DIR },
    );
    const wideCounter = countStoreCalls(wide);
    app.deps.registry = wide;
    try {
      type Res = {
        dataReferences: {
          nodes: Array<{ knowledge: { iri: string } | null; wasDerivedFrom: Array<{ knowledge: { iri: string } | null }> }>;
        };
      };
      const res = await app.run<Res>(
        `{ dataReferences(filter: { uriPrefix: "/input/" }) { nodes { knowledge { iri } wasDerivedFrom { knowledge { iri } } } } }`,
      );
      expect(res.errors).toBeUndefined();
      expect(res.data!.dataReferences.nodes.map((n) => n.knowledge)).toEqual([null, null, null]);
      expect(res.data!.dataReferences.nodes.map((n) => n.wasDerivedFrom[0].knowledge?.iri)).toEqual(
        Array(3).fill('http://ibm.com/netherlands.sgy'),
      );
      expect(Object.fromEntries(wideCounter.calls)).toEqual({ kg: 2 });
      expect(wideCounter.keys.get('kg')).toBe(4);
    } finally {
      app.deps.registry = registry;
      await wide.close();
    }

    // Loaders live for one request: the next request reads the stores again.
    counter.reset();
    await app.run(`{ dataReference(uri: "/data/netherlands.sgy") { knowledge { iri } } }`);
    expect(Object.fromEntries(counter.calls)).toEqual({ knowledge: 1 });
  });

  it("starts a reference's store reads while the provenance reads are still going, and only where the query asks", async () => {
    const { query, variables } = await readExample('model-card');
    const trace = traceReads(app.deps.store, registry);
    try {
      const card = await app.run(query, variables);
      expect(card.errors).toBeUndefined();
      // Delegated merges would ask for store fields only after the provenance subschema had answered
      // its whole subtree; in place, the model's object is asked as soon as its reference is known.
      const modelStat = trace.log.findIndex((e) => e.startsWith('fs stat') && e.includes('model188.hdf5'));
      const lastProvenance = trace.log.map((e) => e.startsWith('provenance ')).lastIndexOf(true);
      expect(modelStat).toBeGreaterThanOrEqual(0);
      expect(modelStat).toBeLessThan(lastProvenance);

      // Objects asked only under the datasets: the model's own object is not read.
      trace.log.length = 0;
      counter.reset();
      const sets = await app.run<{ model: { datasets: Array<{ dataReference: { object: { size: string } | null } }> } }>(
        `query($m: String!) { model(uri: $m) { reference { uri } datasets { dataReference { ...Sized } } } }
         fragment Sized on DataReference { object { size } }`,
        { m: DEMO.bestModel },
      );
      expect(sets.errors).toBeUndefined();
      const datasets = sets.data!.model.datasets;
      expect(datasets.length).toBeGreaterThanOrEqual(2);
      expect(datasets.every((d) => d.dataReference.object !== null)).toBe(true);
      expect(counter.keys.get('fs')).toBe(datasets.length);
      expect(trace.log.filter((e) => e.includes('model188'))).toEqual([]);
    } finally {
      trace.restore();
    }
  });

  it('answers null (no error) where no store knows a reference, and lists the registry as DataStoreInstances', async () => {
    const res = await app.run<{
      dataReference: { knowledge: null; document: null; object: null };
      dataStores: Array<{ id: string; kind: string }>;
    }>(
      `{ dataReference(uri: "/models/lr0.01/model50.hdf5") { knowledge { iri } document { id } object { size } } dataStores { id kind } }`,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!.dataReference).toEqual({ knowledge: null, document: null, object: null });
    expect(res.data!.dataStores).toEqual(
      expect.arrayContaining([
        { id: 'fs', kind: 'fs' },
        { id: 'knowledge', kind: 'sparql' },
        { id: 'documents', kind: 'mongodb' },
      ]),
    );
  });

  it('keeps the merge entries out of the public schema', async () => {
    const res = await app.run<{ __schema: { queryType: { fields: Array<{ name: string }> } } }>(
      `{ __schema { queryType { fields { name } } } }`,
    );
    const names = res.data!.__schema.queryType.fields.map((f) => f.name);
    expect(names).toContain('dataReference');
    expect(names.filter((n) => n.startsWith('_'))).toEqual([]);
    const direct = await app.run(`{ _knowledgeByRefs(refs: [{ uri: "/data/netherlands.sgy", store: "fs" }]) { uri } }`);
    expect(direct.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });
});
