import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { openProvenanceStore, type OpenedStore } from '../../src/connectors/provenance/open-provenance-store';
import type { LiveChangeRow } from '../../src/connectors/provenance/pg-live-log';
import { CursorExpiredError } from '../../src/errors';
import { ingestBatch } from '../../src/ingest/ingest-batch';
import { runStream } from '../../src/ingest/live-changes';
import { SpecCatalog } from '../../src/ingest/spec-catalog';
import { parseWorkflowSpec, specHash } from '../../src/ingest/workflow-spec';
import type { LiveBus } from '../../src/live/live-bus';
import { LiveFeed } from '../../src/live/live-feed';
import { LiveHub } from '../../src/live/live-hub';
import { startLivePruner } from '../../src/live/live-pruner';
import { silentLogger } from '../../src/logger';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';

/**
 * Live-log retention (PROVML_LIVE_RETENTION) against a real PostgreSQL: pruning deletes a prefix
 * of each stream (never a hole, whatever the commit times say), one replica at a time, and a
 * cursor older than what is kept is refused with CURSOR_EXPIRED instead of resuming with a gap.
 */

/** A bus that carries nothing: these tests read the log through the hub's own reads. */
const quietBus: LiveBus = {
  kind: 'postgres',
  start: async () => undefined,
  publish: async () => undefined,
  close: async () => undefined,
};

describe('live log retention', () => {
  let db: TestDatabase;
  let dataDir: string;
  let opened: OpenedStore;
  let sql: pg.Client;
  let ingest: (events: unknown[]) => Promise<unknown>;
  const run = 'retained';
  const stream = runStream(run);

  const seqs = async () =>
    (await sql.query<{ seq: string }>('SELECT seq FROM live_change WHERE stream = $1 ORDER BY seq', [stream])).rows.map((r) =>
      Number(r.seq),
    );
  const age = (seq: number, interval: string) =>
    sql.query(`UPDATE live_change SET committed_at = now() - $3::interval WHERE stream = $1 AND seq = $2`, [
      stream,
      seq,
      interval,
    ]);

  beforeAll(async () => {
    db = await createTestDatabase('provml_live_retention');
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'provml-live-retention-'));
    opened = await openProvenanceStore({ databaseUrl: db.url, dataDir, poolSize: 4, log: silentLogger });
    const spec = parseWorkflowSpec({
      name: 'ret',
      kind: 'LEARNING',
      transformations: [{ name: 'train', kind: 'LEARNING_STAGE' }],
    });
    await opened.store.registerWorkflow(spec, specHash(spec));
    const catalog = new SpecCatalog(opened.store);
    ingest = (events: unknown[]) => ingestBatch(events, { store: opened.store, catalog, maxBatchEvents: 5000 });
    await ingest([{ id: `${run}-b`, type: 'workflowBegin', run, workflow: 'ret' }]);
    for (let b = 0; b < 5; b++) await ingest([{ id: `${run}-${b}`, type: 'metric', run, name: 'loss', value: b, step: b }]);
    sql = new pg.Client({ connectionString: db.url });
    await sql.connect();
  });
  afterAll(async () => {
    await sql?.end();
    await opened?.close();
    await db?.drop();
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  it('prunes a prefix of each stream, never a hole, and one replica at a time', async () => {
    expect(await seqs()).toEqual([1, 2, 3, 4, 5, 6]);
    // committed_at is the transaction's start: a later seq may carry an earlier time. Seq 3 is
    // old, seq 2 looks recent: deleting by time alone would leave 2 without 1 and 3.
    await age(1, '2 hours');
    await age(3, '2 hours');
    await age(4, '1 minute');

    // Another replica pruning (holding the lock): this one skips the tick.
    const other = new pg.Client({ connectionString: db.url });
    await other.connect();
    await other.query('BEGIN');
    await other.query('SELECT pg_advisory_xact_lock($1)', [0x70726f76]);
    expect(await opened.store.pruneLiveChanges(3_600_000, 100)).toBeNull();
    expect(await seqs()).toEqual([1, 2, 3, 4, 5, 6]);
    await other.query('COMMIT');
    await other.end();

    expect(await opened.store.pruneLiveChanges(3_600_000, 100)).toBe(3);
    expect(await seqs()).toEqual([4, 5, 6]);
    expect(await opened.store.liveBounds(stream)).toEqual({ head: 6, oldest: 4 });
  });

  it('refuses a cursor older than the log keeps with CURSOR_EXPIRED, and resumes one it keeps', async () => {
    const hub = new LiveHub(opened.store, quietBus, silentLogger, 2);
    await hub.start();
    const feed = () =>
      new LiveFeed<LiveChangeRow>({ maxPending: 1000, batchMs: 0, toMessages: (r) => r, onOverflow: () => undefined });

    const tooOld = feed();
    const refused = hub.join(stream, 1, tooOld);
    await expect(refused).rejects.toBeInstanceOf(CursorExpiredError);
    await expect(refused).rejects.toMatchObject({ extensions: { code: 'CURSOR_EXPIRED', field: 'after', earliest: '3' } });

    // The earliest cursor the error names resumes: everything the log still holds, in order.
    const resumed = feed();
    resumed.attach(await hub.join(stream, 3, resumed));
    const got: number[] = [];
    for await (const r of resumed) {
      got.push(r.seq);
      if (got.length === 3) break;
    }
    expect(got).toEqual([4, 5, 6]);
    // Without a cursor (from now) and at the head: nothing is missing, so nothing is refused.
    const now = feed();
    now.attach(await hub.join(stream, null, now));
    const atHead = feed();
    atHead.attach(await hub.join(stream, 6, atHead));
    await now.return();
    await atHead.return();
    await hub.close();
  });

  it('ends a replay that pruning overtook with CURSOR_EXPIRED, after what it did send in order', async () => {
    for (let b = 5; b < 9; b++) await ingest([{ id: `${run}-${b}`, type: 'metric', run, name: 'loss', value: b, step: b }]);
    expect((await seqs()).slice(-4)).toEqual([7, 8, 9, 10]);
    const hub = new LiveHub(opened.store, quietBus, silentLogger, 2);
    await hub.start();
    // Room for one page: the replay waits after its first page until the subscriber reads.
    const slow = new LiveFeed<LiveChangeRow>({ maxPending: 2, batchMs: 0, toMessages: (r) => r, onOverflow: () => undefined });
    slow.attach(await hub.join(stream, 4, slow));
    // The first page (5, 6) is read and the replay parks; then 7 and 8 go from under it.
    await new Promise((r) => setTimeout(r, 500));
    await sql.query('DELETE FROM live_change WHERE stream = $1 AND seq <= 8', [stream]);
    const got: number[] = [];
    const ended = (async () => {
      for (;;) {
        const r = await slow.next();
        if (r.done) return 'done';
        got.push(r.value.seq);
      }
    })();
    await expect(ended).rejects.toMatchObject({ extensions: { code: 'CURSOR_EXPIRED' } });
    // What it got before the error: the first page, in order; never 9 after a hole.
    expect(got.length).toBeGreaterThanOrEqual(1);
    expect(got).toEqual([5, 6].slice(0, got.length));
    await hub.close();
  });

  it('runs as a background worker: due changes go at the next tick, newer ones stay', async () => {
    await age(9, '2 hours');
    const pruner = startLivePruner(
      { store: opened.store, log: silentLogger },
      { retentionMs: 3_600_000, intervalMs: 100, chunk: 1 },
    );
    const deadline = Date.now() + 10_000;
    while ((await seqs())[0] !== 10 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await pruner.stop();
    expect(await seqs()).toEqual([10]);
    expect(pruner.lastPollError()).toBeNull();
  });
});
