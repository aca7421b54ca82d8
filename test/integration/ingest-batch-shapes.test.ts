import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { loadConfig } from '../../src/config';
import { openProvenanceStore } from '../../src/connectors/provenance/open-provenance-store';
import { demoEvents } from '../../src/demo/demo-events';
import { DEMO_SPECS } from '../../src/demo/demo-specs';
import { parseWorkflowSpec, specHash } from '../../src/ingest/workflow-spec';
import { silentLogger } from '../../src/logger';
import { startServer, type RunningServer } from '../../src/server';
import { shapeOf, type Send, type ShapeEvent } from '../helpers/batch-shapes';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { REDIS_URL } from '../helpers/redis';
import { dumpStore, type StoreDump } from '../helpers/store-dump';

/**
 * The store ends the same whatever the batch shape (docs/ingest.md, "Batch shape does not
 * matter"): the events of a real run (the Python capture client, offline, two processes of one
 * run) and of the demo lifecycle, sent in one batch into a fresh database, are the reference;
 * each seed cuts the same events into batches of its own, reorders them, resends some, sends
 * them from two clients to two replicas at once, lets the parked events land, and must leave a
 * store whose canonical dump (test/helpers/store-dump.ts) is the reference's.
 *
 * A failure names its seed: `SHAPE_SEEDS=1234 npx jest test/integration/ingest-batch-shapes`
 * replays just that one (any variant).
 */
const SEEDS = [11, 23, 37, 41, 53, 67, 71, 89, 97, 101, 113, 127, 131, 149, 151, 163, 173, 181, 191, 199];
const ONLY = process.env.SHAPE_SEEDS?.split(',').map(Number);

const PYTHON = '/usr/bin/python3';
const CLIENT_PY = path.join(__dirname, '../../clients/python');
const CAPTURE = path.join(__dirname, '../fixtures/batch-shapes/capture_run.py');
const RUN = 'shape-run';
const SPEC = {
  name: 'shapes',
  kind: 'LEARNING',
  transformations: [
    { name: 'training', kind: 'LEARNING_STAGE', stageType: 'TRAINING' },
    { name: 'epoch', kind: 'LEARNING_STAGE', parent: 'training' },
    { name: 'batch', kind: 'LEARNING_STAGE', parent: 'epoch' },
    { name: 'evaluate', kind: 'LEARNING_STAGE', stageType: 'TEST' },
  ],
};
/** Stored before every batch of the careful variant, and resent in each: no batch is all new. */
const SENTINEL: ShapeEvent = { id: 'shapes:sentinel', type: 'agent', agent: 'shapes-sentinel', kind: 'SOFTWARE' };

interface Variant {
  name: string;
  /** Live changes over Redis (else PostgreSQL LISTEN/NOTIFY). */
  redis: boolean;
  /** Every batch carries a stored event id: the fast statement is refused, the careful path writes. */
  careful: boolean;
}
// The 20 seeds shared out (one server pair per seed costs ~2 s here): 12 on the default path,
// 4 on the careful path only, 4 with the live bus on PostgreSQL LISTEN/NOTIFY instead of Redis.
const VARIANTS: Array<{ variant: Variant; seeds: number[] }> = [
  { variant: { name: 'fast path where a batch allows, Redis live bus', redis: true, careful: false }, seeds: SEEDS.slice(0, 12) },
  { variant: { name: 'careful path only, Redis live bus', redis: true, careful: true }, seeds: SEEDS.slice(12, 16) },
  { variant: { name: 'fast path, Redis live bus off', redis: false, careful: false }, seeds: SEEDS.slice(16) },
];

const INGEST = `mutation($e: [JSON!]!) {
  ingest(events: $e) { accepted duplicates rejected parked issues { index eventId field code message } }
}`;
interface IngestAnswer {
  data?: { ingest: { accepted: number; duplicates: number; rejected: number; parked: number; issues: unknown[] } };
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
}

const exec = promisify(execFile);

/**
 * The demo's events without its extraction request: the extraction worker writes a run of its
 * own when it gets to the job, at a time no batch decides (the Python run asks for one in a store
 * no worker reads, so the request is still compared).
 */
function withoutExtraction(events: ShapeEvent[]): ShapeEvent[] {
  return JSON.parse(JSON.stringify(events), (key, value: unknown) => (key === 'extract' ? undefined : value)) as ShapeEvent[];
}

/** The spool lines of one process of the run: its specs and its events, in the client's order. */
async function captureRank(rank: number, dir: string): Promise<{ specs: unknown[]; events: ShapeEvent[] }> {
  const spool = path.join(dir, `rank${rank}.jsonl`);
  await exec(PYTHON, [CAPTURE, String(rank), spool, RUN, JSON.stringify(SPEC)], {
    env: { ...process.env, PYTHONPATH: CLIENT_PY },
  });
  const lines = (await fs.readFile(spool, 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  return {
    specs: lines.filter((l) => '$spec' in l).map((l) => l.$spec),
    events: lines.filter((l) => typeof l.id === 'string') as ShapeEvent[],
  };
}

describe('ingest: the store ends the same whatever the batch shape (PostgreSQL, over HTTP)', () => {
  let template: TestDatabase;
  let dataDir: string;
  let events: ShapeEvent[];
  let reference: StoreDump;

  const start = (db: TestDatabase, variant: Variant): Promise<RunningServer> =>
    startServer(
      loadConfig({
        PROVML_DATABASE_URL: db.url,
        PROVML_DATA_DIR: dataDir,
        PROVML_DEMO: '0',
        PORT: '0',
        PROVML_DB_POOL_SIZE: '4',
        // What a nudge misses lands at the next look; a short one keeps the test short.
        PROVML_PARKED_INTERVAL_MS: '200',
        ...(variant.redis ? { PROVML_REDIS_URL: REDIS_URL } : {}),
      }),
      silentLogger,
    );

  const post = async (url: string, batch: ShapeEvent[]): Promise<IngestAnswer> => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: INGEST, variables: { e: batch } }),
    });
    return (await res.json()) as IngestAnswer;
  };

  /** Until no event waits (the release workers run on their own): what is still parked after 20 s fails the test. */
  const settled = async (db: TestDatabase) => {
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    try {
      for (let i = 0; i < 400; i++) {
        const n = (await c.query<{ n: number }>(`SELECT count(*)::int AS n FROM parked_event WHERE status = 'PARKED'`)).rows[0].n;
        if (n === 0) return;
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      await c.end();
    }
  };

  /**
   * A fresh copy of the template, two replicas on it, the sends of each lane in order (the two
   * lanes at once), the parked events settled, the servers stopped, the store dumped.
   */
  async function storeAfter(sends: Send[], variant: Variant): Promise<{ dump: StoreDump; problems: string[] }> {
    const db = await createTestDatabase('provml_shapes', template);
    const servers: RunningServer[] = [];
    const problems: string[] = [];
    try {
      servers.push(await start(db, variant), await start(db, variant));
      if (variant.careful) await post(servers[0].url, [SENTINEL]);
      await Promise.all(
        ([0, 1] as const).map(async (lane) => {
          for (const send of sends.filter((s) => s.lane === lane)) {
            const batch = variant.careful ? [SENTINEL, ...send.events] : send.events;
            const answer = await post(servers[lane].url, batch);
            const r = answer.data?.ingest;
            if (!r) problems.push(`errors: ${JSON.stringify(answer.errors)}`);
            else if (r.rejected) problems.push(`rejected ${r.rejected}: ${JSON.stringify(r.issues.slice(0, 2))}`);
            // The sentinel is a duplicate of every batch: the fast statement cannot have taken it.
            else if (variant.careful && r.duplicates < 1) problems.push('a careful batch found its sentinel new');
          }
        }),
      );
      await settled(db);
    } finally {
      for (const s of servers) await s.stop();
    }
    try {
      return { dump: await dumpStore(db.url), problems };
    } finally {
      await db.drop();
    }
  }

  beforeAll(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'provml-shapes-'));
    const ranks = [await captureRank(0, dataDir), await captureRank(1, dataDir)];
    // The demo's training runs with one epoch each: a few hundred events in all.
    events = [SENTINEL, ...withoutExtraction(demoEvents(1) as ShapeEvent[]), ...ranks.flatMap((r) => r.events)];
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);

    template = await createTestDatabase('provml_shapes_tpl');
    const opened = await openProvenanceStore({ databaseUrl: template.url, dataDir, poolSize: 2, log: silentLogger });
    try {
      const specs = [...DEMO_SPECS, ...ranks.flatMap((r) => r.specs).map((s) => parseWorkflowSpec(s))];
      for (const spec of specs) await opened.store.registerWorkflow(spec, specHash(spec));
    } finally {
      await opened.close();
    }
    // The reference: everything in one batch, in the clients' order, on one replica.
    const ref = await storeAfter([{ lane: 0, events, resend: false }], VARIANTS[0].variant);
    expect(ref.problems).toEqual([]);
    reference = ref.dump;
    // A reference that stored little would make every comparison easy.
    expect(reference.task_execution.length).toBeGreaterThan(60);
    expect(reference.metric_point.length).toBeGreaterThan(30);
    expect(reference.parked_event).toEqual([]);
    expect(reference.extraction_job).toEqual([{ uri: '/archive/raw.sgy', store: 'tape', options: {} }]);
  }, 60_000);

  afterAll(async () => {
    await template?.drop();
    if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
  });

  for (const { variant, seeds } of VARIANTS) {
    describe(variant.name, () => {
      for (const seed of ONLY ?? seeds) {
        it(`seed ${seed}`, async () => {
          const shape = shapeOf(events, seed);
          const { dump, problems } = await storeAfter(shape.sends, variant);
          // The seed's shape in the message: a failure says what was sent.
          expect({ shape: shape.summary, problems }).toEqual({ shape: shape.summary, problems: [] });
          for (const table of Object.keys(reference)) {
            expect({ shape: shape.summary, table, rows: dump[table] }).toEqual({
              shape: shape.summary,
              table,
              rows: reference[table],
            });
          }
        });
      }
    });
  }
});
