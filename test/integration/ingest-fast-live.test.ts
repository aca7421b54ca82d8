import pg from 'pg';
import { openProvenanceStore, type OpenedStore } from '../../src/connectors/provenance/open-provenance-store';
import type { ProvenanceStore } from '../../src/connectors/provenance/provenance-store';
import { ingestBatch } from '../../src/ingest/ingest-batch';
import type { StreamHead } from '../../src/ingest/live-changes';
import { SpecCatalog } from '../../src/ingest/spec-catalog';
import { parseWorkflowSpec, specHash } from '../../src/ingest/workflow-spec';
import { createLogger } from '../../src/logger';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';

/**
 * The fast path's one statement with the live log folded in (issue 15): an all-new batch writes
 * its rows and its live changes in one statement, and takes its locks in the careful path's
 * order (event ids first, rows, the live streams' counters last), so the two paths cannot
 * deadlock on each other.
 */
const spec = parseWorkflowSpec({
  name: 'fastlive',
  kind: 'LEARNING',
  transformations: [
    { name: 'training', kind: 'LEARNING_STAGE' },
    { name: 'batch', kind: 'LEARNING_STAGE', parent: 'training' },
  ],
});

describe('ingest fast path with the live log in its statement (PostgreSQL)', () => {
  let db: TestDatabase;
  let opened: OpenedStore;
  let sql: pg.Pool;
  let catalog: SpecCatalog;
  let transactions = 0;
  let store: ProvenanceStore;
  const committed: StreamHead[][] = [];
  const via = (events: unknown[]) =>
    ingestBatch(events, { store, catalog, maxBatchEvents: 1000, onCommitted: (heads) => committed.push(heads) });

  beforeAll(async () => {
    db = await createTestDatabase();
    opened = await openProvenanceStore({ databaseUrl: db.url, dataDir: '/tmp', poolSize: 4, log: createLogger('warn') });
    await opened.store.registerWorkflow(spec, specHash(spec));
    // The real store, with its BEGIN…COMMIT transactions counted.
    store = Object.create(opened.store) as ProvenanceStore;
    store.transaction = (fn) => {
      transactions++;
      return opened.store.transaction(fn);
    };
    sql = new pg.Pool({ connectionString: db.url, max: 3 });
    catalog = new SpecCatalog(store);
    await via([{ id: 'w0', type: 'workflowBegin', run: 'lr', workflow: 'fastlive' }]);
  });
  afterAll(async () => {
    await sql?.end();
    await opened?.close();
    await db?.drop();
  });

  it('writes an all-new batch and its live changes in one statement, no transaction, and returns the heads', async () => {
    transactions = 0;
    committed.length = 0;
    const before = Number((await sql.query(`SELECT seq FROM live_stream WHERE stream = 'run:lr'`)).rows[0].seq);
    const result = await via([
      { id: 'a1', type: 'taskBegin', task: 'lr.b0', run: 'lr', transformation: 'batch', time: 1000 },
      { id: 'a2', type: 'taskEnd', task: 'lr.b0', time: 1200 },
      { id: 'a3', type: 'metric', run: 'lr', task: 'lr.b0', name: 'loss', value: 0.5, step: 0 },
    ]);
    expect(result).toMatchObject({ accepted: 3, rejected: 0 });
    expect(transactions).toBe(0);
    expect(committed).toEqual([[{ stream: 'run:lr', seq: before + 1 }]]);
    const { rows } = await sql.query<{ seq: string; payload: unknown; type: string }>(
      `SELECT seq, payload, pg_typeof(payload)::text AS type FROM live_change WHERE stream = 'run:lr' ORDER BY seq DESC LIMIT 1`,
    );
    expect(Number(rows[0].seq)).toBe(before + 1);
    expect(rows[0].type).toBe('json');
    expect(rows[0].payload).toMatchObject({
      events: [
        // Tuples (kind, task, transformation, status, at), times as epoch milliseconds.
        ['TASK_BEGUN', 'lr.b0', 'batch', 'RUNNING', 1000],
        ['TASK_ENDED', 'lr.b0', null, 'FINISHED', 1200],
      ],
      metrics: [['loss', 0.5, 0, null, 'lr.b0', expect.any(Number)]],
    });
  });

  it('gives each stream of a batch its own payload (three runs in one statement)', async () => {
    committed.length = 0;
    await via(['m1', 'm2'].map((run) => ({ id: `${run}:wb`, type: 'workflowBegin', run, workflow: 'fastlive' })));
    committed.length = 0;
    const heads = async () =>
      new Map(
        (
          await sql.query<{ stream: string; seq: string }>(
            `SELECT stream, seq FROM live_stream WHERE stream IN ('run:lr', 'run:m1', 'run:m2')`,
          )
        ).rows.map((r) => [r.stream, Number(r.seq)]),
      );
    const before = await heads();
    // Runs out of code-unit order in the batch: the statement sorts its streams.
    const result = await via([
      { id: 'ms1', type: 'metric', run: 'm2', name: 'loss', value: 2, step: 0 },
      { id: 'ms2', type: 'metric', run: 'lr', name: 'loss', value: 0, step: 0 },
      { id: 'ms3', type: 'taskBegin', task: 'm1.t', run: 'm1', transformation: 'training', time: 7 },
      { id: 'ms4', type: 'metric', run: 'm2', name: 'acc', value: 3, step: 1 },
    ]);
    expect(result).toMatchObject({ accepted: 4, rejected: 0 });
    expect(committed).toEqual([['run:lr', 'run:m1', 'run:m2'].map((stream) => ({ stream, seq: before.get(stream)! + 1 }))]);
    const { rows } = await sql.query<{ stream: string; payload: Record<string, unknown> }>(
      `SELECT c.stream, c.payload FROM live_change c JOIN live_stream s USING (stream) WHERE c.seq = s.seq AND c.stream IN ('run:lr', 'run:m1', 'run:m2')`,
    );
    const byStream = new Map(rows.map((r) => [r.stream, r.payload]));
    expect(byStream.get('run:lr')).toEqual({ metrics: [['loss', 0, 0, null, null, expect.any(Number)]] });
    expect(byStream.get('run:m1')).toEqual({ events: [['TASK_BEGUN', 'm1.t', 'training', 'RUNNING', 7]] });
    expect(byStream.get('run:m2')).toEqual({
      metrics: [
        ['loss', 2, 0, null, null, expect.any(Number)],
        ['acc', 3, 1, null, null, expect.any(Number)],
      ],
    });
  });

  it('a resend (the careful path) adds no live change; a half-new batch adds one with only its new events', async () => {
    committed.length = 0;
    const head = async () => Number((await sql.query(`SELECT seq FROM live_stream WHERE stream = 'run:lr'`)).rows[0].seq);
    const before = await head();
    expect(await via([{ id: 'a1', type: 'taskBegin', task: 'lr.b0', run: 'lr', transformation: 'batch' }])).toMatchObject({
      duplicates: 1,
    });
    expect(await head()).toBe(before);
    expect(
      await via([
        { id: 'a3', type: 'metric', run: 'lr', task: 'lr.b0', name: 'loss', value: 0.5, step: 0 },
        { id: 'a4', type: 'metric', run: 'lr', name: 'loss', value: 0.4, step: 1 },
      ]),
    ).toMatchObject({ accepted: 1, duplicates: 1 });
    expect(await head()).toBe(before + 1);
    expect(committed).toEqual([[{ stream: 'run:lr', seq: before + 1 }]]);
    const { rows } = await sql.query(`SELECT payload FROM live_change WHERE stream = 'run:lr' AND seq = $1`, [before + 1]);
    expect(rows[0].payload.metrics).toHaveLength(1);
  });

  /** Waits until some statement of this database waits for a lock (the fast statement, blocked). */
  const blocked = async () => {
    for (let i = 0; i < 200; i++) {
      const { rows } = await sql.query(
        `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
      );
      if (rows.length) return;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error('the fast statement never waited');
  };

  it('claims event ids before it writes tasks (the careful path order)', async () => {
    const other = await sql.connect();
    try {
      // Another writer has claimed b1 (uncommitted): the fast statement waits on that claim…
      await other.query('BEGIN');
      await other.query(`INSERT INTO ingested_event (id) VALUES ('b1')`);
      const pending = via([{ id: 'b1', type: 'taskBegin', task: 'lr.order1', run: 'lr', transformation: 'batch', time: 1 }]);
      await blocked();
      // …and has not inserted the task yet, so that writer is not blocked by it (it would deadlock).
      await other.query(`SET LOCAL lock_timeout = '500ms'`);
      const wf = (await other.query(`SELECT id FROM transformation WHERE name = 'batch'`)).rows[0].id;
      await other.query(
        `INSERT INTO task_execution (id, run_id, transformation_id, status) VALUES ('lr.order1', 'lr', $1, 'RUNNING')`,
        [wf],
      );
      await other.query('ROLLBACK');
      expect(await pending).toMatchObject({ accepted: 1, rejected: 0 });
    } finally {
      other.release();
    }
  });

  it('claims event ids before it creates data references and attributes (the careful path order)', async () => {
    const other = await sql.connect();
    try {
      // Another writer (the careful path: claims, then data references) has claimed d1…
      await other.query('BEGIN');
      await other.query(`INSERT INTO ingested_event (id) VALUES ('d1')`);
      const pending = via([
        { id: 'd1', type: 'values', run: 'lr', used: { order_data: { $ref: '/data/order.csv', store: 'fs' } } },
        { id: 'd2', type: 'metric', run: 'lr', name: 'order', value: 1 },
      ]);
      await blocked();
      // …and the batch, waiting on that claim, holds no data reference or attribute yet: the
      // other writer creates both without waiting (a wait here was a deadlock).
      await other.query(`SET LOCAL lock_timeout = '500ms'`);
      await other.query(`INSERT INTO data_reference (uri, store) VALUES ('/data/order.csv', 'fs') ON CONFLICT DO NOTHING`);
      const wf = (await other.query(`SELECT id FROM workflow WHERE name = 'fastlive'`)).rows[0].id;
      await other.query(
        `INSERT INTO attribute (workflow_id, transformation_id, name, role, direction, declared)
         VALUES ($1, NULL, 'order_data', 'DATA_REFERENCE', 'USED', false) ON CONFLICT DO NOTHING`,
        [wf],
      );
      await other.query('COMMIT');
      // d1 was stored by the other writer: a duplicate; d2 lands (the careful path, after the refusal).
      expect(await pending).toMatchObject({ accepted: 1, duplicates: 1, rejected: 0 });
    } finally {
      await other.query('ROLLBACK'); // after a failure: no aborted transaction back in the pool
      other.release();
    }
  });

  it("locks the live stream's counter last, after every row of the batch", async () => {
    const other = await sql.connect();
    try {
      // Another writer holds run:lr's counter: the fast statement waits there, with its rows written…
      await other.query('BEGIN');
      await other.query(`UPDATE live_stream SET seq = seq WHERE stream = 'run:lr'`);
      const pending = via([{ id: 'c1', type: 'taskBegin', task: 'lr.order2', run: 'lr', transformation: 'batch', time: 1 }]);
      await blocked();
      // …so its claim of c1 is taken: claiming c1 here waits (and times out).
      await other.query(`SET LOCAL lock_timeout = '300ms'`);
      await expect(other.query(`INSERT INTO ingested_event (id) VALUES ('c1')`)).rejects.toMatchObject({ code: '55P03' });
      await other.query('ROLLBACK');
      expect(await pending).toMatchObject({ accepted: 1, rejected: 0 });
    } finally {
      other.release();
    }
  });
});
