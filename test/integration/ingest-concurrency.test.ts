import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { loadConfig } from '../../src/config';
import { silentLogger } from '../../src/logger';
import { startServer, type RunningServer } from '../../src/server';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';

const INGEST = `mutation($e: [JSON!]!) { ingest(events: $e) { accepted duplicates rejected issues { field message } } }`;
const REGISTER = `mutation($s: WorkflowSpecInput!) { registerWorkflow(spec: $s) { version } }`;

type Event = Record<string, unknown>;
interface Answer {
  data?: { ingest: { accepted: number; duplicates: number; rejected: number } };
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
}

const PER_BATCH = 300;
const REFS = 400;

/**
 * One event, fixed by its id (so the same id sent twice is a true resend). Events of one wave of
 * batches name the same new data references, undeclared attributes and relations: batches that
 * run together meet the same fresh keys, half of them in the opposite order.
 */
function eventOf(wave: number, n: number, i: number): Event {
  const id = `w${wave}-b${n}-e${i}`;
  const ref = (k: number) => ({ $ref: `/data/w${wave}/f${k % REFS}.h5`, store: 'fs' });
  switch (i % 3) {
    case 0: {
      const generated: Record<string, unknown> = { [`param_w${wave}_${i % 19}`]: i };
      for (let k = 0; k < 4; k++) generated[`attr_w${wave}_${(i + k * 7) % 23}`] = ref(i * 4 + k);
      return { id, type: 'values', run: 'conc-run', generated };
    }
    case 1:
      return {
        id,
        type: 'relation',
        relation: 'WAS_DERIVED_FROM',
        subject: `/data/w${wave}/f${i % REFS}.h5`,
        object: `/data/w${wave}/f${(i * 7 + 3) % REFS}.h5`,
        subjectStore: 'fs',
        objectStore: 'fs',
      };
    default:
      return { id, type: 'metric', run: 'conc-run', name: `loss-${id}`, value: i, step: i };
  }
}

/** 100 batches in waves of 8 (one per client); each also carries a few events of its neighbours in the wave. */
function makeBatches(): Event[][] {
  return Array.from({ length: 100 }, (_, n) => {
    const wave = Math.floor(n / 8);
    const own = Array.from({ length: PER_BATCH }, (_, i) => eventOf(wave, n, i));
    const neighbours = [n - 1, n + 1].filter((m) => Math.floor(m / 8) === wave && m < 100);
    const neighbour = neighbours.flatMap((m) => Array.from({ length: 5 }, (_, i) => eventOf(wave, m, i * 50)));
    const batch = [...own, ...neighbour];
    return n % 2 ? batch.reverse() : batch;
  });
}

describe('concurrent ingest of overlapping batches (PostgreSQL, over HTTP)', () => {
  let db: TestDatabase;
  let dataDir: string;
  let server: RunningServer;
  const post = async (query: string, variables: Record<string, unknown>): Promise<Answer> => {
    const res = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query, variables }),
    });
    return (await res.json()) as Answer;
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'provml-conc-'));
    const config = loadConfig({
      PROVML_DATABASE_URL: db.url,
      PROVML_DATA_DIR: dataDir,
      PROVML_DEMO: '0',
      PORT: '0',
      PROVML_DB_POOL_SIZE: '8',
    });
    server = await startServer(config, silentLogger);
    const reg = await post(REGISTER, { s: { name: 'conc', transformations: [{ name: 'step' }] } });
    expect(reg.errors).toBeUndefined();
    const begin = await post(INGEST, { e: [{ id: 'conc-begin', type: 'workflowBegin', run: 'conc-run', workflow: 'conc' }] });
    expect(begin.data!.ingest.accepted).toBe(1);
  });
  afterAll(async () => {
    await server?.stop();
    await db?.drop();
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  it('100 batches from 8 clients, rows in opposite orders: no error reaches a client and every event is stored once', async () => {
    const batches = makeBatches();
    const sent = new Set(batches.flat().map((e) => e.id as string));
    const errors: string[] = [];
    let accepted = 0;
    let duplicates = 0;
    // The 8 clients send a wave's batches together, so batches that share fresh keys meet.
    for (let w = 0; w * 8 < batches.length; w++) {
      await Promise.all(
        batches.slice(w * 8, w * 8 + 8).map(async (batch) => {
          const answer = await post(INGEST, { e: batch });
          if (answer.errors) errors.push(...answer.errors.map((e) => `${e.extensions?.code}: ${e.message}`));
          else {
            expect(answer.data!.ingest.rejected).toBe(0);
            accepted += answer.data!.ingest.accepted;
            duplicates += answer.data!.ingest.duplicates;
          }
        }),
      );
    }
    expect(errors).toEqual([]);
    expect(accepted).toBe(sent.size);
    expect(accepted + duplicates).toBe(batches.flat().length);

    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    try {
      const count = async (sql: string) => Number((await c.query<{ n: string }>(sql)).rows[0].n);
      expect(await count(`SELECT count(*) AS n FROM ingested_event WHERE id LIKE 'w%'`)).toBe(sent.size);
      const sentEvents = [...new Map(batches.flat().map((e) => [e.id as string, e])).values()];
      const values = sentEvents.filter((e) => e.type === 'values').length * 5;
      const metrics = sentEvents.filter((e) => e.type === 'metric').length;
      expect(await count(`SELECT count(*) AS n FROM attribute_value`)).toBe(values);
      expect(await count(`SELECT count(*) AS n FROM metric_point`)).toBe(metrics);
      // One metric row per metric event (each has its own name): none written twice.
      expect(await count(`SELECT count(DISTINCT name) AS n FROM metric_point`)).toBe(metrics);
      expect(await count(`SELECT count(*) AS n FROM data_reference`)).toBe(13 * REFS);
    } finally {
      await c.end();
    }
  });
});
