import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { handleProvLakeRoute } from '../../src/interop/provlake/provlake-route';
import { createTestApp, type TestApp } from '../helpers/app';

/**
 * The ProvLake route over real HTTP (an in-process node server on loopback calling the handler
 * with the app's deps) against a real PostgreSQL, replaying request bodies shaped as the
 * ProvLake library's versions before March 2021 sent them (inputs in Input, no Generate;
 * test/fixtures/provlake/README.md), then read back through GraphQL. What today's library sends
 * is replayed by provlake-library.test.ts.
 */
const FIXTURES = path.join(__dirname, '../fixtures/provlake');
const prospective: unknown = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'prospective-seismic-training.json'), 'utf8'));
const bodies: unknown[][] = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'retrospective-seismic-training.json'), 'utf8'));

let app: TestApp;
let server: http.Server;
let base: string;

beforeAll(async () => {
  app = await createTestApp();
  server = http.createServer((req, res) => {
    handleProvLakeRoute(req, res, app.deps)
      .then((handled) => {
        if (!handled) res.writeHead(404).end();
      })
      .catch((err: Error) => res.writeHead(500).end(err.message));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 60_000);

afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  await app?.close();
});

interface PostResult {
  status: number;
  body: Record<string, unknown> & {
    accepted?: number;
    duplicates?: number;
    rejected?: number;
    issues?: unknown[];
    errors?: Array<{ message: string; extensions: { code: string; field?: string } }>;
  };
}
async function post(p: string, body: unknown, method = 'POST', raw?: string): Promise<PostResult> {
  // The library posts with requests' json= (application/json) and query parameters it adds.
  const res = await fetch(`${base}${p}?with_validation=False&db_name=None`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: raw ?? JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as PostResult['body'] };
}

const RUN_QUERY = `query($id: String!) {
  execution(id: $id) {
    __typename status startedAt endedAt attributes
    experiment { name version kind study { name } transformations { name kind } }
    tasks(first: 20) { nodes {
      id status startedAt endedAt attributes transformation { name }
      used { name role value dataReference { uri store } }
      generated { name role value dataReference { uri store } }
      children(first: 20) { nodes {
        id status transformation { name }
        used { name value }
        generated { name value }
        children(first: 20) { nodes { id transformation { name } used { name value } generated { name value } } }
      } }
    } }
  }
}`;

interface Value {
  name: string;
  role?: string;
  value?: unknown;
  dataReference?: { uri: string; store: string } | null;
}
interface Task {
  id: string;
  status?: string;
  transformation: { name: string };
  used: Value[];
  generated?: Value[];
  attributes?: Record<string, unknown>;
  children?: { nodes: Task[] };
  startedAt?: string;
  endedAt?: string;
}
interface RunAnswer {
  execution: {
    __typename: string;
    status: string;
    startedAt: string;
    endedAt: string;
    attributes: Record<string, unknown>;
    experiment: {
      name: string;
      version: number;
      kind: string;
      study: { name: string } | null;
      transformations: Array<{ name: string; kind: string }>;
    };
    tasks: { nodes: Task[] };
  } | null;
}

describe('ProvLake client compatibility: /provlake/*-provenance', () => {
  it('registers the prospective dataflow as a workflow spec with PROV-ML roles (POST, then the PUT retry is idempotent)', async () => {
    const first = await post('/provlake/prospective-provenance', prospective);
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ workflow: 'seismic_training', version: 1, created: true });
    const again = await post('/provlake/prospective-provenance', prospective, 'PUT');
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ version: 1, created: false });
  });

  it('replays a training script bag by bag; the run, its cycles and tasks answer through GraphQL', async () => {
    let accepted = 0;
    for (const body of bodies) {
      const r = await post('/provlake/retrospective-provenance', body);
      expect(r.status).toBe(200);
      expect(r.body.rejected).toBe(0);
      expect(r.body.error).toEqual([]);
      accepted += r.body.accepted!;
    }
    expect(accepted).toBeGreaterThan(10);

    const { data, errors } = await app.run<RunAnswer>(RUN_QUERY, { id: '1580000000.5' });
    expect(errors).toBeUndefined();
    const run = data!.execution!;
    expect(run.__typename).toBe('LearningProcessExecution');
    expect(run.status).toBe('FINISHED');
    expect(new Date(run.startedAt).toISOString()).toBe(new Date(1580000000500).toISOString());
    expect(new Date(run.endedAt).toISOString()).toBe(new Date(1580000006500).toISOString());
    expect(run.attributes).toMatchObject({ context: 'seismic_pipelines' });
    // The run's version grew by the cycle and the task the prospective file did not declare.
    expect(run.experiment).toMatchObject({
      name: 'seismic_training',
      version: 1,
      kind: 'LEARNING',
      study: { name: 'seismic_pipelines' },
    });
    expect(run.experiment.transformations.map((t) => `${t.name}:${t.kind}`).sort()).toEqual([
      'batch:DATA_TRANSFORMATION',
      'epoch:DATA_TRANSFORMATION',
      'train:LEARNING_STAGE',
    ]);

    // Top-level: the train task alone; the epoch cycle iterations began while it ran, so they nest under it.
    const top = run.tasks.nodes;
    expect(top.map((t) => t.id)).toEqual(['task:1580000000.5:train:1580000001.25']);
    const train = top[0];
    const epochs = train.children!.nodes;
    expect(epochs.map((t) => t.id).sort()).toEqual(['task:1580000000.5:cycle:epoch:0', 'task:1580000000.5:cycle:epoch:1']);
    expect(train.status).toBe('FINISHED');
    const used = Object.fromEntries(train.used.map((v) => [v.name, v]));
    expect(used.batch_size).toMatchObject({ role: 'LEARNING_HYPERPARAMETER', value: 60 });
    expect(used.learning_rate).toMatchObject({ role: 'LEARNING_HYPERPARAMETER', value: 0.01 });
    expect(used.train_file).toMatchObject({
      role: 'LEARNING_DATASET_REFERENCE',
      dataReference: { uri: '/input/train.hdf5', store: 'fs' },
    });
    expect(used.optimizer).toMatchObject({ role: 'PARAMETER', value: 'adam' });
    expect(train.attributes).toMatchObject({ usedMetadata: { optimizer: { custom_metadata: { source: 'config.yaml' } } } });
    const gen = Object.fromEntries(train.generated!.map((v) => [v.name, v]));
    expect(gen.model_file).toMatchObject({
      role: 'MODEL_REFERENCE',
      dataReference: { uri: '/models/model188.hdf5', store: 'fs' },
    });
    expect(gen.accuracy).toMatchObject({ role: 'EVALUATION_MEASURE', value: 0.93 });
    expect(gen.history.value).toEqual([0.61, 0.42]);
    expect(gen.summary.value).toEqual({ best_epoch: 1, layers: { conv: 3 } });

    // Cycles nest their tasks; iteration 0's task came without parent_cycle_iteration.
    for (const [i, loss] of [
      [0, 0.61],
      [1, 0.42],
    ] as const) {
      const cycle = epochs.find((t) => t.id === `task:1580000000.5:cycle:epoch:${i}`)!;
      expect(cycle.status).toBe('FINISHED');
      expect(cycle.used).toEqual([expect.objectContaining({ name: 'epoch', value: i })]);
      expect(cycle.generated).toEqual([expect.objectContaining({ name: 'epoch_loss', value: loss })]);
      const { data: under } = await app.run<{ task: Task }>(
        `query($id: String!) { task(id: $id) { children(first: 20) { nodes { id transformation { name } generated { name value } } } } }`,
        { id: cycle.id.slice('task:'.length) },
      );
      const batches = under!.task.children!.nodes;
      expect(batches).toHaveLength(1);
      expect(batches[0].transformation.name).toBe('batch');
      expect(batches[0].generated).toEqual([expect.objectContaining({ name: 'loss', value: loss })]);
    }

    // The model's lineage reaches the training file through the ProvLake data references.
    const lineage = await app.run<{ dataReference: { wasDerivedFrom: Array<{ uri: string }> } }>(
      `{ dataReference(uri: "/models/model188.hdf5", store: "fs") { wasDerivedFrom { uri } } }`,
    );
    expect(lineage.errors).toBeUndefined();
    expect(lineage.data!.dataReference.wasDerivedFrom.map((d) => d.uri)).toContain('/input/train.hdf5');
  });

  it('a resent bag changes nothing: every event is a duplicate and the answers stay the same', async () => {
    const before = await app.run(RUN_QUERY, { id: '1580000000.5' });
    let accepted = 0;
    let duplicates = 0;
    for (const body of bodies) {
      const r = await post('/provlake/retrospective-provenance', body);
      expect(r.status).toBe(200);
      accepted += r.body.accepted!;
      duplicates += r.body.duplicates!;
    }
    expect(accepted).toBe(0);
    expect(duplicates).toBeGreaterThan(10);
    expect(await app.run(RUN_QUERY, { id: '1580000000.5' })).toEqual(before);
  });

  it('without a prospective spec: a single request object, numeric wf_execution, at the root path (urljoin without a trailing slash)', async () => {
    const wf = 1590000000.125;
    const body = [
      {
        prov_obj: { wf_execution: wf, startTime: wf, status: 'RUNNING' },
        dataflow_name: 'factorial_workflow_example',
        act_type: 'workflow',
      },
      {
        prov_obj: {
          task: { id: 1590000001, wf_execution: wf, startTime: 1590000001, status: 'RUNNING' },
          dt: 'do_multiplication',
          type: 'Input',
          values: { current_n: 5 },
        },
        dataflow_name: 'factorial_workflow_example',
        act_type: 'task',
      },
    ];
    const r1 = await post('/retrospective-provenance', body);
    expect(r1.status).toBe(200);
    // The task request carries its run's begin too (same id): one duplicate in the same bag.
    expect(r1.body).toMatchObject({ accepted: 2, duplicates: 1, rejected: 0 });
    const r2 = await post('/provlake/retrospective-provenance', {
      prov_obj: {
        task: {
          id: 1590000001,
          wf_execution: wf,
          startTime: 1590000001,
          endTime: 1590000002,
          status: 'ERRORED',
          stderr: 'overflow',
        },
        dt: 'do_multiplication',
        type: 'Output',
        values: { factorial_result: 120 },
      },
      dataflow_name: 'factorial_workflow_example',
      act_type: 'task',
    });
    expect(r2.body).toMatchObject({ accepted: 1, rejected: 0 });
    // A transformation that appears in a later run grows the same version.
    const r3 = await post('/provlake/retrospective-provenance', [
      {
        prov_obj: {
          task: { id: 7, wf_execution: 'second', startTime: 1590000005, status: 'RUNNING' },
          dt: 'print_result',
          type: 'Input',
          values: {},
        },
        dataflow_name: 'factorial_workflow_example',
        act_type: 'task',
      },
    ]);
    expect(r3.body).toMatchObject({ accepted: 2, rejected: 0 }); // an implicit run begin and the task

    const { data } = await app.run<RunAnswer>(RUN_QUERY, { id: String(wf) });
    const run = data!.execution!;
    expect(run.status).toBe('RUNNING');
    expect(run.experiment).toMatchObject({ name: 'factorial_workflow_example', version: 1, kind: 'DATA' });
    expect(run.experiment.transformations.map((t) => t.name).sort()).toEqual(['do_multiplication', 'print_result']);
    const [task] = run.tasks.nodes;
    expect(task).toMatchObject({ status: 'FAILED', attributes: expect.objectContaining({ stderr: 'overflow' }) });
    expect(task.used).toEqual([expect.objectContaining({ name: 'current_n', role: 'PARAMETER', value: 5 })]);
    expect(task.generated).toEqual([expect.objectContaining({ name: 'factorial_result', value: 120 })]);
  });

  it('rejects malformed requests with 400 naming the field, and writes nothing of that body', async () => {
    const good = { prov_obj: { wf_execution: 'bad-run', startTime: 1 }, dataflow_name: 'x_flow', act_type: 'workflow' };
    const cases: Array<[unknown, string]> = [
      [
        [
          good,
          { prov_obj: { task: { wf_execution: 'bad-run' }, dt: 'a', type: 'Input' }, dataflow_name: 'x_flow', act_type: 'task' },
        ],
        'body[1].prov_obj.task.id',
      ],
      [[{ ...good, act_type: 'dataset' }], 'body[0].act_type'],
      [
        [{ prov_obj: { task: { id: 1, wf_execution: 'bad-run' }, dt: 'a', type: 'Inputs' }, act_type: 'task' }],
        'body[0].prov_obj.type',
      ],
      [
        [
          {
            prov_obj: {
              task: { id: 1, wf_execution: 'bad-run' },
              dt: 'a',
              type: 'Input',
              values: { f: { prov_attr_type: 'data_reference', datastore_id: 'fs' } },
            },
            dataflow_name: 'x_flow',
            act_type: 'task',
          },
        ],
        'body[0].prov_obj.values.f.values',
      ],
      [
        [
          {
            prov_obj: {
              task: { id: 1, wf_execution: 'bad-run' },
              dt: 'a',
              type: 'Input',
              values: { f: { prov_attr_type: 'tensor', values: 1 } },
            },
            dataflow_name: 'x_flow',
            act_type: 'task',
          },
        ],
        'body[0].prov_obj.values.f.prov_attr_type',
      ],
      [
        [{ prov_obj: { task: { id: 1, wf_execution: 'unknown-run' }, dt: 'a', type: 'Input' }, act_type: 'task' }],
        'dataflow_name',
      ],
      [
        [
          {
            prov_obj: { task: { id: 1, wf_execution: 'bad-run' }, dt: 'bad<name>', type: 'Input' },
            dataflow_name: 'x_flow',
            act_type: 'task',
          },
        ],
        'prov_obj.dt',
      ],
    ];
    for (const [body, field] of cases) {
      const r = await post('/provlake/retrospective-provenance', body);
      expect({ field, status: r.status }).toEqual({ field, status: 400 });
      expect(r.body.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
      expect(r.body.errors![0].message).toContain(field);
    }
    const notJson = await post('/provlake/retrospective-provenance', null, 'POST', '[{"act_type": ');
    expect(notJson.status).toBe(400);
    expect(notJson.body.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'body' });
    const badProspective = await post('/provlake/prospective-provenance', {
      dataflow_name: 'p',
      data_transformations: { t: { input_datasets: [{ attributes: [{ name: 'a', ml_semantics: 'weights' }] }] } },
    });
    expect(badProspective.status).toBe(400);
    expect(badProspective.body.errors![0].extensions.field).toBe(
      'body.data_transformations.t.input_datasets[0].attributes[0].ml_semantics',
    );
    const get = await fetch(`${base}/provlake/retrospective-provenance`);
    expect(get.status).toBe(405);
    const unknown = await fetch(`${base}/provlake/other`, { method: 'POST' });
    expect(unknown.status).toBe(404);
    // Nothing of the refused bodies was written, not even the valid workflow request beside a bad one.
    const { data } = await app.run<RunAnswer>(RUN_QUERY, { id: 'bad-run' });
    expect(data!.execution).toBeNull();
  });
});
