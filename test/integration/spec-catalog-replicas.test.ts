import { openProvenanceStore, type OpenedStore } from '../../src/connectors/provenance/open-provenance-store';
import { ingestBatch } from '../../src/ingest/ingest-batch';
import { SpecCatalog } from '../../src/ingest/spec-catalog';
import { parseWorkflowSpec, specHash, type WorkflowSpec } from '../../src/ingest/workflow-spec';
import { silentLogger } from '../../src/logger';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';

// Two SpecCatalogs over one PostgreSQL stand for the caches of two replicas.

describe('spec catalogs of two replicas over one store', () => {
  let db: TestDatabase;
  let opened: OpenedStore;
  beforeAll(async () => {
    db = await createTestDatabase('provml_catalog');
    opened = await openProvenanceStore({ databaseUrl: db.url, dataDir: '/nonexistent', poolSize: 4, log: silentLogger });
  });
  afterAll(async () => {
    await opened?.close();
    await db?.drop();
  });

  it('accepts on replica B a transformation that replica A added to a version B had cached', async () => {
    const store = opened.store;
    const spec = parseWorkflowSpec({ name: 'grown', transformations: [{ name: 'first' }] });
    const { workflow } = await store.registerWorkflow(spec, specHash(spec));
    const a = new SpecCatalog(store);
    const b = new SpecCatalog(store);
    const deps = (catalog: SpecCatalog) => ({ store, catalog, maxBatchEvents: 100 });

    // B caches the version as it is now.
    const begun = await ingestBatch([{ id: 'e1', type: 'workflowBegin', run: 'r1', workflow: 'grown' }], deps(b));
    expect(begun.accepted).toBe(1);
    // A grows it (what ProvLake's route does on A), then B ingests a task of the new step.
    await a.get([workflow.id]);
    await store.extendWorkflow(workflow.id, [{ name: 'added-on-a', kind: 'DATA_TRANSFORMATION' }]);
    const task = await ingestBatch(
      [{ id: 'e2', type: 'taskBegin', run: 'r1', task: 't1', transformation: 'added-on-a' }],
      deps(b),
    );
    expect(task).toMatchObject({ accepted: 1, rejected: 0 });

    // A name no replica declared is still rejected, after one look at the store.
    const bad = await ingestBatch([{ id: 'e3', type: 'taskBegin', run: 'r1', task: 't2', transformation: 'nowhere' }], deps(b));
    expect(bad.issues).toEqual([expect.objectContaining({ field: 'events[0].transformation', code: 'BAD_USER_INPUT' })]);
  });

  it('uses on replica B a version registered after B cached the previous one', async () => {
    const store = opened.store;
    const v1 = parseWorkflowSpec({ name: 'versions', transformations: [{ name: 'old' }] });
    await store.registerWorkflow(v1, specHash(v1));
    const b = new SpecCatalog(store);
    const deps = { store, catalog: b, maxBatchEvents: 100 };
    expect((await ingestBatch([{ id: 'v1', type: 'workflowBegin', run: 'rv1', workflow: 'versions' }], deps)).accepted).toBe(1);
    const v2: WorkflowSpec = parseWorkflowSpec({ name: 'versions', transformations: [{ name: 'old' }, { name: 'new' }] });
    await store.registerWorkflow(v2, specHash(v2));
    const res = await ingestBatch(
      [
        { id: 'v2', type: 'workflowBegin', run: 'rv2', workflow: 'versions' },
        { id: 'v3', type: 'taskBegin', run: 'rv2', task: 'tv', transformation: 'new' },
      ],
      deps,
    );
    expect(res).toMatchObject({ accepted: 2, rejected: 0 });
  });
});
