import path from 'node:path';
import { importProvJsonFile } from '../../src/interop/import-document';
import { createTestApp, type TestApp } from '../helpers/app';

const fixtures = path.join(__dirname, '../fixtures/yprov4ml');

type Named = { name: string; value: unknown; role?: string };
const byName = (xs: Named[]) => Object.fromEntries(xs.map((x) => [x.name, x.value]));

const RUN_QUERY = `query Run($id: String!, $metric: String!) {
  execution(id: $id) {
    id status used { name value role }
    metricNames
    metrics(name: $metric) { step value context }
    generated { name role dataReference { uri } }
    tasks(first: 20) { nodes { id used { name value role } generated { name role dataReference { uri } } } }
  }
}`;

interface RunAnswer {
  execution: {
    id: string;
    used: Named[];
    metricNames: string[];
    metrics: Array<{ step: string | number; value: number; context: string }>;
    generated: Array<{ name: string; role: string; dataReference: { uri: string } | null }>;
    tasks: {
      nodes: Array<{
        id: string;
        used: Named[];
        generated: Array<{ name: string; role: string; dataReference: { uri: string } | null }>;
      }>;
    };
  };
}

describe('import of yProv4ML PROV-JSON', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await createTestApp();
  });
  afterAll(() => app?.close());

  it('imports a yProv4ML run: parameters and CSV metrics answer through GraphQL; importing twice changes nothing', async () => {
    const deps = { store: app.deps.store, catalog: app.deps.catalog, maxBatchEvents: 5000 };
    const first = await importProvJsonFile(path.join(fixtures, 'mnist_run.json'), deps);
    expect(first).toMatchObject({ source: 'yprov4ml', rejected: 0, duplicates: 0 });
    expect(first.accepted).toBe(first.events);
    expect(first.warnings.join('\n')).toMatch(/cpu_usage.*\.nc/);

    const res = await app.run<RunAnswer>(RUN_QUERY, { id: 'mnist_exp_GR0_0', metric: 'MSE_train' });
    expect(res.errors).toBeUndefined();
    const run = res.data!.execution;
    expect(run.metricNames.sort()).toEqual(['ACC_val', 'MSE_train']);
    expect(run.metrics.map((m) => [Number(m.step), m.value, m.context])).toEqual([
      [0, 0.91, 'TRAINING'],
      [1, 0.52, 'TRAINING'],
      [2, 0.31, 'TRAINING'],
    ]);
    const training = run.tasks.nodes.find((t) => t.id.endsWith('Context.TRAINING'))!;
    expect(byName(training.used)).toMatchObject({ lr: 0.001, batch_size: 64, optimizer: 'Adam' });
    expect(training.used.find((u) => u.name === 'lr')!.role).toBe('LEARNING_HYPERPARAMETER');
    const models = run.tasks.nodes.flatMap((t) => t.generated).filter((g) => g.role === 'MODEL_REFERENCE');
    expect(models.map((m) => m.dataReference?.uri)).toEqual(['prov/mnist_exp_0/artifacts/mnist_model_final.pth']);

    const again = await importProvJsonFile(path.join(fixtures, 'mnist_run.json'), deps);
    expect(again).toMatchObject({ accepted: 0, duplicates: first.events, rejected: 0 });
    expect(again.workflows[0]).toMatchObject({ created: false, version: first.workflows[0].version });
  });

  it('imports the older prov-ml style: parameter entities and inline metric lists', async () => {
    const deps = { store: app.deps.store, catalog: app.deps.catalog, maxBatchEvents: 5000 };
    const r = await importProvJsonFile(path.join(fixtures, 'legacy_run.json'), deps);
    expect(r).toMatchObject({ rejected: 0 });
    const res = await app.run<RunAnswer>(RUN_QUERY, { id: 'cifar_exp_execution', metric: 'Loss' });
    expect(res.errors).toBeUndefined();
    const run = res.data!.execution;
    // Types as written: the file writes lr as the string "0.01" and epochs as an xsd:int.
    expect(byName(run.used)).toEqual({ lr: '0.01', epochs: 3 });
    expect(run.metrics.map((m) => m.value)).toEqual([2.3, 1.7, 1.2]);
    const models = run.tasks.nodes.flatMap((t) => t.generated).filter((g) => g.role === 'MODEL_REFERENCE');
    expect(models.map((m) => m.dataReference?.uri)).toEqual(['models/cifar_final.pth']);
  });

  it('names the field at fault in a document that is not PROV-JSON', async () => {
    const { planImport } = await import('../../src/interop/import-document');
    await expect(planImport({ entity: [] }, { baseDir: fixtures, fileName: 'x.json', text: '' })).rejects.toThrow(/entity/);
    await expect(
      planImport(
        { entity: { e: { 'x:v': { $: '{', type: 'provml:json' } } }, prefix: { provml: 'https://w3id.org/provml/ns#' } },
        { baseDir: fixtures, fileName: 'x.json', text: '' },
      ),
    ).rejects.toThrow(/entity\.e\.x:v/);
  });
});
