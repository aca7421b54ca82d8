import fs from 'node:fs';
import path from 'node:path';
import { loadDemo } from '../../src/demo/load-demo';
import { DEMO } from '../../src/demo/demo-events';
import type { Q3Query, Q3QueryVariables } from '../../src/generated/operations';
import { createTestApp, type TestApp } from '../helpers/app';

// Runs the checked-in example queries (examples/queries/q2..q5 with their .json variables) on
// the demo lifecycle, as a client would send them.
const dir = path.join(__dirname, '../../examples/queries');
const example = (name: string) => ({
  query: fs.readFileSync(path.join(dir, `${name}.graphql`), 'utf8'),
  variables: JSON.parse(fs.readFileSync(path.join(dir, `${name}.json`), 'utf8')) as Record<string, unknown>,
});

type Named = { name: string; value: unknown };
const byName = (xs: Named[]) => Object.fromEntries(xs.map((x) => [x.name, x.value]));

describe('paper queries on the demo lifecycle', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await createTestApp();
    const r = await loadDemo(app.deps);
    expect(r.rejected).toBe(0);
  });
  afterAll(() => app?.close());

  it('Q2: tile size, noise threshold and slice ranges behind the model', async () => {
    const { query, variables } = example('q2');
    const res = await app.run<{
      model: { datasets: Array<{ name: string; dataReference: { uri: string; wasGeneratedBy: Array<{ used: Named[] }> } }> };
    }>(query, variables);
    expect(res.errors).toBeUndefined();
    const train = res.data!.model.datasets.find((d) => d.name === 'train_set')!;
    expect(train.dataReference.uri).toBe('/input/train.hdf5');
    const used = byName(train.dataReference.wasGeneratedBy[0].used);
    expect(used).toMatchObject({
      tile_size: DEMO.tileSize,
      noise_threshold: DEMO.noiseThreshold,
      inline_range: DEMO.inlineRange,
      crossline_range: DEMO.crosslineRange,
      seismic_file: { $ref: DEMO.rawFile, store: 'fs' },
    });
  });

  it('Q3: hyperparameters and evaluations of the least-loss model of a training set', async () => {
    const { query, variables } = example('q3');
    // Typed by GraphQL Code Generator from codegen.yml.
    const res = await app.run<Q3Query>(query, variables as Q3QueryVariables);
    expect(res.errors).toBeUndefined();
    const m = res.data!.bestModel!;
    expect(m.reference?.uri).toBe(DEMO.bestModel);
    expect(byName(m.hyperparameters as Named[])).toEqual({
      batch_size: 60,
      max_epochs: 300,
      learning_rate: 0.01,
      optimizer: 'Adam',
      epoch: 188,
    });
    expect(byName(m.evaluations as Named[])).toEqual({ loss: DEMO.bestLoss, mean_iou: DEMO.bestMeanIou });
  });

  it('Q4: min, avg and max batch time per epoch, per training on the set', async () => {
    const { query, variables } = example('q4');
    type Stats = { parentId: string; count: number; minMs: number; avgMs: number; maxMs: number };
    const res = await app.run<{ dataReference: { usedBy: Array<{ id: string; durationStats: Stats[] }> } }>(query, variables);
    expect(res.errors).toBeUndefined();
    const trainings = res.data!.dataReference.usedBy;
    expect(trainings.map((t) => t.id).sort()).toEqual([
      'task:demo-training-lr0.001.training',
      'task:demo-training-lr0.01.training',
    ]);
    for (const t of trainings) {
      expect(t.durationStats).toHaveLength(DEMO.maxEpochs);
      for (const s of t.durationStats) {
        expect(s.count).toBe(DEMO.batchesPerEpoch);
        expect(s.minMs).toBeGreaterThanOrEqual(180);
        expect(s.maxMs).toBeLessThanOrEqual(380);
        expect(s.minMs).toBeLessThanOrEqual(s.avgMs);
        expect(s.avgMs).toBeLessThanOrEqual(s.maxMs);
      }
    }
  });

  it('Q5: per-epoch batch time and model evaluations for the set generated from a slice range', async () => {
    const { query, variables } = example('q5');
    type Res = {
      dataReferences: {
        nodes: Array<{
          uri: string;
          usedBy: Array<{ durationStats: unknown[]; models: Array<{ reference: { uri: string }; evaluations: Named[] }> }>;
        }>;
      };
    };
    const res = await app.run<Res>(query, variables);
    expect(res.errors).toBeUndefined();
    const uris = res.data!.dataReferences.nodes.map((n) => n.uri).sort();
    expect(uris).toEqual(['/input/test.hdf5', '/input/train.hdf5', '/input/valid.hdf5']);
    const train = res.data!.dataReferences.nodes.find((n) => n.uri === '/input/train.hdf5')!;
    const models = train.usedBy.flatMap((u) => u.models);
    expect(models.length).toBe(13); // 6 checkpoints per run + the best of the lr 0.01 run
    const best = models.find((m) => m.reference.uri === DEMO.bestModel)!;
    expect(byName(best.evaluations)).toEqual({ loss: DEMO.bestLoss, mean_iou: DEMO.bestMeanIou });
    // A range no preparation used finds nothing.
    const none = await app.run<Res>(query, { generatedWith: [{ name: 'inline_range', value: [1, 2] }] });
    expect(none.data!.dataReferences.nodes).toEqual([]);
  });

  it('reads fields with arguments once per query level for all their parents', async () => {
    // Wraps the real store methods (every call still reaches PostgreSQL) to count the calls.
    const store = app.deps.store as unknown as Record<string, (...a: unknown[]) => unknown>;
    const names = ['durationStats', 'modelsUnderEachTask', 'gpuSummary', 'telemetry', 'metricSeries'];
    const calls = new Map<string, number>();
    const originals = names.map((n) => [n, store[n]] as const);
    for (const [n, fn] of originals)
      store[n] = (...a: unknown[]) => (calls.set(n, (calls.get(n) ?? 0) + 1), fn.apply(app.deps.store, a));
    type Training = {
      durationStats: unknown[];
      models: unknown[];
      gpuSummary: Array<{ samples: number }>;
      telemetry: unknown[];
      run: { gpuSummary: Array<{ samples: number }>; telemetry: unknown[]; metrics: Array<{ value: number }> };
    };
    try {
      const res = await app.run<{ dataReference: { usedBy: Training[] } }>(
        `query($uri: String!) { dataReference(uri: $uri) { usedBy { ... on TaskExecution {
          durationStats(of: "batch") { count } models { reference { uri } } gpuSummary { samples } telemetry(limit: 3) { recordedAt }
          run { gpuSummary { samples } telemetry(limit: 2) { recordedAt } metrics(name: "loss", limit: 5) { value } } } } } }`,
        { uri: '/input/train.hdf5' },
      );
      expect(res.errors).toBeUndefined();
      const trainings = res.data!.dataReference.usedBy;
      expect(trainings).toHaveLength(2);
      for (const t of trainings) {
        expect(t.durationStats).toHaveLength(DEMO.maxEpochs);
        expect(t.models.length).toBeGreaterThan(0);
        // The demo samples execution data on the epochs, not on the training task itself.
        expect(t.telemetry).toEqual([]);
        expect(t.gpuSummary).toEqual([]);
        expect(t.run.telemetry).toHaveLength(2);
        expect(t.run.metrics).toHaveLength(5);
        expect(t.run.gpuSummary.length).toBeGreaterThan(0);
        for (const g of t.run.gpuSummary) expect(g.samples).toBe(DEMO.maxEpochs);
      }
      // Two trainings, one call each; gpuSummary and telemetry: tasks at one level, runs at the next.
      expect(Object.fromEntries(calls)).toEqual({
        durationStats: 1,
        modelsUnderEachTask: 1,
        gpuSummary: 2,
        telemetry: 2,
        metricSeries: 1,
      });
    } finally {
      for (const [n, fn] of originals) store[n] = fn;
    }
  });

  it('reads Q4 and Q5 in as few round trips as the data allows: values with their tasks and kinds in one', async () => {
    // Every store method wrapped (each call still reaches PostgreSQL): the calls a query makes.
    const store = app.deps.store as unknown as Record<string, unknown>;
    const calls = new Map<string, number>();
    const originals: Array<[string, unknown]> = [];
    for (let o: object | null = app.deps.store; o && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
      for (const n of Object.getOwnPropertyNames(o)) {
        const fn = store[n];
        if (n === 'constructor' || typeof fn !== 'function' || originals.some(([m]) => m === n)) continue;
        originals.push([n, Object.hasOwn(store, n) ? fn : undefined]);
        store[n] = (...a: unknown[]) => (
          calls.set(n, (calls.get(n) ?? 0) + 1),
          (fn as (...x: unknown[]) => unknown).apply(app.deps.store, a)
        );
      }
    }
    const counted = async (name: string) => {
      calls.clear();
      const { query, variables } = example(name);
      const res = await app.run<Record<string, unknown>>(query.replace('id\n', 'id __typename\n'), variables);
      expect(res.errors).toBeUndefined();
      return { data: JSON.stringify(res.data), calls: Object.fromEntries(calls) };
    };
    try {
      const q4 = await counted('q4');
      // The trainings' type comes from their transformation's kind, read with them.
      expect(q4.data).toContain('"__typename":"LearningStageExecution"');
      // Before: the uses, then their tasks, then the tasks' transformations, one round trip each.
      expect(q4.calls).toEqual({ dataRefsByUris: 1, valuesWithTasksByDataRefIds: 1, durationStats: 1 });
      const q5 = await counted('q5');
      expect(q5.calls).toEqual({
        dataRefs: 1,
        valuesWithTasksByDataRefIds: 1,
        durationStats: 1,
        modelsUnderEachTask: 1,
        // The models' references and evaluations, together.
        dataRefsByIds: 1,
        valuesByTaskIds: 1,
      });
    } finally {
      for (const [n, fn] of originals) {
        if (fn === undefined) delete store[n];
        else store[n] = fn;
      }
    }
  });

  it('walks the lineage of the model back to the raw SEG-Y file', async () => {
    const res = await app.run<{ lineage: { nodes: Array<{ depth: number; node: { id: string; uri?: string } }> } }>(
      `query($s: String!) { lineage(start: $s, direction: BACKWARD, maxDepth: 20) { nodes { depth node { id ... on DataReference { uri } } } } }`,
      { s: DEMO.bestModel },
    );
    expect(res.errors).toBeUndefined();
    const raw = res.data!.lineage.nodes.find((n) => n.node.uri === DEMO.rawFile);
    expect(raw?.depth).toBe(5);
  });

  it('answers the cap of a lineage with a distinct error', async () => {
    const res = await app.run(`{ lineage(start: "/input/train.hdf5", direction: FORWARD, maxDepth: 5, nodeCap: 50) { depth } }`);
    expect(res.errors?.[0].extensions).toMatchObject({ code: 'LINEAGE_CAP_EXCEEDED', nodeCap: 50 });
  });

  it('fetches any node by its global id', async () => {
    const res = await app.run<{ node: { __typename: string; status: string; attributes: Record<string, unknown> } }>(
      `{ node(id: "run:demo-training-lr0.01") { __typename ... on WorkflowExecution { status attributes } } }`,
    );
    expect(res.data!.node).toMatchObject({
      __typename: 'LearningProcessExecution',
      status: 'FINISHED',
      attributes: { cluster: DEMO.cluster, jobId: '48213' },
    });
  });
});
