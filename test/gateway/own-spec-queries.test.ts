import fs from 'node:fs';
import path from 'node:path';
import { createTestApp, type TestApp } from '../helpers/app';

// Q4 and Q5 on specs a user writes from docs/ingest.md alone: no transformation declares a
// `parent`; the nesting (training -> epoch -> batch) is only in the tasks' `parent` at ingest.
const dir = path.join(__dirname, '../../examples/queries');
const example = (name: string) => ({
  query: fs.readFileSync(path.join(dir, `${name}.graphql`), 'utf8'),
  variables: JSON.parse(fs.readFileSync(path.join(dir, `${name}.json`), 'utf8')) as Record<string, unknown>,
});

const REGISTER = `mutation($s: WorkflowSpecInput!) { registerWorkflow(spec: $s) { version } }`;
const INGEST = `mutation($e: [JSON!]!) { ingest(events: $e) { accepted rejected issues { index field message } } }`;

const preparation = {
  name: 'my-tiles',
  kind: 'DATA',
  transformations: [
    {
      name: 'tiles',
      kind: 'DATA_TRANSFORMATION',
      used: [{ name: 'inline_range' }, { name: 'crossline_range' }],
      generated: [{ name: 'train_set', role: 'LEARNING_DATASET_REFERENCE' }],
    },
  ],
};
const training = {
  name: 'my-training',
  kind: 'LEARNING',
  transformations: [
    {
      name: 'training',
      kind: 'LEARNING_STAGE',
      stageType: 'TRAINING',
      used: [
        { name: 'batch_size', role: 'LEARNING_HYPERPARAMETER' },
        { name: 'train_set', role: 'LEARNING_DATASET_REFERENCE' },
      ],
    },
    {
      name: 'epoch',
      kind: 'LEARNING_STAGE',
      stageType: 'TRAINING',
      generated: [
        { name: 'loss', role: 'EVALUATION_MEASURE' },
        { name: 'model', role: 'MODEL_REFERENCE' },
      ],
    },
    { name: 'batch', kind: 'LEARNING_STAGE', stageType: 'TRAINING' },
    { name: 'validation', kind: 'LEARNING_STAGE', stageType: 'VALIDATION' },
  ],
};

// Batch b of epoch e lasts BATCH_MS[e][b]; each epoch also runs a validation task (not a batch).
const BATCH_MS = [
  [100, 200, 300],
  [40, 60],
];
const LOSS = [0.5, 0.2];

function events(): unknown[] {
  const ev: Array<Record<string, unknown>> = [];
  let n = 0;
  let t = Date.parse('2024-03-01T00:00:00Z');
  const id = () => `own:${n++}`;
  ev.push({ id: id(), type: 'workflowBegin', run: 'prep', workflow: 'my-tiles', time: t });
  ev.push({
    id: id(),
    type: 'taskBegin',
    task: 'prep.tiles',
    run: 'prep',
    transformation: 'tiles',
    time: t,
    used: { inline_range: [100, 750], crossline_range: [300, 1250] },
  });
  ev.push({
    id: id(),
    type: 'taskEnd',
    task: 'prep.tiles',
    time: t,
    generated: { train_set: { $ref: '/input/train.hdf5', store: 'fs' } },
  });
  ev.push({ id: id(), type: 'workflowEnd', run: 'prep', time: t });
  ev.push({ id: id(), type: 'workflowBegin', run: 'tr', workflow: 'my-training', time: t });
  ev.push({
    id: id(),
    type: 'taskBegin',
    task: 'tr.train',
    run: 'tr',
    transformation: 'training',
    time: t,
    used: { batch_size: 32, train_set: { $ref: '/input/train.hdf5', store: 'fs' } },
  });
  BATCH_MS.forEach((batches, e) => {
    const epoch = `tr.train.e${e + 1}`;
    ev.push({ id: id(), type: 'taskBegin', task: epoch, run: 'tr', parent: 'tr.train', transformation: 'epoch', time: t });
    batches.forEach((ms, b) => {
      const task = `${epoch}.b${b}`;
      ev.push({ id: id(), type: 'taskBegin', task, run: 'tr', parent: epoch, transformation: 'batch', time: t });
      t += ms;
      ev.push({ id: id(), type: 'taskEnd', task, time: t });
    });
    const val = `${epoch}.val`;
    ev.push({ id: id(), type: 'taskBegin', task: val, run: 'tr', parent: epoch, transformation: 'validation', time: t });
    t += 5000;
    ev.push({ id: id(), type: 'taskEnd', task: val, time: t });
    ev.push({
      id: id(),
      type: 'taskEnd',
      task: epoch,
      time: t,
      generated: { loss: LOSS[e], model: { $ref: `/models/own-e${e + 1}.pt`, store: 'fs' } },
    });
  });
  ev.push({ id: id(), type: 'taskEnd', task: 'tr.train', time: t });
  ev.push({ id: id(), type: 'workflowEnd', run: 'tr', time: t });
  return ev;
}

const expected = BATCH_MS.map((batches, e) => ({
  parentId: `task:tr.train.e${e + 1}`,
  count: batches.length,
  minMs: Math.min(...batches),
  avgMs: batches.reduce((a, b) => a + b, 0) / batches.length,
  maxMs: Math.max(...batches),
}));

describe('Q4 and Q5 on a spec that declares no parent', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await createTestApp();
    for (const s of [preparation, training]) {
      const r = await app.run(REGISTER, { s });
      expect(r.errors).toBeUndefined();
    }
    const r = await app.run<{ ingest: { accepted: number; rejected: number } }>(INGEST, { e: events() });
    expect(r.errors).toBeUndefined();
    expect(r.data!.ingest).toMatchObject({ accepted: events().length, rejected: 0 });
  });
  afterAll(() => app?.close());

  it('Q4: batch durations per epoch, from the tasks the training nests at ingest', async () => {
    const { query, variables } = example('q4');
    const res = await app.run<{ dataReference: { usedBy: Array<{ id: string; durationStats: unknown[] }> } }>(query, variables);
    expect(res.errors).toBeUndefined();
    expect(res.data!.dataReference.usedBy).toEqual([expect.objectContaining({ id: 'task:tr.train', durationStats: expected })]);
  });

  it('Q5: per-epoch batch time and the models the epochs generated, with their evaluations', async () => {
    const { query, variables } = example('q5');
    type Res = {
      dataReferences: {
        nodes: Array<{
          uri: string;
          usedBy: Array<{
            id: string;
            durationStats: unknown[];
            models: Array<{ reference: { uri: string }; evaluations: Array<{ name: string; value: unknown }> }>;
          }>;
        }>;
      };
    };
    const res = await app.run<Res>(query, variables);
    expect(res.errors).toBeUndefined();
    expect(res.data!.dataReferences.nodes.map((n) => n.uri)).toEqual(['/input/train.hdf5']);
    const [used] = res.data!.dataReferences.nodes[0].usedBy;
    expect(used.id).toBe('task:tr.train');
    expect(used.durationStats).toEqual(expected.map(({ parentId, avgMs }) => ({ parentId, avgMs })));
    expect(used.models).toEqual([
      { reference: { uri: '/models/own-e1.pt' }, evaluations: [{ name: 'loss', value: LOSS[0] }] },
      { reference: { uri: '/models/own-e2.pt' }, evaluations: [{ name: 'loss', value: LOSS[1] }] },
    ]);
  });

  it('Q3: the best model of the set is found under the epochs too', async () => {
    const res = await app.run<{ bestModel: { reference: { uri: string } } | null }>(
      `query { bestModel(dataset: "/input/train.hdf5", measure: "loss") { reference { uri } } }`,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!.bestModel?.reference.uri).toBe('/models/own-e2.pt');
  });
});
