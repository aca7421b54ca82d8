import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { migrate, MIGRATIONS_DIR } from '../../src/connectors/provenance/migrate';
import { openProvenanceStore, type OpenedStore } from '../../src/connectors/provenance/open-provenance-store';
import { ingestBatch } from '../../src/ingest/ingest-batch';
import { SpecCatalog } from '../../src/ingest/spec-catalog';
import { parseWorkflowSpec, specHash } from '../../src/ingest/workflow-spec';
import { silentLogger } from '../../src/logger';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';

// Migration 007: durations stored at task end, and the VACUUM it asks for after its commit; 018: ids in the parent index.
describe('migration 007 (query speed)', () => {
  let db: TestDatabase;
  let opened: OpenedStore;
  let pool: pg.Pool;
  beforeAll(async () => {
    db = await createTestDatabase();
    opened = await openProvenanceStore({ databaseUrl: db.url, dataDir: '/nonexistent', poolSize: 2, log: silentLogger });
    pool = new pg.Pool({ connectionString: db.url, max: 1 });
  });
  afterAll(async () => {
    await pool?.end();
    await opened?.close();
    await db?.drop();
  });

  it('runs the statement after its commit (VACUUM cannot run in the migration transaction)', async () => {
    const res = await pool.query(`SELECT last_vacuum FROM pg_stat_user_tables WHERE relname = 'task_execution'`);
    expect(res.rows[0].last_vacuum).not.toBeNull();
  });

  it('stores each task duration in exact milliseconds, kept in step by the taskEnd update', async () => {
    const spec = parseWorkflowSpec({ name: 'm7', transformations: [{ name: 'step' }] });
    await opened.store.registerWorkflow(spec, specHash(spec));
    const t0 = Date.parse('2024-01-01T00:00:00Z');
    const r = await ingestBatch(
      [
        { id: 'm7:0', type: 'workflowBegin', run: 'm7', workflow: 'm7', time: t0 },
        { id: 'm7:1', type: 'taskBegin', task: 'm7.a', run: 'm7', transformation: 'step', time: t0 },
        { id: 'm7:2', type: 'taskEnd', task: 'm7.a', time: t0 + 300 },
        { id: 'm7:3', type: 'taskBegin', task: 'm7.b', run: 'm7', transformation: 'step', time: t0 },
      ],
      { store: opened.store, catalog: new SpecCatalog(opened.store), maxBatchEvents: 100 },
    );
    expect(r.rejected).toBe(0);
    const before = await pool.query(`SELECT id, duration_ms FROM task_execution ORDER BY id`);
    expect(before.rows).toEqual([
      { id: 'm7.a', duration_ms: 300 },
      { id: 'm7.b', duration_ms: null },
    ]);
    // The end of m7.b in a later batch: an UPDATE of ended_at (the metric names the run for the batch).
    const end = await ingestBatch(
      [
        { id: 'm7:4', type: 'metric', run: 'm7', name: 'x', value: 1, time: t0 },
        { id: 'm7:5', type: 'taskEnd', task: 'm7.b', time: t0 + 1101 },
      ],
      {
        store: opened.store,
        catalog: new SpecCatalog(opened.store),
        maxBatchEvents: 100,
      },
    );
    expect(end.rejected).toBe(0);
    const after = await pool.query(`SELECT duration_ms FROM task_execution WHERE id = 'm7.b'`);
    expect(after.rows[0].duration_ms).toBe(1101);
  });

  it('018: the children-by-parent index carries the ids, so the Q4 walk steps down from the index alone', async () => {
    const res = await pool.query(`SELECT indexdef FROM pg_indexes WHERE indexname = 'task_execution_parent'`);
    expect(res.rows[0].indexdef).toMatch(/\(parent_id, transformation_id\) INCLUDE \(id, started_at, duration_ms\)/);
    // The walk's step down (epochs of a training) as the planner runs it: no heap.
    const c = await pool.connect();
    try {
      await c.query('BEGIN');
      await c.query('SET LOCAL enable_seqscan = off');
      await c.query('SET LOCAL enable_bitmapscan = off');
      const plan = await c.query(
        `EXPLAIN SELECT id, started_at, duration_ms FROM task_execution WHERE parent_id = 'x' AND transformation_id = 1`,
      );
      expect(plan.rows.map((r) => r['QUERY PLAN']).join('\n')).toMatch(/Index Only Scan using task_execution_parent/);
    } finally {
      await c.query('ROLLBACK');
      c.release();
    }
  });

  it('runs a migration and its after-commit statement past the pool statement timeout', async () => {
    // 007 rewrites task_execution: minutes on a large store, where the pool allows 60 s a call.
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'provml-migrations-'));
    // The real migrations beside the slow one: a store holding migrations a directory lacks is
    // refused as the store of a newer provml (store-version-safety.test.ts).
    for (const f of await fs.readdir(MIGRATIONS_DIR)) await fs.copyFile(path.join(MIGRATIONS_DIR, f), path.join(dir, f));
    await fs.writeFile(path.join(dir, '900_slow.sql'), 'SELECT pg_sleep(0.3);\n-- after commit: SELECT pg_sleep(0.3)\n');
    const slowPool = new pg.Pool({ connectionString: db.url, max: 1, statement_timeout: 100 });
    try {
      expect(await migrate(slowPool, silentLogger, dir)).toEqual(['900_slow.sql']);
      // The session's own timeout is back afterwards.
      await expect(slowPool.query('SELECT pg_sleep(0.3)')).rejects.toThrow(/statement timeout/);
    } finally {
      await slowPool.end();
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
