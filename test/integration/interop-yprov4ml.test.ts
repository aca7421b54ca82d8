import fs from 'node:fs';
import path from 'node:path';
import { importProvJsonFile } from '../../src/interop/import-document';
import { createTestApp, type TestApp } from '../helpers/app';

// yProvML's own example output (test/fixtures/yprov4ml/upstream, see its README): every attribute
// the file writes answers over GraphQL and is in the export, with the type the file wrote
// (issue 10, finding 3).
const upstream = path.join(__dirname, '../fixtures/yprov4ml/upstream');
const FILE_13 = path.join(upstream, 'mnist_exp_13/prov_mnist_exp_GR0_13.json');
const FILE_0 = path.join(upstream, 'mnist_exp_0/prov_mnist_exp_GR0_0.json');

type Json = Record<string, unknown>;
type Section = Record<string, Record<string, unknown>>;
interface Doc {
  activity: Section;
  entity: Section;
  used: Section;
  wasGeneratedBy: Section;
}

/** A PROV-JSON value as the file types it, read independently of the importer. */
const asWritten = (v: unknown): unknown => (v && typeof v === 'object' && '$' in v ? (v as { $: unknown }).$ : v);
const metricList = (k: string) => /metric_(epoch|value|timestamp)_list$/.test(k);

/** The activity that used or generated each entity, as the file says; the run's for none. */
function owners(doc: Doc, runAct: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const r of [...Object.values(doc.wasGeneratedBy), ...Object.values(doc.used)])
    if (!out.has(String(r['prov:entity']))) out.set(String(r['prov:entity']), String(r['prov:activity']));
  for (const id of Object.keys(doc.entity)) if (!out.has(id)) out.set(id, runAct);
  return out;
}

const RUN = `query($id: String!) {
  execution(id: $id) {
    id attributes metricNames
    tasks(first: 50) { nodes { id attributes used { name value role } generated { name value role dataReference { uri } } } }
  }
}`;
interface Value {
  name: string;
  value: unknown;
  role: string;
  dataReference?: { uri: string } | null;
}
interface RunAnswer {
  execution: {
    id: string;
    attributes: Json;
    metricNames: string[];
    tasks: { nodes: Array<{ id: string; attributes: Json; used: Value[]; generated: Value[] }> };
  } | null;
}

describe('yProv4ML import of yProvML example output', () => {
  let app: TestApp;
  let doc: Doc;
  let run: NonNullable<RunAnswer['execution']>;
  let summary: Awaited<ReturnType<typeof importProvJsonFile>>;
  const deps = () => ({ store: app.deps.store, catalog: app.deps.catalog, maxBatchEvents: 5000 });
  const task = (ctx: string) => run.tasks.nodes.find((t) => t.id.endsWith(`/Context.${ctx}`))!;

  beforeAll(async () => {
    app = await createTestApp();
    doc = JSON.parse(fs.readFileSync(FILE_13, 'utf8')) as Doc;
    summary = await importProvJsonFile(FILE_13, deps());
    const res = await app.run<RunAnswer>(RUN, { id: 'mnist_exp_GR0_13' });
    expect(res.errors).toBeUndefined();
    run = res.data!.execution!;
  });
  afterAll(() => app?.close());

  it('reads every metric file, NetCDF-4 and classic, and reports each', () => {
    expect(summary).toMatchObject({ source: 'yprov4ml', rejected: 0, duplicates: 0 });
    const byFile = Object.fromEntries(summary.files.map((f) => [path.basename(f.path), [f.status, f.format, f.points]]));
    expect(byFile).toEqual({
      'param_batch_size_Context.TRAINING_GR0.nc': ['read', 'NetCDF-4', 1],
      'param_lr_Context.TRAINING_GR0.nc': ['read', 'NetCDF-4', 1],
      'param_epochs_Context.TRAINING_GR0.nc': ['read', 'NetCDF-4', 1],
      'param_seed_Context.TRAINING_GR0.nc': ['read', 'NetCDF-4', 1],
      'MSE_train_Context.TRAINING_GR0.nc': ['read', 'NetCDF-4', 6],
      'MSE_val_Context.VALIDATION_GR0.nc': ['read', 'NetCDF-4', 3],
      'ACC_val_Context.VALIDATION_GR0.nc': ['read', 'NetCDF-4', 3],
      'cpu_usage_Context.TRAINING_GR0.nc': ['read', 'CDF-1', 3],
      'memory_usage_Context.TRAINING_GR0.nc': ['read', 'CDF-2', 3],
      'disk_usage_Context.TRAINING_GR0.nc': ['read', 'CDF-5', 3],
    });
    expect(summary.warnings).toEqual([]);
  });

  it('keeps every attribute of every activity and entity, with the type the file wrote', () => {
    const runAct = Object.keys(doc.activity).find((a) => asWritten(doc.activity[a]['yProv4ML:level']) === 0)!;
    const attrsOf = (act: string): Json => (act === runAct ? run.attributes : task(act.replace(/^.*Context\./, '')).attributes);
    const missing: string[] = [];
    let checked = 0;
    for (const [act, attrs] of Object.entries(doc.activity))
      for (const [k, v] of Object.entries(attrs)) {
        checked++;
        if (JSON.stringify(attrsOf(act)[k]) !== JSON.stringify(asWritten(v))) missing.push(`${act} ${k}`);
      }
    const owner = owners(doc, runAct);
    for (const [id, attrs] of Object.entries(doc.entity))
      for (const [k, v] of Object.entries(attrs)) {
        if (metricList(k)) continue;
        checked++;
        const kept = (attrsOf(owner.get(id)!).entities as Record<string, Json> | undefined)?.[id]?.[k];
        if (JSON.stringify(kept) !== JSON.stringify(asWritten(v))) missing.push(`${id} ${k}`);
      }
    expect(missing).toEqual([]);
    expect(checked).toBeGreaterThan(100);
    expect(run.attributes['yProv4ML:global_rank']).toBe('0');
    expect(run.attributes['yProv4ML:run_id']).toBe(13);
    // The prefix section, as written (its `default` is the run's namespace, on no id).
    expect(run.attributes.prefix).toEqual((JSON.parse(fs.readFileSync(FILE_13, 'utf8')) as { prefix: unknown }).prefix);
  });

  it('maps log_param to LEARNING_HYPERPARAMETER values of the training, read from their NetCDF files', () => {
    const used = task('TRAINING').used.filter((u) => u.role === 'LEARNING_HYPERPARAMETER');
    expect(Object.fromEntries(used.map((u) => [u.name, u.value]))).toEqual({ batch_size: 64, lr: 0.001, epochs: 3, seed: 42 });
    const all = run.tasks.nodes.flatMap((t) => [...t.used, ...t.generated]);
    expect(all.filter((v) => /param_/.test(v.name))).toEqual([]);
  });

  it("keeps the model's own attributes as its values, typed as written", async () => {
    const models = task('MODELS').generated;
    const of = (name: string) => models.find((g) => g.name === name);
    expect(of('mnist_model_final')).toMatchObject({
      role: 'MODEL_REFERENCE',
      dataReference: { uri: 'examples/prov/mnist_exp_13/artifacts/mnist_model_final/mnist_model_final.pth' },
    });
    expect(of('mnist_model_final.model_name')).toMatchObject({ value: 'mnist_model_final', role: 'MODEL_HYPERPARAMETER' });
    expect(of('mnist_model_final.total_params')).toMatchObject({ value: 203530, role: 'MODEL_HYPERPARAMETER' });
    expect(of('mnist_model_final.memory_of_model')).toMatchObject({ value: 0.81412, role: 'MODEL_HYPERPARAMETER' });
    expect(of('mnist_model_final.total_memory_load_of_model')).toMatchObject({ value: 2.44236 });
    expect(of('mnist_model_final.layers_description_path')).toMatchObject({
      value: 'examples/prov/mnist_exp_13/artifacts/mnist_model_final/mnist_model_final_layers_description.json',
      role: 'MODEL_SCHEMA',
    });
    const res = await app.run<{ model: { hyperparameters: Value[] } }>(
      'query($u: String!) { model(uri: $u) { hyperparameters { name value } } }',
      { u: 'examples/prov/mnist_exp_13/artifacts/mnist_model_final/mnist_model_final.pth' },
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!.model.hyperparameters.map((h) => h.name)).toEqual(
      expect.arrayContaining(['mnist_model_final.total_params', 'mnist_model_final.memory_of_model']),
    );
  });

  it('imports the metric series of the NetCDF files with their epochs and contexts', async () => {
    expect([...run.metricNames].sort()).toEqual(['ACC_val', 'MSE_train', 'MSE_val', 'cpu_usage', 'disk_usage', 'memory_usage']);
    const res = await app.run<{ execution: { metrics: Array<{ step: string; value: number; context: string }> } }>(
      'query { execution(id: "mnist_exp_GR0_13") { metrics(name: "MSE_train") { step value context } } }',
    );
    expect(res.data!.execution.metrics.map((m) => [Number(m.step), m.value, m.context])).toEqual([
      [0, 0.094, 'TRAINING'],
      [0, 0.081, 'TRAINING'],
      [1, 0.052, 'TRAINING'],
      [1, 0.047, 'TRAINING'],
      [2, 0.031, 'TRAINING'],
      [2, 0.029, 'TRAINING'],
    ]);
  });

  it('exports every attribute: the PROV-JSON of the run holds what the file wrote', async () => {
    const res = await app.run<{ provDocument: string }>('query { provDocument(run: "mnist_exp_GR0_13") }');
    expect(res.errors).toBeUndefined();
    const out = JSON.parse(res.data!.provDocument) as { activity: Section; entity: Section };
    // Activities carry their attributes (and their entities') as provml:attributes JSON.
    const kept = Object.values(out.activity).flatMap((a) => {
      const j = a['provml:attributes'] as { $: string } | undefined;
      return j ? [JSON.parse(j.$) as Json] : [];
    });
    const entities = Object.assign({}, ...kept.map((k) => (k.entities as Json | undefined) ?? {})) as Record<string, Json>;
    const missing: string[] = [];
    for (const [id, attrs] of Object.entries(doc.entity))
      for (const [k, v] of Object.entries(attrs))
        if (JSON.stringify(entities[id]?.[k]) !== JSON.stringify(asWritten(v))) missing.push(`${id} ${k}`);
    expect(missing).toEqual([]);
    expect(kept.some((k) => k['yProv4ML:global_rank'] === '0')).toBe(true);
    // The model's values are entities of their own, typed by role, with prov:value.
    const values = Object.values(out.entity).map((e) => [e['provml:attributeName'], e['prov:value']]);
    expect(values).toEqual(
      expect.arrayContaining([
        ['mnist_model_final.total_params', expect.objectContaining({ $: 203530 })],
        ['lr', expect.objectContaining({ $: 0.001 })],
      ]),
    );
  });

  it('says per file which values it could not read, and still imports the rest', async () => {
    const r = await importProvJsonFile(FILE_0, deps());
    expect(r).toMatchObject({ rejected: 0 });
    expect(r.files).toHaveLength(10);
    expect(r.files.every((f) => f.status === 'not-found' && f.points === 0)).toBe(true);
    expect(r.warnings.filter((w) => /not-found/.test(w))).toHaveLength(10);
    const res = await app.run<RunAnswer>(RUN, { id: 'mnist_exp_GR0_0' });
    const training = res.data!.execution!.tasks.nodes.find((t) => t.id.endsWith('/Context.TRAINING'))!;
    // The parameters are there, with no value: their files were not found.
    expect(Object.fromEntries(training.used.map((u) => [u.name, u.value]))).toMatchObject({ lr: null, batch_size: null });
    expect(training.generated.map((g) => g.name)).toEqual(expect.arrayContaining(['MSE_train_file', 'cpu_usage_file']));
  });
});

// A run whose training diverged, written by the `prov` library and in yProvML's metric file
// layouts (test/fixtures/yprov4ml/make_diverged.py): Python writes a float NaN as the bare token
// NaN in the PROV-JSON and as nan / inf in a CSV, and NetCDF holds NaN as such. None of it may
// cost the rest of the run, and none of it may vanish.
describe('yProv4ML import of a diverged run (NaN and infinities)', () => {
  const FILE = path.join(__dirname, '../fixtures/yprov4ml/diverged/prov_diverged_GR0_0.json');
  let app: TestApp;
  let run: NonNullable<RunAnswer['execution']>;
  let summary: Awaited<ReturnType<typeof importProvJsonFile>>;
  const training = () => run.tasks.nodes.find((t) => t.id.endsWith('/Context.TRAINING'))!;
  const entities = (t: { attributes: Json }) => t.attributes.entities as Record<string, Json>;

  beforeAll(async () => {
    app = await createTestApp();
    summary = await importProvJsonFile(FILE, { store: app.deps.store, catalog: app.deps.catalog, maxBatchEvents: 5000 });
    const res = await app.run<RunAnswer>(RUN, { id: 'diverged_GR0_0' });
    expect(res.errors).toBeUndefined();
    run = res.data!.execution!;
  });
  afterAll(() => app?.close());

  it('imports the document whole; the NaN attribute is kept as the string "NaN", with a warning naming it', () => {
    expect(fs.readFileSync(FILE, 'utf8')).toContain('"$": NaN');
    expect(summary).toMatchObject({ source: 'yprov4ml', rejected: 0 });
    expect(summary.warnings[0]).toContain('entity.diverged_model_final.memory_of_model.$');
    const models = run.tasks.nodes.find((t) => t.id.endsWith('/Context.MODELS'))!;
    expect(entities(models).diverged_model_final).toMatchObject({
      total_params: 203530,
      memory_of_model: 'NaN',
      seed: '13249385781391849832', // beyond 2^53: its digits, not 13249385781391850000
    });
    expect(summary.warnings[1]).toContain('entity.diverged_model_final.seed.$');
    expect(models.generated.find((g) => g.name === 'diverged_model_final.memory_of_model')?.value).toBe('NaN');
  });

  it("reads every metric file, keeping the CSV header's name, context and source", () => {
    const byFile = Object.fromEntries(summary.files.map((f) => [path.basename(f.path), [f.status, f.format, f.points]]));
    expect(byFile).toEqual({
      'param_lr_Context.TRAINING_GR0.csv': ['read', 'csv', 2],
      'MSE_train_Context.TRAINING_GR0.csv': ['read', 'csv', 4],
      'grad_norm_Context.TRAINING_GR0.nc': ['read', 'CDF-1', 4],
    });
    expect(summary.files.find((f) => f.path.includes('MSE_train'))!.attributes).toEqual({
      name: 'MSE_train',
      context: 'Context.TRAINING',
      source: 'LoggingItemKind.METRIC',
    });
  });

  it('the metric series hold the finite points; the others stay with their entity as written, each warned', async () => {
    const series = async (n: string) => {
      const res = await app.run<{ execution: { metrics: Array<{ step: string; value: number }> } }>(
        'query($n: String!) { execution(id: "diverged_GR0_0") { metrics(name: $n) { step value } } }',
        { n },
      );
      expect(res.errors).toBeUndefined();
      return res.data!.execution.metrics.map((m) => [Number(m.step), m.value]);
    };
    expect(await series('MSE_train')).toEqual([
      [0, 0.91],
      [1, 0.52],
    ]);
    expect(await series('grad_norm')).toEqual([
      [0, 1.5],
      [3, 0.25],
    ]);
    expect(await series('ACC_train')).toEqual([
      [0, 0.5],
      [2, 0.75],
    ]);
    const kept = entities(training());
    expect(kept.MSE_train.nonFinitePoints).toEqual([
      { step: 2, value: 'inf', time: 1760967810000 },
      { step: 3, value: 'nan', time: 1760967815000 },
    ]);
    expect(kept.grad_norm.nonFinitePoints).toEqual([
      { step: 1, value: 'NaN', time: 1760967805000 },
      { step: 2, value: '-Infinity', time: 1760967810000 },
    ]);
    expect(kept.ACC_train.nonFinitePoints).toEqual([{ step: 1, value: 'NaN', time: null }]);
    for (const label of ['MSE_train', 'grad_norm', 'ACC_train'])
      expect(summary.warnings).toContainEqual(
        expect.stringMatching(new RegExp(`^${label}: 2 of 4 points are not finite|^${label}: 1 of 3`)),
      );
  });

  it('a parameter whose last value is NaN is the text its file wrote, not a lost value', () => {
    const lr = training().used.find((u) => u.name === 'lr');
    expect(lr).toMatchObject({ role: 'LEARNING_HYPERPARAMETER', value: 'nan' });
  });
});

// The newest yProvML's naming (test/fixtures/yprov4ml/make_latest.py follows its source):
// activities `context:<context>-source:<source>`, artifacts labelled
// `yProv4ML:<name>-context:<context>[-source:<source>]`, a metric's `source` its logger
// (`None`, `pyamdgpuinfo`) rather than LoggingItemKind.METRIC, metric files
// `<name>_<context>_<source>_GR0.csv`, and the run's times logged on `-source:std.time`.
describe('yProv4ML import of the newest yProvML naming', () => {
  const FILE = path.join(__dirname, '../fixtures/yprov4ml/latest/prov_mnist_exp_GR0_0.json');
  let app: TestApp;
  let doc: Doc;
  let run: NonNullable<RunAnswer['execution']>;
  let summary: Awaited<ReturnType<typeof importProvJsonFile>>;
  const task = (name: string) => run.tasks.nodes.find((t) => t.id === `task:mnist_exp_GR0_0/${name}`)!;

  beforeAll(async () => {
    app = await createTestApp();
    doc = JSON.parse(fs.readFileSync(FILE, 'utf8')) as Doc;
    summary = await importProvJsonFile(FILE, { store: app.deps.store, catalog: app.deps.catalog, maxBatchEvents: 5000 });
    const res = await app.run<RunAnswer>(RUN, { id: 'mnist_exp_GR0_0' });
    expect(res.errors).toBeUndefined();
    run = res.data!.execution!;
  });
  afterAll(() => app?.close());

  it('reads every metric file the document names, whatever its source', () => {
    expect(summary).toMatchObject({ source: 'yprov4ml', rejected: 0, duplicates: 0, warnings: [] });
    expect(summary.files.map((f) => [path.basename(f.path), f.status, f.points])).toEqual([
      ['MSE_train_Context.TRAINING_None_GR0.csv', 'read', 3],
      ['cpu_usage_Context.TRAINING_pyamdgpuinfo_GR0.csv', 'read', 2],
      ['MSE_val_Context.VALIDATION_None_GR0.csv', 'read', 2],
      ['cpu_usage_Context.VALIDATION_pyamdgpuinfo_GR0.csv', 'read', 1],
    ]);
  });

  it('one task per activity, the sources of two contexts apart, each with its attributes as written', () => {
    const runAct = 'context:mnist_exp_GR0_0';
    const others = Object.keys(doc.activity).filter((a) => a !== runAct);
    expect(run.tasks.nodes.map((t) => t.attributes.activity).sort()).toEqual(others.sort());
    for (const act of others) {
      const t = run.tasks.nodes.find((n) => n.attributes.activity === act)!;
      for (const [k, v] of Object.entries(doc.activity[act])) expect([act, k, t.attributes[k]]).toEqual([act, k, asWritten(v)]);
    }
    expect(task('Context.TRAINING').used.find((u) => u.name === 'lr')).toMatchObject({
      role: 'LEARNING_HYPERPARAMETER',
      value: '0.001', // log_param writes str(value)
    });
  });

  it("the run's times come from its std.time source", async () => {
    const res = await app.run<{ execution: { startedAt: string; endedAt: string } }>(
      'query { execution(id: "mnist_exp_GR0_0") { startedAt endedAt } }',
    );
    expect(JSON.parse(JSON.stringify(res.data!.execution))).toEqual({
      startedAt: '2025-10-20T13:43:20.250Z',
      endedAt: '2025-10-20T13:43:40.750Z',
    });
  });

  it('metric series per name and context, in the task of their source', async () => {
    expect([...run.metricNames].sort()).toEqual(['MSE_train', 'MSE_val', 'cpu_usage']);
    const res = await app.run<{ execution: { metrics: Array<{ step: string; value: number; context: string }> } }>(
      'query { execution(id: "mnist_exp_GR0_0") { metrics(name: "cpu_usage") { step value context } } }',
    );
    expect(res.data!.execution.metrics.map((m) => [m.context, Number(m.step), m.value]).sort()).toEqual([
      ['TRAINING', 0, 41.5],
      ['TRAINING', 1, 43],
      ['VALIDATION', 0, 12.5],
    ]);
  });

  it('values are named without the label prefix and context suffix; the dataset and model are recognised', () => {
    const used = Object.fromEntries(task('Context.TRAINING').used.map((u) => [u.name, u.role]));
    expect(used).toMatchObject({
      train_loader: 'LEARNING_DATASET_REFERENCE',
      train_loader_stat_total_samples: 'DATASET_CHARACTERISTIC',
    });
    const models = Object.fromEntries(task('models').generated.map((g) => [g.name, g.value]));
    expect(models).toMatchObject({ 'mnist_model_final.total_params': 203530, 'mnist_model_final.memory_of_model': 0.81412 });
  });
});
