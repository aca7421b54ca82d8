import { createTestApp, type TestApp } from '../helpers/app';

const INGEST = `mutation($e: [JSON!]!) { ingest(events: $e) { accepted duplicates rejected duplicateIds issues { index eventId field code message } } }`;
const REGISTER = `mutation($s: WorkflowSpecInput!) { registerWorkflow(spec: $s) { id name version kind transformations { name kind ... on LearningStage { stageType } } } }`;

describe('GraphQL write API', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await createTestApp({ PROVML_MAX_BATCH_EVENTS: '10', PROVML_MAX_PAGE_SIZE: '20' });
  });
  afterAll(() => app?.close());

  it('registers a spec and versions it', async () => {
    const spec = {
      name: 'api-wf',
      kind: 'LEARNING',
      transformations: [
        { name: 'train', kind: 'LEARNING_STAGE', stageType: 'TRAINING', used: [{ name: 'lr', role: 'LEARNING_HYPERPARAMETER' }] },
      ],
    };
    const a = await app.run<{ registerWorkflow: { version: number; transformations: unknown[] } }>(REGISTER, { s: spec });
    expect(a.errors).toBeUndefined();
    expect(a.data!.registerWorkflow).toMatchObject({
      version: 1,
      transformations: [{ name: 'train', kind: 'LEARNING_STAGE', stageType: 'TRAINING' }],
    });
    const b = await app.run<{ registerWorkflow: { version: number } }>(REGISTER, { s: spec });
    expect(b.data!.registerWorkflow.version).toBe(1);
    const c = await app.run<{ registerWorkflow: { version: number } }>(REGISTER, { s: { ...spec, description: 'changed' } });
    expect(c.data!.registerWorkflow.version).toBe(2);
  });

  it('answers a bad spec with BAD_USER_INPUT naming the field', async () => {
    const res = await app.run(REGISTER, { s: { name: 'bad', transformations: [{ name: 't', kind: 'TRAINING' }] } });
    expect(res.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'spec.transformations.0.kind' });
  });

  it('keeps the valid events of a batch, reports the rest, and treats a resend as duplicates', async () => {
    const events = [
      { id: 'a1', type: 'workflowBegin', run: 'api-run', workflow: 'api-wf' },
      { id: 'a2', type: 'taskBegin', task: 'api-t', run: 'api-run', transformation: 'train', used: { lr: 0.1 } },
      { id: 'a3', type: 'metric', run: 'api-run', name: 'loss' },
      { id: 'a4', type: 'taskEnd', task: 'api-t' },
    ];
    const first = await app.run<{
      ingest: { accepted: number; rejected: number; issues: Array<{ index: number; field: string; message: string }> };
    }>(INGEST, { e: events });
    expect(first.errors).toBeUndefined();
    expect(first.data!.ingest).toMatchObject({ accepted: 3, rejected: 1, issues: [{ index: 2, field: 'events[2].value' }] });
    const again = await app.run<{ ingest: { accepted: number; duplicates: number; duplicateIds: string[] } }>(INGEST, {
      e: events,
    });
    expect(again.data!.ingest).toMatchObject({ accepted: 0, duplicates: 3, duplicateIds: ['a1', 'a2', 'a4'] });
    const read = await app.run<{ task: { status: string; used: Array<{ __typename: string; value: unknown }> } }>(
      `{ task(id: "api-t") { status used { __typename value } } }`,
    );
    expect(read.data!.task).toEqual({ status: 'FINISHED', used: [{ __typename: 'LearningHyperParameterSetting', value: 0.1 }] });
  });

  it('refuses a batch over the event limit with LIMIT_EXCEEDED and writes nothing', async () => {
    const events = Array.from({ length: 11 }, (_, i) => ({ id: `big${i}`, type: 'agent', agent: `ag${i}`, kind: 'PERSON' }));
    const res = await app.run(INGEST, { e: events });
    expect(res.errors?.[0].extensions).toMatchObject({ code: 'LIMIT_EXCEEDED', max: 10, actual: 11 });
    const agent = await app.run<{ node: unknown }>(`{ node(id: "agent:ag0") { id } }`);
    expect(agent.data!.node).toBeNull();
  });

  it('enforces query-shape limits and page sizes', async () => {
    const aliases = Array.from({ length: 11 }, (_, i) => `s${i}: studies { pageInfo { hasNextPage } }`).join(' ');
    const res = await app.run(`{ ${aliases} }`);
    expect(res.errors?.map((e) => e.extensions?.code)).toContain('LIMIT_EXCEEDED');
    const page = await app.run(`{ executions(first: 21) { nodes { id } } }`);
    expect(page.errors?.[0].extensions).toMatchObject({ code: 'LIMIT_EXCEEDED', limit: 'page size (first)' });
  });

  it('pages executions with cursors', async () => {
    const events = [1, 2, 3].map((i) => ({ id: `p${i}`, type: 'workflowBegin', run: `page-run-${i}`, workflow: 'api-wf' }));
    await app.run(INGEST, { e: events });
    const q = `query($a: String) { executions(filter: {workflow: "api-wf"}, first: 2, after: $a) { nodes { id } pageInfo { endCursor hasNextPage } } }`;
    type P = { executions: { nodes: Array<{ id: string }>; pageInfo: { endCursor: string | null; hasNextPage: boolean } } };
    const p1 = await app.run<P>(q);
    expect(p1.data!.executions.pageInfo.hasNextPage).toBe(true);
    const p2 = await app.run<P>(q, { a: p1.data!.executions.pageInfo.endCursor });
    const ids = [...p1.data!.executions.nodes, ...p2.data!.executions.nodes].map((n) => n.id);
    expect(ids).toEqual(['run:api-run', 'run:page-run-1', 'run:page-run-2', 'run:page-run-3']);
    expect(p2.data!.executions.pageInfo.hasNextPage).toBe(false);
  });

  it('masks unexpected errors as INTERNAL_SERVER_ERROR', async () => {
    // A global id of a kind with numeric keys but a key out of bigint range reaches PostgreSQL.
    const res = await app.run(`{ node(id: "ref:99999999999999999999999") { id } }`);
    expect(res.errors?.[0].extensions?.code).toBe('INTERNAL_SERVER_ERROR');
    expect(res.errors?.[0].message).toBe('internal server error');
  });

  it('answers explicit PROV relations: wasInformedBy, hadMember, wasDerivedFrom', async () => {
    const r = await app.run<{ ingest: { accepted: number; rejected: number } }>(INGEST, {
      e: [
        { id: 'rel1', type: 'workflowBegin', run: 'rel-run', workflow: 'api-wf' },
        { id: 'rel2', type: 'taskBegin', task: 'rel-a', run: 'rel-run', transformation: 'train' },
        { id: 'rel3', type: 'taskBegin', task: 'rel-b', run: 'rel-run', transformation: 'train' },
        { id: 'rel4', type: 'relation', relation: 'WAS_INFORMED_BY', subject: 'rel-b', object: 'rel-a' },
        {
          id: 'rel5',
          type: 'relation',
          relation: 'HAD_MEMBER',
          subject: '/sets/train',
          object: '/tiles/1',
          subjectStore: 'fs',
          objectStore: 'fs',
        },
        {
          id: 'rel6',
          type: 'relation',
          relation: 'HAD_MEMBER',
          subject: '/sets/train',
          object: '/tiles/2',
          subjectStore: 'fs',
          objectStore: 'fs',
        },
        {
          id: 'rel7',
          type: 'relation',
          relation: 'WAS_DERIVED_FROM',
          subject: '/tiles/1',
          object: '/raw/cube.sgy',
          subjectStore: 'fs',
          objectStore: 'fs',
        },
      ],
    });
    expect(r.data!.ingest).toMatchObject({ accepted: 7, rejected: 0 });
    const res = await app.run<{
      task: { wasInformedBy: Array<{ id: string }> };
      dataReference: { hadMember: Array<{ uri: string }> };
      tile: { wasDerivedFrom: Array<{ uri: string }> };
    }>(
      `{ task(id: "rel-b") { wasInformedBy { id } }
         dataReference(uri: "/sets/train") { hadMember { uri } }
         tile: dataReference(uri: "/tiles/1") { wasDerivedFrom { uri } } }`,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!.task.wasInformedBy).toEqual([{ id: 'task:rel-a' }]);
    expect(res.data!.dataReference.hadMember.map((m) => m.uri).sort()).toEqual(['/tiles/1', '/tiles/2']);
    expect(res.data!.tile.wasDerivedFrom).toEqual([{ uri: '/raw/cube.sgy' }]);
  });
});
