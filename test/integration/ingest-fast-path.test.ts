import pg from 'pg';
import { openProvenanceStore, type OpenedStore } from '../../src/connectors/provenance/open-provenance-store';
import { ingestBatch } from '../../src/ingest/ingest-batch';
import { SpecCatalog } from '../../src/ingest/spec-catalog';
import { parseWorkflowSpec, specHash } from '../../src/ingest/workflow-spec';
import { createLogger } from '../../src/logger';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';

/**
 * The write path's fast statement (an all-new batch as plain INSERTs) and its fallback to the
 * careful path, with two processes' caches (two SpecCatalogs) writing one store.
 */
const spec = parseWorkflowSpec({
  name: 'fast',
  kind: 'LEARNING',
  transformations: [
    { name: 'training', kind: 'LEARNING_STAGE' },
    { name: 'batch', kind: 'LEARNING_STAGE', parent: 'training' },
  ],
});

describe('ingest fast path and its fallback (PostgreSQL)', () => {
  let db: TestDatabase;
  let opened: OpenedStore;
  let sql: pg.Pool;
  let a: SpecCatalog;
  let b: SpecCatalog;
  const via = (catalog: SpecCatalog, events: unknown[]) =>
    ingestBatch(events, { store: opened.store, catalog, maxBatchEvents: 1000 });
  const count = async (table: string, where = 'true', params: unknown[] = []) =>
    Number((await sql.query<{ n: string }>(`SELECT count(*) AS n FROM ${table} WHERE ${where}`, params)).rows[0].n);

  beforeAll(async () => {
    db = await createTestDatabase();
    opened = await openProvenanceStore({ databaseUrl: db.url, dataDir: '/tmp', poolSize: 4, log: createLogger('warn') });
    await opened.store.registerWorkflow(spec, specHash(spec));
    sql = new pg.Pool({ connectionString: db.url, max: 1 });
    a = new SpecCatalog(opened.store);
    b = new SpecCatalog(opened.store);
  });
  afterAll(async () => {
    await sql?.end();
    await opened?.close();
    await db?.drop();
  });

  it('writes an all-new batch, and a resend of it changes nothing', async () => {
    const batch = [
      { id: 'f1', type: 'workflowBegin', run: 'fr', workflow: 'fast' },
      { id: 'f2', type: 'taskBegin', task: 'fr.t', run: 'fr', transformation: 'training', time: 1000 },
      { id: 'f3', type: 'taskBegin', task: 'fr.b0', run: 'fr', parent: 'fr.t', transformation: 'batch', time: 1000 },
      { id: 'f4', type: 'taskEnd', task: 'fr.b0', time: 1200 },
      { id: 'f5', type: 'metric', run: 'fr', task: 'fr.b0', name: 'loss', value: 0.5, step: 0 },
    ];
    expect(await via(a, batch)).toMatchObject({ accepted: 5, duplicates: 0, rejected: 0 });
    expect(await via(a, batch)).toMatchObject({ accepted: 0, duplicates: 5, rejected: 0 });
    // Half old, half new: the old ones are duplicates, the new ones land once.
    const more = [...batch.slice(3), { id: 'f6', type: 'metric', run: 'fr', name: 'loss', value: 0.4, step: 1 }];
    expect(await via(b, more)).toMatchObject({ accepted: 1, duplicates: 2, rejected: 0 });
    expect(await count('metric_point', 'run_id = $1', ['fr'])).toBe(2);
    expect(await count('task_execution', 'run_id = $1', ['fr'])).toBe(2);
    const row = (await sql.query(`SELECT status, duration_ms FROM task_execution WHERE id = 'fr.b0'`)).rows[0];
    expect(row).toEqual({ status: 'FINISHED', duration_ms: 200 });
  });

  it('ends in one process a task another process began (its cache misses, the store answers)', async () => {
    expect(
      await via(a, [
        { id: 'g1', type: 'taskBegin', task: 'fr.b1', run: 'fr', parent: 'fr.t', transformation: 'batch', time: 2000 },
      ]),
    ).toMatchObject({ accepted: 1 });
    expect(b.executions.task('fr.b1')).toBeUndefined();
    expect(await via(b, [{ id: 'g2', type: 'taskEnd', task: 'fr.b1', time: 2300, status: 'FAILED' }])).toMatchObject({
      accepted: 1,
      rejected: 0,
    });
    expect(b.executions.task('fr.b1')).toMatchObject({ runId: 'fr' });
    const row = (await sql.query(`SELECT status, duration_ms FROM task_execution WHERE id = 'fr.b1'`)).rows[0];
    expect(row).toEqual({ status: 'FAILED', duration_ms: 300 });
  });

  it('a task begun again under a new event id keeps its first begin (the careful path)', async () => {
    const again = [
      {
        id: 'h1',
        type: 'taskBegin',
        task: 'fr.b0',
        run: 'fr',
        parent: 'fr.t',
        transformation: 'batch',
        time: 9000,
        host: 'other',
      },
      { id: 'h2', type: 'metric', run: 'fr', name: 'acc', value: 1 },
    ];
    expect(await via(b, again)).toMatchObject({ accepted: 2, duplicates: 0, rejected: 0 });
    const row = (await sql.query(`SELECT status, host, started_at FROM task_execution WHERE id = 'fr.b0'`)).rows[0];
    expect(row).toEqual({ status: 'FINISHED', host: null, started_at: new Date(1000) });
    expect(await count('ingested_event', `id IN ('h1', 'h2')`)).toBe(2);
    expect(await count('metric_point', `name = 'acc'`)).toBe(1);
  });

  it('starts a GENERATED task when a later batch begins it (the careful path merges)', async () => {
    await via(a, [{ id: 'k1', type: 'taskBegin', task: 'fr.gen', run: 'fr', transformation: 'batch', status: 'GENERATED' }]);
    expect(
      await via(a, [
        { id: 'k2', type: 'taskBegin', task: 'fr.gen', run: 'fr', transformation: 'batch', time: 5000 },
        { id: 'k3', type: 'taskEnd', task: 'fr.gen', time: 5100 },
      ]),
    ).toMatchObject({ accepted: 2, rejected: 0 });
    const row = (await sql.query(`SELECT status, duration_ms FROM task_execution WHERE id = 'fr.gen'`)).rows[0];
    expect(row).toEqual({ status: 'FINISHED', duration_ms: 100 });
  });

  it('two concurrent resends of one batch land once', async () => {
    const batch = Array.from({ length: 200 }, (_, i) => ({ id: `c${i}`, type: 'metric', run: 'fr', name: 'conc', value: i }));
    const [x, y] = await Promise.all([via(a, batch), via(b, batch)]);
    expect(x.accepted + y.accepted).toBe(200);
    expect(x.duplicates + y.duplicates).toBe(200);
    expect(await count('metric_point', `name = 'conc'`)).toBe(200);
  });

  it('stores task times exactly over the whole date range (epoch milliseconds sent to SQL)', async () => {
    const times: Array<number | string> = [
      0,
      1,
      86_399_999,
      86_400_000,
      1704067200200.7,
      8.64e15,
      '1900-01-01T00:00:00.123Z',
      '0001-01-01T00:00:00.001Z',
    ];
    const events = times.map((t, i) => ({
      id: `tm${i}`,
      type: 'taskBegin',
      task: `fr.tm${i}`,
      run: 'fr',
      transformation: 'batch',
      time: t,
    }));
    expect(await via(a, events)).toMatchObject({ accepted: times.length, rejected: 0 });
    const { rows } = await sql.query<{ id: string; ms: string }>(
      `SELECT id, (extract(epoch FROM started_at) * 1000)::numeric::text AS ms FROM task_execution WHERE id LIKE 'fr.tm%'`,
    );
    const got = new Map(rows.map((r) => [r.id, Number(r.ms)]));
    times.forEach((t, i) => expect({ i, ms: got.get(`fr.tm${i}`) }).toEqual({ i, ms: new Date(t).getTime() }));
  });

  // What an array literal treats specially (braces, commas, NULL, spaces; quotes, backslashes and
  // control characters), and what it does not (non-ASCII, astral characters). The first batch's
  // columns go as literals written by JSON.stringify (pgArray), the second's, which need
  // escapes, as arrays that `pg` escapes.
  it.each([
    ['literal', ['plain', '{br,ace}', 'NULL', 'null', ' spaced ', 'é 漢 😀', '']],
    ['escaped', ['q"uote', 'back\\slash', 'new\nline\ttab', '\\"', '{"a": 1}', 'NULL']],
  ])('keeps awkward strings and numbers as written through the fast statement (%s columns)', async (kind, names) => {
    const task = (i: number, n: string) => `fr.${kind}${i}:${n}`;
    const value = (i: number) => (i === 0 ? 1e-300 : -i / 3);
    const step = (i: number) => (i === 1 ? 2 ** 53 - 1 : i);
    const events = names.flatMap((n, i) => [
      {
        id: `${kind}${i}:${n}`,
        type: 'taskBegin',
        task: task(i, n),
        run: 'fr',
        parent: 'fr.t',
        transformation: 'batch',
        host: n || undefined,
        time: 5000 + i,
      },
      {
        id: `${kind}${i}:${n}:m`,
        type: 'metric',
        run: 'fr',
        task: task(i, n),
        name: n || 'empty',
        value: value(i),
        step: step(i),
        context: n || undefined,
      },
    ]);
    expect(await via(a, events)).toMatchObject({ accepted: events.length, rejected: 0 });
    const tasks = await sql.query<{ id: string; host: string | null; parent_id: string; started: string }>(
      `SELECT id, host, parent_id, (extract(epoch FROM started_at) * 1000)::bigint::text AS started FROM task_execution WHERE id LIKE $1`,
      [`fr.${kind}%`],
    );
    expect(new Map(tasks.rows.map((r) => [r.id, [r.host, r.parent_id, Number(r.started)]]))).toEqual(
      new Map(names.map((n, i) => [task(i, n), [n || null, 'fr.t', 5000 + i]])),
    );
    const metrics = await sql.query<{ task_id: string; name: string; value: number; step: string; context: string | null }>(
      `SELECT task_id, name, value, step::text, context FROM metric_point WHERE task_id LIKE $1`,
      [`fr.${kind}%`],
    );
    expect(new Map(metrics.rows.map((r) => [r.task_id, [r.name, r.value, r.step, r.context]]))).toEqual(
      new Map(names.map((n, i) => [task(i, n), [n || 'empty', value(i), String(step(i)), n || null]])),
    );
    expect(await count('ingested_event', 'id LIKE $1', [`${kind}%`])).toBe(events.length);
  });
});
