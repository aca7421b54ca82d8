import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { handleProvLakeRoute } from '../../src/interop/provlake/provlake-route';
import { createTestApp, type TestApp } from '../helpers/app';

/**
 * What IBM's ProvLake capture library (0.2.982) really sends, replayed over HTTP against a real
 * PostgreSQL and read back through GraphQL. The bodies were recorded from the library itself
 * (test/fixtures/provlake/README.md names the source file of each shape): a ProvTask sends
 * Generate (its inputs) when it is made, Input (no values) at begin and Output at end; a
 * ProvCycle sends Input and Output and names no parent.
 */
const FIXTURES = path.join(__dirname, '../fixtures/provlake');
const fixture = <T>(name: string): T => JSON.parse(fs.readFileSync(path.join(FIXTURES, name), 'utf8')) as T;
const body = (name: string): unknown[] => fixture<{ body: unknown[] }>(`${name}.json`).body;
const session = fixture<{ requests: Array<{ method: string; path: string; body: unknown }> }>('lifecycle-session.json').requests;

interface Served {
  app: TestApp;
  server: http.Server;
  base: string;
}
async function serve(): Promise<Served> {
  const app = await createTestApp();
  const server = http.createServer((req, res) => {
    handleProvLakeRoute(req, res, app.deps)
      .then((handled) => {
        if (!handled) res.writeHead(404).end();
      })
      .catch((err: Error) => res.writeHead(500).end(err.message));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { app, server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}
async function stop(s: Served | undefined): Promise<void> {
  if (!s) return;
  await new Promise<void>((r) => s.server.close(() => r()));
  await s.app.close();
}

interface Answer {
  status: number;
  json: Record<string, unknown> & { accepted?: number; duplicates?: number; rejected?: number; error?: unknown[] };
}
async function send(s: Served, method: string, p: string, payload?: unknown): Promise<Answer> {
  // requests adds ?with_validation=False to retrospective posts and ?overwrite=True to prospective ones.
  const res = await fetch(`${s.base}${p}`, {
    method,
    headers: payload === undefined ? {} : { 'content-type': 'application/json' },
    body: payload === undefined ? undefined : JSON.stringify(payload),
  });
  return { status: res.status, json: (await res.json()) as Answer['json'] };
}
const retro = (s: Served, payload: unknown) =>
  send(s, 'POST', '/provlake/retrospective-provenance?with_validation=False', payload);

/** Python time() seconds as the ISO instant provml stores (milliseconds). */
const iso = (t: number) => new Date(Math.round(t * 1000)).toISOString();

const TASK_FIELDS = `id status startedAt endedAt durationMs attributes transformation { name }
  used { name role value dataReference { uri store } }
  generated { name role value dataReference { uri store } }`;
const TASK_QUERY = `query($id: String!) { task(id: $id) { ${TASK_FIELDS} parent { id } children(first: 20) { nodes { id } } } }`;
const RUN_QUERY = `query($id: String!) {
  execution(id: $id) {
    status startedAt endedAt attributes
    experiment { name kind transformations { name kind } }
    tasks(first: 20) { nodes { ${TASK_FIELDS}
      children(first: 20) { nodes { ${TASK_FIELDS} children(first: 20) { nodes { ${TASK_FIELDS} } } } } } }
  }
}`;

interface Value {
  name: string;
  role: string;
  value: unknown;
  dataReference: { uri: string; store: string } | null;
}
interface Task {
  id: string;
  status: string;
  startedAt: string;
  endedAt: string | null;
  durationMs: number | null;
  attributes: Record<string, unknown>;
  transformation: { name: string };
  used: Value[];
  generated: Value[];
  parent?: { id: string } | null;
  children?: { nodes: Task[] };
}
interface Run {
  status: string;
  startedAt: string;
  endedAt: string | null;
  attributes: Record<string, unknown>;
  experiment: { name: string; kind: string; transformations: Array<{ name: string; kind: string }> };
  tasks: { nodes: Task[] };
}
/** As a client reads it: executeOperation leaves DateTime values as Date objects. */
const wire = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;
const byName = (vs: Value[]) => Object.fromEntries(vs.map((v) => [v.name, v]));

async function task(s: Served, id: string): Promise<Task | null> {
  const r = await s.app.run<{ task: Task | null }>(TASK_QUERY, { id });
  expect(r.errors).toBeUndefined();
  return wire(r.data!.task);
}
async function run(s: Served, id: string): Promise<Run | null> {
  const r = await s.app.run<{ execution: Run | null }>(RUN_QUERY, { id });
  expect(r.errors).toBeUndefined();
  return wire(r.data!.execution);
}

interface TaskReq {
  prov_obj: {
    task: { id: number; wf_execution: number; generatedTime: number; startTime?: number; endTime?: number };
    dt: string;
  };
}
interface CycleReq {
  prov_obj: { cycle: { iteration_id: number; wf_execution: number; startTime: number; endTime?: number } };
}

describe('ProvLake library requests, one kind at a time, in the order the library sends them', () => {
  let s: Served;
  beforeAll(async () => {
    s = await serve();
  }, 60_000);
  afterAll(() => stop(s));

  const generate = body('task-generate')[0] as TaskReq;
  const runId = String(generate.prov_obj.task.wf_execution);
  const trainId = `${runId}:train:${generate.prov_obj.task.id}`;

  it('prospective, workflow begin, then Generate: the task exists with its inputs as used, with their roles, not yet started', async () => {
    expect((await send(s, 'POST', '/provlake/prospective-provenance?overwrite=True', body('prospective'))).status).toBe(201);
    for (const kind of ['workflow-begin', 'task-generate']) {
      const r = await retro(s, body(kind));
      expect({ kind, status: r.status, rejected: r.json.rejected, error: r.json.error }).toEqual({
        kind,
        status: 200,
        rejected: 0,
        error: [],
      });
    }
    const t = (await task(s, trainId))!;
    expect(t.status).toBe('GENERATED');
    expect(t.startedAt).toBe(iso(generate.prov_obj.task.generatedTime));
    expect(t.endedAt).toBeNull();
    expect(t.generated).toEqual([]);
    const used = byName(t.used);
    expect(Object.keys(used).sort()).toEqual(['batch_size', 'learning_rate', 'train_file']);
    expect(used.batch_size).toMatchObject({ role: 'LEARNING_HYPERPARAMETER', value: 60 });
    expect(used.learning_rate).toMatchObject({ role: 'LEARNING_HYPERPARAMETER', value: 0.01 });
    expect(used.train_file).toMatchObject({
      role: 'LEARNING_DATASET_REFERENCE',
      dataReference: { uri: '/input/train.hdf5', store: 'fs' },
    });
    expect(t.attributes).toMatchObject({
      context: 'seismic_pipelines',
      generatedTime: iso(generate.prov_obj.task.generatedTime),
    });
  });

  it('Input starts the generated task at its startTime and adds no values', async () => {
    const input = body('task-input')[0] as TaskReq;
    expect((await retro(s, body('task-input'))).json).toMatchObject({ rejected: 0, error: [] });
    const t = (await task(s, trainId))!;
    expect(t.status).toBe('RUNNING');
    expect(t.startedAt).toBe(iso(input.prov_obj.task.startTime!));
    expect(t.used.map((v) => v.name).sort()).toEqual(['batch_size', 'learning_rate', 'train_file']);
  });

  it('a cycle iteration becomes a task under the task running around it, with its real begin and end', async () => {
    const cycleIn = body('cycle-input')[0] as CycleReq;
    const cycleOut = body('cycle-output')[0] as CycleReq;
    const batch = body('task-output-in-cycle')[0] as TaskReq;
    for (const kind of ['cycle-input', 'task-generate-in-cycle', 'task-input-in-cycle', 'task-output-in-cycle', 'cycle-output']) {
      const r = await retro(s, body(kind));
      expect({ kind, rejected: r.json.rejected, error: r.json.error }).toEqual({ kind, rejected: 0, error: [] });
    }
    const epochId = `${runId}:cycle:epoch:${cycleIn.prov_obj.cycle.iteration_id}`;
    const epoch = (await task(s, epochId))!;
    expect(epoch.parent).toEqual({ id: `task:${trainId}` });
    expect(epoch).toMatchObject({
      status: 'FINISHED',
      startedAt: iso(cycleIn.prov_obj.cycle.startTime),
      endedAt: iso(cycleOut.prov_obj.cycle.endTime!),
    });
    expect(epoch.durationMs).toBeGreaterThan(0);
    expect(epoch.used).toEqual([expect.objectContaining({ name: 'epoch', value: 0 })]);
    expect(epoch.generated).toEqual([expect.objectContaining({ name: 'epoch_loss', value: 0.6 })]);
    // The batch came without parent_cycle_iteration (the library drops a 0).
    const b = (await task(s, `${runId}:batch:${batch.prov_obj.task.id}`))!;
    expect(b.parent).toEqual({ id: `task:${epochId}` });
    expect(b).toMatchObject({
      status: 'FINISHED',
      startedAt: iso(batch.prov_obj.task.startTime!),
      endedAt: iso(batch.prov_obj.task.endTime!),
    });
    expect(b.durationMs).toBeGreaterThan(0);
    expect(b.used).toEqual([expect.objectContaining({ name: 'batch_id', value: 0 })]);
    expect(b.generated).toEqual([expect.objectContaining({ name: 'loss', value: 0.7 })]);
  });

  it('Output ends the task with its outputs as generated, their roles, stdout and stderr; the workflow end ends the run', async () => {
    const output = body('task-output')[0] as TaskReq;
    for (const kind of ['task-output', 'workflow-end']) expect((await retro(s, body(kind))).json).toMatchObject({ rejected: 0 });
    const t = (await task(s, trainId))!;
    expect(t).toMatchObject({ status: 'FINISHED', endedAt: iso(output.prov_obj.task.endTime!) });
    expect(t.durationMs).toBeGreaterThan(0);
    const gen = byName(t.generated);
    expect(Object.keys(gen).sort()).toEqual(['accuracy', 'history', 'loss', 'model_file']);
    expect(gen.model_file).toMatchObject({
      role: 'MODEL_REFERENCE',
      dataReference: { uri: '/models/model188.hdf5', store: 'fs' },
    });
    expect(gen.loss).toMatchObject({ role: 'EVALUATION_MEASURE', value: 0.4 });
    expect(gen.accuracy).toMatchObject({ role: 'EVALUATION_MEASURE', value: 0.93 });
    expect(gen.history).toMatchObject({ role: 'PARAMETER', value: [0.6, 0.4] });
    expect(t.attributes).toMatchObject({
      stdout: 'epoch 0 loss 0.6\nepoch 1 loss 0.4\n',
      stderr: 'warning: lr schedule off\n',
    });
    // Inputs stayed inputs: nothing the Generate carried became generated.
    expect(t.used.map((v) => v.name).sort()).toEqual(['batch_size', 'learning_rate', 'train_file']);
    const r = (await run(s, runId))!;
    expect(r).toMatchObject({ status: 'FINISHED', attributes: expect.objectContaining({ stdout: 'training done' }) });
    // The cycle iteration is under the training, not beside it.
    expect(r.tasks.nodes.map((n) => n.id)).toEqual([`task:${trainId}`]);
  });
});

describe('a lifecycle script instrumented with the ProvLake library, replayed request by request', () => {
  let s: Served;
  beforeAll(async () => {
    s = await serve();
  }, 60_000);
  afterAll(() => stop(s));

  const runs = new Map<string, string>(); // dataflow -> run id
  for (const r of session)
    for (const q of Array.isArray(r.body)
      ? (r.body as Array<{ act_type: string; dataflow_name: string | null; prov_obj: { wf_execution?: number } }>)
      : [])
      if (q.act_type === 'workflow' && q.dataflow_name) runs.set(q.dataflow_name, String(q.prov_obj.wf_execution));

  it('every request lands: data stores 201/200, prospective 201, every retrospective bag 200 with nothing rejected', async () => {
    for (const [i, r] of session.entries()) {
      const a = await send(s, r.method, r.path, r.body ?? undefined);
      if (r.path.endsWith('/data-stores') && r.method === 'POST') {
        // DataStoreCatalog.create_data_store asserts 201 and returns the JSON (tests read data_store_hkg_id).
        expect(a.status).toBe(201);
        expect(a.json).toMatchObject({ data_store_hkg_id: 'fs' });
      } else if (r.path.endsWith('/data-stores')) {
        expect(a.status).toBe(200);
        expect(a.json).toEqual([expect.objectContaining({ hkg_id: 'fs', id: 'fs', name: 'HPC file system', type: 'Lustre' })]);
      } else if (r.path.includes('/data-stores/')) {
        expect(a.status).toBe(200);
        expect(a.json).toMatchObject({ hkg_id: 'fs', custom_metadata: { mount: '/gpfs/seismic' } });
      } else if (r.path.endsWith('prospective-provenance')) {
        expect(a.status).toBe(201);
      } else {
        expect({ i, status: a.status, rejected: a.json.rejected, error: a.json.error }).toEqual({
          i,
          status: 200,
          rejected: 0,
          error: [],
        });
      }
    }
  });

  it('lineage: model -> training set -> curated file -> raw SEG-Y file', async () => {
    const r = await s.app.run<{
      model: {
        datasets: Array<{
          name: string;
          dataReference: { uri: string; wasDerivedFrom: Array<{ uri: string; wasDerivedFrom: Array<{ uri: string }> }> };
        }>;
      };
    }>(
      `{ model(uri: "/models/model188.hdf5") { datasets { name dataReference { uri wasDerivedFrom { uri wasDerivedFrom { uri } } } } } }`,
    );
    expect(r.errors).toBeUndefined();
    const [ds] = r.data!.model.datasets;
    expect(ds).toMatchObject({ name: 'train_file', dataReference: { uri: '/input/train.hdf5' } });
    expect(ds.dataReference.wasDerivedFrom).toEqual([
      { uri: '/curated/netherlands.npy', wasDerivedFrom: [{ uri: '/data/netherlands.sgy' }] },
    ]);
  });

  it('bestModel on the training set answers the model with the loss sent, its hyperparameters and its training', async () => {
    const r = await s.app.run<{
      bestModel: {
        reference: { uri: string };
        evaluations: Array<{ name: string; value: unknown }>;
        hyperparameters: Array<{ name: string; value: unknown }>;
        trainingExecution: { id: string; durationMs: number; attributes: Record<string, unknown> };
      } | null;
    }>(`{ bestModel(dataset: "/input/train.hdf5", measure: "loss") {
        reference { uri } evaluations { name value } hyperparameters { name value }
        trainingExecution { id durationMs attributes } } }`);
    expect(r.errors).toBeUndefined();
    const m = r.data!.bestModel!;
    expect(m.reference.uri).toBe('/models/model188.hdf5');
    expect(Object.fromEntries(m.evaluations.map((e) => [e.name, e.value]))).toEqual({ loss: 0.4, accuracy: 0.93 });
    expect(Object.fromEntries(m.hyperparameters.map((e) => [e.name, e.value]))).toEqual({ batch_size: 60, learning_rate: 0.01 });
    expect(m.trainingExecution.durationMs).toBeGreaterThan(0);
    expect(m.trainingExecution.attributes.stdout).toBe('epoch 0 loss 0.6\nepoch 1 loss 0.4\n');
  });

  it("Q4 and Q5 (the paper's example queries) answer per ProvLake cycle iteration, with the batch times sent", async () => {
    const example = (name: string) => fs.readFileSync(path.join(__dirname, '../../examples/queries', name), 'utf8');
    const training = (await run(s, runs.get('seismic_training')!))!;
    const train = training.tasks.nodes.find((t) => t.transformation.name === 'train')!;
    const sent = new Map<string, number[]>();
    for (const epoch of train.children!.nodes)
      sent.set(
        epoch.id,
        epoch.children!.nodes.map((b) => b.durationMs!),
      );
    type Stat = { parentId: string; count?: number; minMs?: number; avgMs: number; maxMs?: number };
    const q4 = await s.app.run<{ dataReference: { usedBy: Array<{ id: string; durationStats?: Stat[] }> } }>(
      example('q4.graphql'),
      { dataset: '/input/train.hdf5' },
    );
    expect(q4.errors).toBeUndefined();
    const stats = q4.data!.dataReference.usedBy.find((u) => u.id === train.id)!.durationStats!;
    expect(stats.map((x) => x.parentId).sort()).toEqual([...sent.keys()].sort());
    for (const x of stats) {
      const ms = sent.get(x.parentId)!;
      expect(x.count).toBe(ms.length);
      expect(x.minMs).toBeCloseTo(Math.min(...ms), 3);
      expect(x.maxMs).toBeCloseTo(Math.max(...ms), 3);
      expect(x.avgMs).toBeCloseTo(ms.reduce((a, b) => a + b, 0) / ms.length, 3);
    }
    const q5 = await s.app.run<{
      dataReferences: {
        nodes: Array<{
          uri: string;
          usedBy: Array<{ id: string; durationStats?: Stat[]; models?: Array<{ reference: { uri: string } }> }>;
        }>;
      };
    }>(example('q5.graphql'), {
      generatedWith: [
        { name: 'tile_size', value: 40 },
        { name: 'noise_threshold', value: 0.2 },
      ],
    });
    expect(q5.errors).toBeUndefined();
    const set = q5.data!.dataReferences.nodes.find((n) => n.uri === '/input/train.hdf5')!;
    const used = set.usedBy.find((u) => u.id === train.id)!;
    expect(used.durationStats!.map((x) => x.parentId).sort()).toEqual([...sent.keys()].sort());
    expect(used.models!.map((m) => m.reference.uri)).toContain('/models/model188.hdf5');
  });

  it('training: train -> epoch iterations -> batches, each with its own values and a real duration; the failed validation kept', async () => {
    const r = (await run(s, runs.get('seismic_training')!))!;
    expect(r.status).toBe('FINISHED');
    expect(r.experiment.kind).toBe('LEARNING');
    const top = Object.fromEntries(r.tasks.nodes.map((t) => [t.transformation.name, t]));
    expect(Object.keys(top).sort()).toEqual(['train', 'validate']);
    expect(top.validate).toMatchObject({
      status: 'FAILED',
      attributes: expect.objectContaining({ stderr: 'CUDA out of memory' }),
    });
    expect(top.validate.used).toEqual([expect.objectContaining({ name: 'split', value: 'val' })]);
    const epochs = top.train.children!.nodes;
    expect(epochs.map((e) => e.id).sort()).toEqual([0, 1].map((i) => `task:${runs.get('seismic_training')}:cycle:epoch:${i}`));
    const losses: number[] = [];
    for (const e of epochs.sort((a, b) => a.startedAt.localeCompare(b.startedAt))) {
      expect(e.durationMs).toBeGreaterThan(0);
      const batches = e.children!.nodes.sort((a, b) => a.startedAt.localeCompare(b.startedAt));
      expect(batches.map((b) => b.used[0].value)).toEqual([0, 1]);
      for (const b of batches) {
        expect(b.transformation.name).toBe('batch');
        expect(b.durationMs).toBeGreaterThan(0);
        expect(b.startedAt >= e.startedAt && (b.endedAt ?? '') <= (e.endedAt ?? '')).toBe(true);
        losses.push(b.generated[0].value as number);
      }
    }
    expect(losses).toEqual([0.7, 0.6, 0.5, 0.4]);
    expect(top.train.durationMs).toBeGreaterThan(0);
  });

  it('curation: roles fall back only where nothing is declared; complex values unwrapped; custom metadata, person and stdout kept', async () => {
    const r = (await run(s, runs.get('seismic_curation')!))!;
    expect(r.attributes).toMatchObject({ context: 'seismic_pipelines', custom_metadata: { operator: 'geo-team' } });
    const [t] = r.tasks.nodes;
    expect(t).toMatchObject({ status: 'FINISHED', transformation: { name: 'extract_seismic' } });
    expect(t.durationMs).toBeGreaterThan(0);
    const used = byName(t.used);
    expect(used.raw_file).toMatchObject({ role: 'DATA_REFERENCE', dataReference: { uri: '/data/netherlands.sgy', store: 'fs' } });
    expect(used.header.value).toEqual({ format: 'IBM float', sizes: { inline: 651, crossline: 951 } });
    const gen = byName(t.generated);
    expect(gen.curated_file.dataReference).toEqual({ uri: '/curated/netherlands.npy', store: 'fs' });
    expect(gen.inline_range.value).toEqual([100, 400]);
    expect(gen.basin.value).toBe('North Sea');
    expect(t.attributes).toMatchObject({
      custom_metadata: { tool: 'segyio' },
      person: 'alice',
      stdout: 'read 651 inlines\n',
      generatedMetadata: { basin: { custom_metadata: { source: 'knowledge graph' } } },
    });
  });

  it("a task made without a workflow lands in ProvLake's global workflow execution", async () => {
    const r = (await run(s, 'global'))!;
    expect(r.experiment.name).toBe('global_workflow');
    const [t] = r.tasks.nodes;
    expect(t).toMatchObject({ status: 'FINISHED', transformation: { name: 'inspect' } });
    expect(t.used).toEqual([expect.objectContaining({ name: 'n', value: 5 })]);
    expect(t.generated).toEqual([expect.objectContaining({ name: 'ok', value: true })]);
  });

  it('a data store declaration is never changed; an unknown one is 404, at the root path too', async () => {
    const declared = fixture<{ body: Record<string, unknown> }>('data-store.json').body;
    const other = await send(s, 'POST', '//provenance/api/data-stores', { ...declared, name: 'renamed' });
    expect(other.status).toBe(409);
    expect((await send(s, 'GET', '/provenance/api/data-stores/fs')).json).toMatchObject({ name: 'HPC file system' });
    const unknown = await send(s, 'GET', `/provlake/provenance/api/data-stores/${encodeURIComponent('no such/store')}`);
    expect(unknown.status).toBe(404);
  });

  it('declared data stores are DataStoreInstances over GraphQL, in the list and on the references they hold', async () => {
    // One the server also reads (fs, configured in this app) and one only declared.
    const tape = { id: 'tape', name: 'Tape archive', type: 'HPSS', custom_metadata: { tier: 'cold' } };
    expect((await send(s, 'POST', '/provlake/provenance/api/data-stores', tape)).status).toBe(201);
    const r = await s.app.run<{
      dataStores: Array<{
        id: string;
        configured: boolean;
        kind: string | null;
        name: string | null;
        declaredType: string | null;
      }>;
      dataReferences: { nodes: Array<{ dataStore: { id: string; name: string | null; declaredType: string | null } }> };
    }>(
      `{ dataStores { id configured kind name declaredType }
         dataReferences(filter: { store: "fs" }, first: 1) { nodes { dataStore { id name declaredType } } } }`,
    );
    expect(r.errors).toBeUndefined();
    expect(r.data!.dataStores).toEqual([
      { id: 'fs', configured: true, kind: 'fs', name: 'HPC file system', declaredType: 'Lustre' },
      { id: 'tape', configured: false, kind: null, name: 'Tape archive', declaredType: 'HPSS' },
    ]);
    expect(r.data!.dataReferences.nodes[0].dataStore).toEqual({ id: 'fs', name: 'HPC file system', declaredType: 'Lustre' });
  });

  it('replaying the whole session again changes nothing', async () => {
    const before = await Promise.all([...runs.values(), 'global'].map((id) => run(s, id)));
    let accepted = 0;
    for (const r of session) {
      const a = await send(s, r.method, r.path, r.body ?? undefined);
      if (r.path.endsWith('retrospective-provenance')) accepted += a.json.accepted!;
      else expect(a.status).toBeLessThan(300);
    }
    expect(accepted).toBe(0);
    expect(await Promise.all([...runs.values(), 'global'].map((id) => run(s, id)))).toEqual(before);
  });
});

describe("Python's NaN and Infinity in a bag (requests before 2.28 posts json= with json.dumps' allow_nan=True)", () => {
  let s: Served;
  beforeAll(async () => {
    s = await serve();
  }, 60_000);
  afterAll(() => stop(s));

  it('the bag lands whole: each non-finite value kept as the string of its token, a 64-bit integer as its digits, with W warnings the library logs', async () => {
    // Written by Python's json.dumps from task-output.json with a NaN loss (README.md).
    const raw = fs.readFileSync(path.join(FIXTURES, 'task-output-nan.txt'), 'utf8');
    expect(raw).toContain('"loss": NaN');
    const res = await fetch(`${s.base}/provlake/retrospective-provenance?with_validation=True`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: raw,
    });
    const a = (await res.json()) as { accepted: number; rejected: number; warnings: string[]; error: unknown[][] };
    expect({ status: res.status, a }).toEqual({ status: 200, a: expect.anything() });
    expect(a).toMatchObject({ rejected: 0 });
    expect(a.accepted).toBeGreaterThan(0);
    expect(a.warnings).toEqual([
      expect.stringContaining('[0].prov_obj.values.loss'),
      expect.stringContaining('[0].prov_obj.values.seed'),
    ]);
    expect(a.warnings[0]).toContain('4 numbers');
    expect(a.error).toEqual([
      [
        expect.objectContaining({ code: 'W001', type: 'NON_FINITE_NUMBER' }),
        expect.objectContaining({ code: 'W001', type: 'BIG_INTEGER' }),
      ],
    ]);

    const req = JSON.parse(raw.replace(/NaN|-?Infinity/g, '0')) as TaskReq[];
    const { wf_execution, id } = req[0].prov_obj.task;
    const t = (await task(s, `${wf_execution}:train:${id}`))!;
    expect(t.status).toBe('FINISHED');
    const out = byName(t.generated);
    expect(out.loss.value).toBe('NaN');
    expect(out.grad_norm.value).toBe('Infinity');
    expect(out.accuracy.value).toBe(0.93);
    expect(out.history.value).toEqual([0.6, 0.4, 'NaN', '-Infinity']);
    // A 64-bit seed, digit for digit (JSON.parse would give 13249385781391850000).
    expect(out.seed.value).toBe('13249385781391849832');
    expect(out.model_file.dataReference).toEqual({ uri: '/models/model188.hdf5', store: 'fs' });
  });

  it('text that is not JSON even so is still refused whole, with JSON.parse’s message', async () => {
    const res = await fetch(`${s.base}/provlake/retrospective-provenance`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '[{"loss": NaN, }]',
    });
    expect(res.status).toBe(400);
    const a = (await res.json()) as { errors: Array<{ message: string }> };
    expect(a.errors[0].message).toMatch(/^request body is not JSON/);
  });
});

describe("the library's offline log (no service URL: one JSON bag per line), posted line by line", () => {
  let s: Served;
  beforeAll(async () => {
    s = await serve();
  }, 60_000);
  afterAll(() => stop(s));

  it('every bag lands, NaN and the 64-bit seed included, and the run reads back whole', async () => {
    const lines = fs
      .readFileSync(path.join(FIXTURES, 'offline-session.log'), 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '');
    expect(lines.length).toBe(8);
    let accepted = 0;
    const warnings: string[] = [];
    for (const line of lines) {
      const res = await fetch(`${s.base}/provlake/retrospective-provenance`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: line,
      });
      const a = (await res.json()) as { accepted: number; rejected: number; warnings?: string[] };
      expect({ status: res.status, rejected: a.rejected }).toEqual({ status: 200, rejected: 0 });
      accepted += a.accepted;
      warnings.push(...(a.warnings ?? []));
    }
    expect(accepted).toBeGreaterThan(0);
    expect(warnings.join('\n')).toMatch(/values\.seed/);
    expect(warnings.join('\n')).toMatch(/values\.loss/);

    const r = (await run(s, 'offline-run-1'))!;
    expect(r).toMatchObject({ status: 'FINISHED', experiment: { name: 'offline_training' } });
    const train = r.tasks.nodes.find((t) => t.transformation.name === 'train')!;
    expect(train.status).toBe('FINISHED');
    expect(byName(train.used).seed.value).toBe('13249385781391849832');
    expect(byName(train.used).dataset.dataReference).toEqual({ uri: '/data/train.h5', store: 'fs' });
    expect(byName(train.generated).loss.value).toBe('NaN');
    expect(byName(train.generated).grad_norm.value).toBe('Infinity');
    // train -> epoch iterations -> batch, the second iteration's loss the NaN it logged
    const epochs = train.children!.nodes;
    expect(epochs.map((e) => [e.transformation.name, byName(e.generated).loss.value])).toEqual([
      ['epoch', 0.7],
      ['epoch', 'NaN'],
    ]);
    expect(epochs.map((e) => e.children!.nodes.map((b) => byName(b.generated).batch_loss.value))).toEqual([[0.7], ['NaN']]);
  });
});
