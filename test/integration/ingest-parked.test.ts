import pg from 'pg';
import { openProvenanceStore, type OpenedStore } from '../../src/connectors/provenance/open-provenance-store';
import { ingestBatch } from '../../src/ingest/ingest-batch';
import { startParkedWorker, type ParkedWorker } from '../../src/ingest/parked-events';
import { SpecCatalog } from '../../src/ingest/spec-catalog';
import { parseWorkflowSpec, specHash } from '../../src/ingest/workflow-spec';
import { createLogger } from '../../src/logger';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';

/**
 * Parked events (docs/ingest.md): events that name a run or task another process has not stored
 * yet wait, and land once it is, exactly once, whichever of two "replicas" (two caches, two
 * release workers on one database) took which batch.
 */
const spec = parseWorkflowSpec({
  name: 'dist',
  kind: 'LEARNING',
  transformations: [{ name: 'train', kind: 'LEARNING_STAGE' }],
});

describe('parked events (PostgreSQL)', () => {
  let db: TestDatabase;
  let opened: OpenedStore;
  let sql: pg.Pool;
  const replicas: Array<{ catalog: SpecCatalog; worker: ParkedWorker }> = [];
  const via = (r: number, events: unknown[]) =>
    ingestBatch(events, {
      store: opened.store,
      catalog: replicas[r].catalog,
      maxBatchEvents: 1000,
      parking: replicas[r].worker,
    });
  const count = async (table: string, where = 'true', params: unknown[] = []) =>
    Number((await sql.query<{ n: string }>(`SELECT count(*) AS n FROM ${table} WHERE ${where}`, params)).rows[0].n);
  /** Until the parked table holds no waiting event of `run` (the workers run on their own). */
  const settled = async (like: string) => {
    for (let i = 0; i < 200; i++) {
      if ((await count('parked_event', `status = 'PARKED' AND event->>'id' LIKE $1`, [like])) === 0) return;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`parked events ${like} never released`);
  };
  const rank1 = (run: string) => [
    { id: `${run}.1`, type: 'taskBegin', task: `${run}.t1`, run, transformation: 'train', host: 'rank1', time: 1000 },
    { id: `${run}.2`, type: 'metric', run, task: `${run}.t1`, name: 'loss', value: 0.9, step: 0, time: 1100 },
    { id: `${run}.3`, type: 'metric', run, task: `${run}.t1`, name: 'loss', value: 0.5, step: 1, time: 1200 },
    { id: `${run}.4`, type: 'taskEnd', task: `${run}.t1`, status: 'FINISHED', time: 1500, generated: { acc: 0.8 } },
  ];
  const rank0 = (run: string) => [{ id: `${run}.0`, type: 'workflowBegin', run, workflow: 'dist', time: 900 }];

  beforeAll(async () => {
    db = await createTestDatabase();
    opened = await openProvenanceStore({ databaseUrl: db.url, dataDir: '/tmp', poolSize: 6, log: createLogger('warn') });
    await opened.store.registerWorkflow(spec, specHash(spec));
    sql = new pg.Pool({ connectionString: db.url, max: 1 });
    for (let i = 0; i < 2; i++) {
      const catalog = new SpecCatalog(opened.store);
      // A long poll: what lands here lands by a nudge (a park, a begin), or by the other replica's.
      const worker = startParkedWorker(
        { store: opened.store, catalog, log: createLogger('silent') },
        { intervalMs: i === 0 ? 60_000 : 200, limits: { maxEvents: 3, maxAgeSeconds: 3600 } },
      );
      replicas.push({ catalog, worker });
    }
  });
  afterAll(async () => {
    for (const r of replicas) await r.worker.stop();
    await sql?.end();
    await opened?.close();
    await db?.drop();
  });

  it('parks a rank that starts before rank 0, then writes it once the begin lands on the other replica', async () => {
    const parked = await via(0, rank1('r1'));
    expect(parked).toMatchObject({ accepted: 0, rejected: 0, parked: 4, issues: [] });
    expect(parked.parkedEvents.map((p) => [p.index, p.eventId, p.waitsFor])).toEqual([
      [0, 'r1.1', { kind: 'run', id: 'r1' }],
      [1, 'r1.2', { kind: 'run', id: 'r1' }],
      [2, 'r1.3', { kind: 'run', id: 'r1' }],
      [3, 'r1.4', { kind: 'task', id: 'r1.t1' }],
    ]);
    expect(await count('parked_event', `status = 'PARKED'`)).toBe(4);
    // A resend while it waits: still parked, one row each.
    expect(await via(1, rank1('r1'))).toMatchObject({ accepted: 0, parked: 4 });
    expect(await count('parked_event')).toBe(4);

    expect(await via(1, rank0('r1'))).toMatchObject({ accepted: 1, parked: 0 });
    await settled('r1.%');
    expect(await count('parked_event')).toBe(0);
    expect(await count('metric_point', 'run_id = $1', ['r1'])).toBe(2);
    expect(await count('attribute_value', 'run_id = $1', ['r1'])).toBe(1);
    const task = (await sql.query(`SELECT status, host, duration_ms FROM task_execution WHERE id = 'r1.t1'`)).rows;
    expect(task).toEqual([{ status: 'FINISHED', host: 'rank1', duration_ms: 500 }]);
    // A resend once written: duplicates, as for any event.
    expect(await via(0, rank1('r1'))).toMatchObject({ accepted: 0, duplicates: 4, parked: 0 });
    expect(await count('metric_point', 'run_id = $1', ['r1'])).toBe(2);
  });

  it('loses nothing when rank 0 and rank 1 race on the two replicas', async () => {
    const runs = Array.from({ length: 12 }, (_v, i) => `race${i}`);
    const results = await Promise.all(runs.flatMap((run, i) => [via(i % 2, rank1(run)), via((i + 1) % 2, rank0(run))]));
    expect(results.every((r) => r.rejected === 0)).toBe(true);
    await settled('race%');
    expect(await count('metric_point', `run_id LIKE 'race%'`)).toBe(24);
    expect(await count('task_execution', `run_id LIKE 'race%' AND status = 'FINISHED' AND duration_ms = 500`)).toBe(12);
    expect(await count('ingested_event', `id LIKE 'race%'`)).toBe(60);
    expect(await count('parked_event')).toBe(0);
  });

  it("parks a run's wasAssociatedWith sent before its run, and files it as the run's (batch-shapes seed 53)", async () => {
    // The subject names a run or a task; written before either landed, it was filed as a task's.
    const assoc = (id: string, subject: string) => ({
      id,
      type: 'relation',
      relation: 'WAS_ASSOCIATED_WITH',
      subject,
      object: 'someone',
    });
    const parked = await via(0, [assoc('as1', 'assoc-run'), assoc('as2', 'assoc-run.t')]);
    expect(parked).toMatchObject({ accepted: 0, parked: 2, rejected: 0 });
    expect(parked.parkedEvents.map((p) => p.waitsFor)).toEqual([
      { kind: 'execution', id: 'assoc-run' },
      { kind: 'execution', id: 'assoc-run.t' },
    ]);
    await via(1, rank0('assoc-run'));
    await via(1, [{ id: 'as3', type: 'taskBegin', task: 'assoc-run.t', run: 'assoc-run', transformation: 'train' }]);
    await settled('as%');
    const rows = await sql.query(
      `SELECT subject FROM prov_relation WHERE kind = 'WAS_ASSOCIATED_WITH' AND object = 'agent:someone' ORDER BY 1`,
    );
    expect(rows.rows).toEqual([{ subject: 'run:assoc-run' }, { subject: 'task:assoc-run.t' }]);
    // Once they are stored, an association lands at once.
    expect(await via(0, [assoc('as4', 'assoc-run')])).toMatchObject({ accepted: 1, parked: 0 });
  });

  it('rejects, as before, what a rejected begin of the same batch would have released', async () => {
    const r = await via(0, [
      { id: 'x0', type: 'workflowBegin', run: 'x', workflow: 'no-such-workflow' },
      { id: 'x1', type: 'taskBegin', task: 'x.t', run: 'x', transformation: 'train' },
      { id: 'x2', type: 'taskEnd', task: 'x.t' },
    ]);
    expect(r).toMatchObject({ accepted: 0, parked: 0, rejected: 3 });
    expect(await count('parked_event')).toBe(0);
  });

  it('keeps, as rejected, a parked event that does not fit once its run lands, and reports it', async () => {
    expect(
      await via(0, [
        { id: 'bad1', type: 'taskBegin', task: 'bad.t', run: 'bad', transformation: 'no-such-step' },
        { id: 'bad2', type: 'taskEnd', task: 'bad.t' },
      ]),
    ).toMatchObject({ parked: 2 });
    await via(1, rank0('bad'));
    for (let i = 0; i < 200 && (await count('parked_event', `status = 'PARKED'`)) > 0; i++) {
      await new Promise((r) => setTimeout(r, 25));
    }
    const rows = (await sql.query(`SELECT event_id, status, issue->>'field' AS field FROM parked_event ORDER BY seq`)).rows;
    // Its end, waiting for a task that will never be, is rejected with it rather than waiting forever.
    expect(rows).toEqual([
      { event_id: 'bad1', status: 'REJECTED', field: 'events[0].transformation' },
      { event_id: 'bad2', status: 'REJECTED', field: 'task' },
    ]);
    expect(await opened.store.parkedSummary()).toMatchObject({ parked: 0, rejected: 2 });
    await sql.query(`DELETE FROM parked_event`);
  });

  it('reports events waiting past the count limit, and keeps them', async () => {
    const run = 'never';
    await via(
      0,
      Array.from({ length: 5 }, (_v, i) => ({ id: `n${i}`, type: 'metric', run, name: 'm', value: i })),
    );
    await replicas[0].worker.releaseNow();
    expect(replicas[0].worker.state()).toMatchObject({ parked: 5, overLimit: ['count'] });
    expect(await count('parked_event', `status = 'PARKED'`)).toBe(5);
    const listed = await opened.store.parkedEvents(10);
    expect(listed.map((l) => l.eventId)).toEqual(['n0', 'n1', 'n2', 'n3', 'n4']);
    expect(listed[0]).toMatchObject({ status: 'PARKED', waits: { kind: 'run', id: 'never' } });
    await sql.query(`DELETE FROM parked_event`);
  });

  it('rejects events of an unknown run without a parking worker (imports, study-limited tokens)', async () => {
    const r = await ingestBatch(rank1('solo'), { store: opened.store, catalog: replicas[0].catalog, maxBatchEvents: 100 });
    expect(r).toMatchObject({ accepted: 0, parked: 0, rejected: 4 });
    expect(r.issues[0].message).toMatch(/unknown workflow execution "solo"/);
  });
});
