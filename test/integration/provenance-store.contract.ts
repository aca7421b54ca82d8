import type { ProvenanceStore } from '../../src/connectors/provenance/provenance-store';
import { ingestBatch } from '../../src/ingest/ingest-batch';
import { SpecCatalog } from '../../src/ingest/spec-catalog';
import { parseWorkflowSpec, specHash } from '../../src/ingest/workflow-spec';

export interface OpenedForTest {
  store: ProvenanceStore;
  /** Counts rows of a table, to prove what a batch did or did not write. */
  count(table: string): Promise<number>;
  close(): Promise<void>;
}

const spec = parseWorkflowSpec({
  name: 'contract-training',
  kind: 'LEARNING',
  transformations: [
    {
      name: 'training',
      kind: 'LEARNING_STAGE',
      stageType: 'TRAINING',
      used: [
        { name: 'lr', role: 'LEARNING_HYPERPARAMETER' },
        { name: 'train_set', role: 'LEARNING_DATASET_REFERENCE' },
      ],
    },
    {
      name: 'epoch',
      kind: 'LEARNING_STAGE',
      parent: 'training',
      generated: [
        { name: 'loss', role: 'EVALUATION_MEASURE' },
        { name: 'model', role: 'MODEL_REFERENCE' },
      ],
    },
    { name: 'batch', kind: 'LEARNING_STAGE', parent: 'epoch' },
  ],
});

/** One training run: 3 epochs x 4 batches of known durations; epoch 2 has the least loss. */
function trainingBatch(run: string, dataset: string) {
  const ev: Array<Record<string, unknown>> = [];
  let n = 0;
  const id = () => `${run}:${n++}`;
  const t0 = Date.parse('2024-01-01T00:00:00Z');
  let t = t0;
  ev.push({ id: id(), type: 'agent', agent: 'alice', kind: 'PERSON', name: 'Alice' });
  ev.push({
    id: id(),
    type: 'workflowBegin',
    run,
    workflow: 'contract-training',
    agent: 'alice',
    time: t,
    attributes: { jobId: '7' },
  });
  ev.push({
    id: id(),
    type: 'taskBegin',
    task: `${run}.tr`,
    run,
    transformation: 'training',
    time: t,
    used: { lr: 0.01, train_set: { $ref: dataset, store: 'fs' } },
  });
  const losses = [0.5, 0.1, 0.3];
  for (let e = 1; e <= 3; e++) {
    const ep = `${run}.tr.e${e}`;
    ev.push({ id: id(), type: 'taskBegin', task: ep, run, parent: `${run}.tr`, transformation: 'epoch', time: t });
    for (let b = 0; b < 4; b++) {
      ev.push({ id: id(), type: 'taskBegin', task: `${ep}.b${b}`, run, parent: ep, transformation: 'batch', time: t });
      t += 100 * (b + 1);
      ev.push({ id: id(), type: 'taskEnd', task: `${ep}.b${b}`, time: t });
    }
    ev.push({
      id: id(),
      type: 'taskEnd',
      task: ep,
      time: t,
      generated: { loss: losses[e - 1], model: { $ref: `/m/${run}/e${e}.pt`, store: 'fs' } },
    });
    ev.push({
      id: id(),
      type: 'metric',
      run,
      task: ep,
      name: 'loss',
      value: losses[e - 1],
      step: e,
      context: 'TRAINING',
      time: t,
    });
    ev.push({
      id: id(),
      type: 'telemetry',
      run,
      task: ep,
      host: 'gpu1',
      time: t,
      gpu: [{ index: 0, utilization: 90, power: 250, memoryUsed: 1000 }],
      rss: 123,
    });
  }
  ev.push({ id: id(), type: 'taskEnd', task: `${run}.tr`, time: t });
  ev.push({ id: id(), type: 'workflowEnd', run, time: t });
  return ev;
}

export function provenanceStoreContract(name: string, open: () => Promise<OpenedForTest>) {
  describe(`provenance store contract: ${name}`, () => {
    let o: OpenedForTest;
    let catalog: SpecCatalog;
    const ingest = (events: unknown[]) => ingestBatch(events, { store: o.store, catalog, maxBatchEvents: 5000 });

    beforeAll(async () => {
      o = await open();
      catalog = new SpecCatalog(o.store);
      await o.store.registerWorkflow(spec, specHash(spec));
    });
    afterAll(async () => {
      await o?.close();
    });

    it('versions specs: the same spec keeps its version, a changed one gets the next', async () => {
      const again = await o.store.registerWorkflow(spec, specHash(spec));
      expect(again).toMatchObject({ created: false, workflow: { version: 1 } });
      const changed = parseWorkflowSpec({ name: 'contract-other', transformations: [{ name: 'a' }] });
      const changed2 = parseWorkflowSpec({ name: 'contract-other', transformations: [{ name: 'a' }, { name: 'b' }] });
      expect((await o.store.registerWorkflow(changed, specHash(changed))).workflow.version).toBe(1);
      expect((await o.store.registerWorkflow(changed2, specHash(changed2))).workflow.version).toBe(2);
    });

    it('pages by numeric id past 9 -> 10 (ids are bigints read as text)', async () => {
      for (let i = 0; i < 12; i++) {
        const sp = parseWorkflowSpec({ name: `paging-${i}`, transformations: [{ name: 'a' }] });
        await o.store.registerWorkflow(sp, specHash(sp));
      }
      const seen: string[] = [];
      let after: string | null = null;
      for (let guard = 0; guard < 20; guard++) {
        const page: Awaited<ReturnType<typeof o.store.workflows>> = await o.store.workflows({}, { first: 5, after });
        seen.push(...page.items.map((w) => w.id));
        if (!page.hasNextPage) break;
        after = page.endCursor;
      }
      const numeric = seen.map(Number);
      expect(numeric).toEqual([...numeric].sort((a, b) => a - b));
      expect(new Set(seen).size).toBe(seen.length);
      expect(seen.length).toBeGreaterThanOrEqual(14);
    });

    it('writes a whole training and reads it back', async () => {
      const events = trainingBatch('run-a', '/data/a.h5');
      const r = await ingest(events);
      expect(r).toMatchObject({ accepted: events.length, duplicates: 0, rejected: 0 });
      const [run] = await o.store.runsByIds(['run-a']);
      expect(run).toMatchObject({ id: 'run-a', status: 'FINISHED', agentId: 'alice', attributes: { jobId: '7' } });
      const [tr] = await o.store.tasksByIds(['run-a.tr.e1.b3']);
      expect(tr!.endedAt!.getTime() - tr!.startedAt!.getTime()).toBe(400);
      // Tasks come with their transformation's kind (their schema type), in the same read.
      expect(tr!.transformationKind).toBe('LEARNING_STAGE');
      const [dataset] = await o.store.dataRefsByUris(['/data/a.h5']);
      const [uses] = await o.store.valuesWithTasksByDataRefIds([dataset[0].id, '999999999'], 'USED');
      expect(uses.map((u) => [u.value.name, u.value.taskId, u.task?.id, u.task?.transformationKind])).toEqual([
        ['train_set', 'run-a.tr', 'run-a.tr', 'LEARNING_STAGE'],
      ]);
      expect(uses[0].task).toMatchObject({ runId: 'run-a', status: 'FINISHED', parentId: null });
      expect(await o.store.valuesWithTasksByDataRefIds(['999999999'], 'GENERATED')).toEqual([[]]);
      const [values] = await o.store.valuesByTaskIds(['run-a.tr']);
      expect(values.map((v) => [v.name, v.role]).sort()).toEqual([
        ['lr', 'LEARNING_HYPERPARAMETER'],
        ['train_set', 'LEARNING_DATASET_REFERENCE'],
      ]);
      const [series] = await o.store.metricSeries(['run-a'], 'loss', 'TRAINING', 10);
      expect(series).toHaveLength(3);
      const [tel] = await o.store.telemetry([{ runId: 'run-a', taskId: null }], 10);
      expect(tel[0]).toMatchObject({ gpuIndex: 0, gpuPower: 250, gpuMemoryUsed: '1000', rssBytes: '123' });
    });

    it('answers the execution-data reads for many runs and tasks at once, one list per key, in key order', async () => {
      await ingest(trainingBatch('run-k', '/data/k.h5'));
      const whole = { runId: 'run-k', taskId: null };
      const epoch1 = { runId: 'run-k', taskId: 'run-k.tr.e1' };
      const none = { runId: 'no-such-run', taskId: null };
      const series = await o.store.metricSeries(['no-such-run', 'run-k'], 'loss', 'TRAINING', 10);
      expect(series.map((s) => s.map((m) => m.step))).toEqual([[], ['1', '2', '3']]);
      // The limit holds per run, not for the whole answer.
      expect((await o.store.metricSeries(['run-k', 'run-a'], 'loss', null, 2)).map((s) => s.length)).toEqual([2, 2]);
      const tel = await o.store.telemetry([epoch1, none, whole], 10);
      expect(tel.map((t) => t.length)).toEqual([1, 0, 3]);
      expect(tel[0][0].taskId).toBe('run-k.tr.e1');
      expect((await o.store.telemetry([whole, epoch1], 2)).map((t) => t.length)).toEqual([2, 1]);
      const gpus = await o.store.gpuSummary([whole, none, epoch1]);
      expect(gpus.map((g) => g.map((x) => [x.host, x.gpuIndex, x.samples]))).toEqual([[['gpu1', 0, 3]], [], [['gpu1', 0, 1]]]);
    });

    it('changes nothing when a batch is resent, and reports every duplicate', async () => {
      const events = trainingBatch('run-b', '/data/b.h5');
      await ingest(events);
      const before = await Promise.all(
        ['task_execution', 'attribute_value', 'metric_point', 'telemetry_sample'].map((t) => o.count(t)),
      );
      const again = await ingest(events);
      expect(again).toMatchObject({ accepted: 0, duplicates: events.length, rejected: 0 });
      expect(again.duplicateIds).toHaveLength(events.length);
      const after = await Promise.all(
        ['task_execution', 'attribute_value', 'metric_point', 'telemetry_sample'].map((t) => o.count(t)),
      );
      expect(after).toEqual(before);
    });

    it('lands each event once when the same batch is sent concurrently', async () => {
      const events = trainingBatch('run-c', '/data/c.h5');
      const results = await Promise.allSettled([ingest(events), ingest(events)]);
      const ok = results.filter((r): r is PromiseFulfilledResult<Awaited<ReturnType<typeof ingest>>> => r.status === 'fulfilled');
      expect(ok.length).toBeGreaterThan(0);
      expect(ok.reduce((s, r) => s + r.value.accepted, 0)).toBe(events.length);
      const [children] = await Promise.all([o.store.childTasks('run-c.tr.e1', { first: 100 })]);
      expect(children.items).toHaveLength(4);
    });

    it('keeps the valid events of a batch and names each bad one', async () => {
      const r = await ingest([
        { id: 'm1', type: 'workflowBegin', run: 'run-d', workflow: 'contract-training' },
        { id: 'm2', type: 'taskBegin', task: 'd.t', run: 'run-d', transformation: 'no-such-step' },
        { id: 'm3', type: 'taskBegin', task: 'd.t2', run: 'run-nope', transformation: 'training' },
        { id: 'm4', type: 'metric', run: 'run-d', name: 'loss', value: 'high' },
        { id: 'm5', type: 'metric', run: 'run-d', name: 'loss', value: 1.5, step: 1 },
        { id: 'm6', type: 'workflowBegin', run: 'run-e', workflow: 'never-registered' },
        { id: 'm7', type: 'taskEnd', task: 'never-begun' },
      ]);
      expect(r).toMatchObject({ accepted: 2, rejected: 5 });
      expect(r.issues.map((i) => [i.index, i.eventId, i.field, i.code])).toEqual([
        [1, 'm2', 'events[1].transformation', 'BAD_USER_INPUT'],
        [2, 'm3', 'events[2].run', 'BAD_USER_INPUT'],
        [3, 'm4', 'events[3].value', 'BAD_USER_INPUT'],
        [5, 'm6', 'events[5].workflow', 'UNKNOWN_WORKFLOW'],
        [6, 'm7', 'events[6].task', 'BAD_USER_INPUT'],
      ]);
      expect((await o.store.metricSeries(['run-d'], 'loss', null, 10))[0]).toHaveLength(1);
      // A rejected event is not remembered: fixed, it lands under the same id.
      const fixed = await ingest([{ id: 'm4', type: 'metric', run: 'run-d', name: 'loss', value: 2.5, step: 2 }]);
      expect(fixed.accepted).toBe(1);
    });

    it('accepts the same agent declared twice in one batch', async () => {
      const r = await ingest([
        { id: 'ag1', type: 'agent', agent: 'bob', kind: 'PERSON', name: 'Bob' },
        { id: 'ag2', type: 'agent', agent: 'bob', kind: 'PERSON', attributes: { team: 'geo' } },
      ]);
      expect(r).toMatchObject({ accepted: 2, rejected: 0 });
      const [bob] = await o.store.agentsByIds(['bob']);
      expect(bob).toMatchObject({ name: 'Bob', attributes: { team: 'geo' } });
    });

    it('keeps undeclared attributes as plain parameters or data references', async () => {
      await ingest([
        { id: 'u1', type: 'workflowBegin', run: 'run-u', workflow: 'contract-training' },
        { id: 'u2', type: 'values', run: 'run-u', used: { seed: 42, notes: { $ref: 's3://b/notes.txt', store: 's3' } } },
      ]);
      const [vals] = await o.store.runValuesByRunIds(['run-u']);
      expect(vals.map((v) => [v.name, v.role, v.value]).sort()).toEqual([
        ['notes', 'DATA_REFERENCE', { $ref: 's3://b/notes.txt', store: 's3' }],
        ['seed', 'PARAMETER', 42],
      ]);
    });

    it('starts a GENERATED task at its later begin, across batches and within one; a task begun twice keeps its first begin', async () => {
      const at = (s: number) => Date.parse('2024-02-01T00:00:00Z') + s * 1000;
      await ingest([
        { id: 'g1', type: 'workflowBegin', run: 'run-g', workflow: 'contract-training', time: at(0) },
        // Known with its inputs before it starts (ProvLake's Generate), then begun and ended in later batches.
        {
          id: 'g2',
          type: 'taskBegin',
          task: 'g.a',
          run: 'run-g',
          transformation: 'training',
          status: 'GENERATED',
          time: at(1),
          used: { lr: 0.1 },
        },
        { id: 'g3', type: 'taskBegin', task: 'g.b', run: 'run-g', transformation: 'training', status: 'GENERATED', time: at(1) },
        { id: 'g4', type: 'taskBegin', task: 'g.c', run: 'run-g', transformation: 'training', status: 'GENERATED', time: at(1) },
        { id: 'g5', type: 'taskBegin', task: 'g.d', run: 'run-g', transformation: 'training', time: at(1) },
      ]);
      const [generated] = await o.store.tasksByIds(['g.a']);
      expect(generated).toMatchObject({ status: 'GENERATED', startedAt: new Date(at(1)), endedAt: null });
      expect((await o.store.openTasksOfRuns(['run-g'], 10))[0].map((t) => t.id)).toEqual(['g.d']);
      await ingest([
        { id: 'g6', type: 'taskBegin', task: 'g.a', run: 'run-g', transformation: 'training', time: at(3), attributes: { x: 1 } },
        // Begun and ended in one batch: the end folds into the row that starts it.
        { id: 'g7', type: 'taskBegin', task: 'g.b', run: 'run-g', transformation: 'training', time: at(4) },
        { id: 'g8', type: 'taskEnd', task: 'g.b', time: at(6), generated: { loss: 0.5 } },
        // Generated and begun in the same batch.
        { id: 'g9', type: 'taskBegin', task: 'g.e', run: 'run-g', transformation: 'training', status: 'GENERATED', time: at(2) },
        { id: 'g10', type: 'taskBegin', task: 'g.e', run: 'run-g', transformation: 'training', time: at(5) },
        // A second begin of a running task changes nothing.
        { id: 'g11', type: 'taskBegin', task: 'g.d', run: 'run-g', transformation: 'training', time: at(9) },
        { id: 'g12', type: 'taskEnd', task: 'g.c', time: at(7), status: 'FAILED' },
      ]);
      const [a, b, c, d] = await o.store.tasksByIds(['g.a', 'g.b', 'g.c', 'g.d']);
      const [e] = await o.store.tasksByIds(['g.e']);
      expect(a).toMatchObject({ status: 'RUNNING', startedAt: new Date(at(3)), endedAt: null, attributes: { x: 1 } });
      expect(b).toMatchObject({ status: 'FINISHED', startedAt: new Date(at(4)), endedAt: new Date(at(6)) });
      // Ended without a begin: it keeps the time it was generated at.
      expect(c).toMatchObject({ status: 'FAILED', startedAt: new Date(at(1)), endedAt: new Date(at(7)) });
      expect(d).toMatchObject({ status: 'RUNNING', startedAt: new Date(at(1)) });
      expect(e).toMatchObject({ status: 'RUNNING', startedAt: new Date(at(5)) });
      const [values] = await o.store.valuesByTaskIds(['g.a']);
      expect(values.map((v) => [v.name, v.direction, v.value])).toEqual([['lr', 'USED', 0.1]]);
      // Latest begun first, one list per run.
      expect((await o.store.openTasksOfRuns(['no-such-run', 'run-g'], 10)).map((l) => l.map((t) => t.id))).toEqual([
        [],
        ['g.e', 'g.a', 'g.d'],
      ]);
      expect((await o.store.openTasksOfRuns(['run-g'], 1))[0].map((t) => t.id)).toEqual(['g.e']);
    });

    it('keeps the first declaration of a data store', async () => {
      const fs1 = { id: 'lustre-1', name: 'scratch', type: 'Lustre', attributes: { custom_metadata: { mount: '/scratch' } } };
      expect(await o.store.declareDataStore(fs1)).toMatchObject({ created: true, row: fs1 });
      expect(await o.store.declareDataStore({ ...fs1, name: 'other' })).toMatchObject({ created: false, row: fs1 });
      expect(await o.store.declaredDataStoreById('lustre-1')).toMatchObject(fs1);
      expect(await o.store.declaredDataStoreById('none')).toBeNull();
      expect((await o.store.declaredDataStores(10)).map((d) => d.id)).toContain('lustre-1');
    });

    it('answers Q3 (best model) and Q4 (durations by parent)', async () => {
      await ingest(trainingBatch('run-q', '/data/q.h5'));
      const [[ref]] = await o.store.dataRefsByUris(['/data/q.h5']);
      const best = await o.store.bestModel([ref.id], 'loss', 'MIN');
      expect(best?.value).toEqual({ $ref: '/m/run-q/e2.pt', store: 'fs' });
      const worst = await o.store.bestModel([ref.id], 'loss', 'MAX');
      expect(worst?.value).toEqual({ $ref: '/m/run-q/e1.pt', store: 'fs' });
      const [stats, none, epoch2] = await o.store.durationStats(['run-q.tr', 'no-such-task', 'run-q.tr.e2'], 'batch');
      expect(stats).toHaveLength(3);
      for (const s of stats) expect(s).toMatchObject({ count: 4, minMs: 100, maxMs: 400, avgMs: 250 });
      // Each root gets its own answer, also a root inside another root's subtree.
      expect(none).toEqual([]);
      expect(epoch2).toEqual([expect.objectContaining({ parentId: 'run-q.tr.e2', count: 4 })]);
    });

    it('finds the models under each of many tasks, one list per task, the limit per task', async () => {
      await ingest(trainingBatch('run-mu', '/data/mu.h5'));
      const ref = (v: { value: unknown }) => (v.value as { $ref: string }).$ref;
      const [all, epoch1, none] = await o.store.modelsUnderEachTask(['run-mu.tr', 'run-mu.tr.e1', 'no-such-task'], 100);
      expect(all.map(ref)).toEqual(['/m/run-mu/e1.pt', '/m/run-mu/e2.pt', '/m/run-mu/e3.pt']);
      expect(epoch1.map(ref)).toEqual(['/m/run-mu/e1.pt']);
      expect(none).toEqual([]);
      expect((await o.store.modelsUnderEachTask(['run-mu.tr', 'run-mu.tr.e3'], 1)).map((l) => l.map(ref))).toEqual([
        ['/m/run-mu/e1.pt'],
        ['/m/run-mu/e3.pt'],
      ]);
      // The same models as the whole-set read, which the spatial question uses.
      expect((await o.store.modelsUnderTasks(['run-mu.tr'], 100)).map(ref)).toEqual(all.map(ref));
    });

    it('steps lineage backward and forward over PROV edges', async () => {
      await ingest(trainingBatch('run-l', '/data/l.h5'));
      const [[model]] = await o.store.dataRefsByUris(['/m/run-l/e1.pt']);
      const kinds = new Set(['USED', 'WAS_GENERATED_BY', 'WAS_PART_OF'] as const);
      const back1 = await o.store.lineageStep([`ref:${model.id}`], 'BACKWARD', kinds);
      expect(back1).toEqual([{ kind: 'WAS_GENERATED_BY', from: `ref:${model.id}`, to: 'task:run-l.tr.e1' }]);
      const back2 = await o.store.lineageStep(['task:run-l.tr.e1'], 'BACKWARD', kinds);
      expect(back2).toEqual([{ kind: 'WAS_PART_OF', from: 'task:run-l.tr.e1', to: 'task:run-l.tr' }]);
      const fwd = await o.store.lineageStep(['task:run-l.tr'], 'FORWARD', new Set(['WAS_PART_OF'] as const));
      expect(fwd.map((e) => e.from).sort()).toEqual(['task:run-l.tr.e1', 'task:run-l.tr.e2', 'task:run-l.tr.e3']);
    });
  });
}
