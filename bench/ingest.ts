/**
 * Ingest throughput: events/s through the GraphQL `ingest` mutation over HTTP, and, in the same
 * run, interleaved, the raw multi-row INSERT rate of the same rows straight into PostgreSQL.
 *
 *   npm run build && npx tsx bench/ingest.ts [--events 200000] [--batch 2000] [--clients 2] [--rounds 5]
 *
 * Uses the machine's PostgreSQL server (PROVML_BENCH_DATABASE_URL, default
 * postgresql://postgres@127.0.0.1:5432/postgres), one fresh database per side, dropped at the end.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { loadConfig } from '../dist/config';
import { createLogger } from '../dist/logger';
import { startServer } from '../dist/server';
import { openProvenanceStore } from '../dist/connectors/provenance/open-provenance-store';
import { parseWorkflowSpec, specHash } from '../dist/ingest/workflow-spec';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const EVENTS = arg('events', 200_000);
const BATCH = arg('batch', 2000);
const CLIENTS = arg('clients', 2);
const ROUNDS = arg('rounds', 5);
const ADMIN = process.env.PROVML_BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

const SPEC = parseWorkflowSpec({
  name: 'bench',
  kind: 'LEARNING',
  transformations: [
    {
      name: 'training',
      kind: 'LEARNING_STAGE',
      used: [
        { name: 'lr', role: 'LEARNING_HYPERPARAMETER' },
        { name: 'batch_size', role: 'LEARNING_HYPERPARAMETER' },
      ],
    },
    { name: 'batch', kind: 'LEARNING_STAGE', parent: 'training' },
  ],
});

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function createDb(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `provml_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(ADMIN);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: ADMIN });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** A training's batch events: begin + end of each batch task, one metric per 10 batches. */
function makeEvents(round: number, n: number): Array<Record<string, unknown>> {
  const run = `bench-r${round}`;
  const ev: Array<Record<string, unknown>> = [
    { id: `${run}:wb`, type: 'workflowBegin', run, workflow: 'bench' },
    {
      id: `${run}:tb`,
      type: 'taskBegin',
      task: `${run}.train`,
      run,
      transformation: 'training',
      used: { lr: 0.01, batch_size: 60 },
    },
  ];
  let t = Date.parse('2024-01-01T00:00:00Z');
  for (let i = 0; ev.length < n; i++) {
    const task = `${run}.b${i}`;
    ev.push({ id: `${task}:b`, type: 'taskBegin', task, run, parent: `${run}.train`, transformation: 'batch', time: t });
    t += 200;
    ev.push({ id: `${task}:e`, type: 'taskEnd', task, time: t });
    if (i % 10 === 0) ev.push({ id: `${task}:m`, type: 'metric', run, task, name: 'loss', value: 1 / (i + 1), step: i });
  }
  return ev.slice(0, n);
}

/** Each client sends its own run's batches in order, as a capture client does. */
async function viaGraphQL(url: string, perClient: Array<Array<Record<string, unknown>>>): Promise<number> {
  const query = 'mutation($e: [JSON!]!) { ingest(events: $e) { accepted rejected } }';
  const send = async (body: string) => {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const answer = (await res.json()) as { data?: { ingest: { accepted: number; rejected: number } }; errors?: unknown[] };
    if (!answer.data || answer.data.ingest.rejected) throw new Error(`ingest failed: ${JSON.stringify(answer).slice(0, 500)}`);
  };
  // Request bodies are serialised before the clock starts: in production the jobs serialise in
  // their own processes, and this benchmark runs its clients inside the server's process.
  const bodies = perClient.map((events) => {
    const out: string[] = [];
    for (let i = 0; i < events.length; i += BATCH)
      out.push(JSON.stringify({ query, variables: { e: events.slice(i, i + BATCH) } }));
    return out;
  });
  const started = process.hrtime.bigint();
  await Promise.all(
    bodies.map(async (list) => {
      for (const body of list) await send(body);
    }),
  );
  return Number(process.hrtime.bigint() - started) / 1e9;
}

/** The same rows (event ids, tasks, values, metrics) as plain multi-row INSERTs over unnest. */
async function raw(
  pool: pg.Pool,
  trIds: Map<string, string>,
  workflowId: string,
  events: Array<Record<string, unknown>>,
): Promise<number> {
  const tasks = new Map<string, { id: string; parent: string | null; start: Date | null; end: Date | null }>();
  const runOf = new Map<string, string>();
  const trOf = new Map<string, string>();
  const runs = new Set<string>();
  const metrics: Array<{ task: string; value: number; step: number }> = [];
  for (const e of events) {
    if (e.type === 'workflowBegin') runs.add(e.run as string);
    if (e.type === 'taskBegin') {
      tasks.set(e.task as string, {
        id: e.task as string,
        parent: (e.parent as string) ?? null,
        start: new Date((e.time as number) ?? 0),
        end: null,
      });
      runOf.set(e.task as string, e.run as string);
      trOf.set(e.task as string, trIds.get(e.transformation as string)!);
    }
    if (e.type === 'taskEnd') tasks.get(e.task as string)!.end = new Date(e.time as number);
    if (e.type === 'metric') metrics.push({ task: e.task as string, value: e.value as number, step: e.step as number });
  }
  const rows = [...tasks.values()];
  // Runs exist before the timed part: the mutation side's workflowBegin is one event of many.
  await pool.query(`INSERT INTO workflow_execution (id, workflow_id) SELECT unnest($1::text[]), $2`, [[...runs], workflowId]);
  const started = process.hrtime.bigint();
  const batches = Math.ceil(events.length / BATCH);
  const per = Math.ceil(rows.length / batches);
  const mper = Math.ceil(metrics.length / batches);
  let next = 0;
  const work = async () => {
    while (next < batches) {
      const b = next++;
      const c = await pool.connect();
      try {
        await c.query('BEGIN');
        const ids = events.slice(b * BATCH, (b + 1) * BATCH).map((e) => e.id as string);
        await c.query('INSERT INTO ingested_event (id) SELECT unnest($1::text[])', [ids]);
        const slice = rows.slice(b * per, (b + 1) * per);
        await c.query(
          `INSERT INTO task_execution (id, run_id, transformation_id, parent_id, status, started_at, ended_at)
           SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::timestamptz[], $7::timestamptz[])`,
          [
            slice.map((r) => r.id),
            slice.map((r) => runOf.get(r.id)!),
            slice.map((r) => trOf.get(r.id)!),
            slice.map((r) => r.parent),
            slice.map(() => 'FINISHED'),
            slice.map((r) => r.start),
            slice.map((r) => r.end),
          ],
        );
        const ms = metrics.slice(b * mper, (b + 1) * mper);
        await c.query(
          `INSERT INTO metric_point (run_id, task_id, name, value, step, recorded_at) SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::float8[], $5::bigint[], $6::timestamptz[])`,
          [
            ms.map((m) => runOf.get(m.task)!),
            ms.map((m) => m.task),
            ms.map(() => 'loss'),
            ms.map((m) => m.value),
            ms.map((m) => m.step),
            ms.map(() => new Date()),
          ],
        );
        await c.query('COMMIT');
      } finally {
        c.release();
      }
    }
  };
  await Promise.all(Array.from({ length: CLIENTS }, work));
  return Number(process.hrtime.bigint() - started) / 1e9;
}

async function main() {
  const provDb = await createDb();
  const rawDb = await createDb();
  const config = loadConfig({
    PROVML_DATABASE_URL: provDb.url,
    PORT: '0',
    PROVML_DEMO: '0',
    PROVML_LOG_LEVEL: 'warn',
    PROVML_MAX_BATCH_EVENTS: String(Math.max(BATCH, 5000)),
  });
  const server = await startServer(config, createLogger('warn'));
  const rawPool = new pg.Pool({ connectionString: rawDb.url, max: CLIENTS + 1 });
  try {
    // The raw side writes into the same provml tables (same indexes and keys), migrated.
    const rawStore = await openProvenanceStore({
      databaseUrl: rawDb.url,
      dataDir: '/tmp',
      poolSize: 1,
      log: createLogger('warn'),
    });
    const { workflow } = await rawStore.store.registerWorkflow(SPEC, specHash(SPEC));
    const [trs] = await rawStore.store.transformationsByWorkflowIds([workflow.id]);
    const trIds = new Map(trs.map((t) => [t.name, t.id]));
    await rawStore.close();
    await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        query: 'mutation($s: WorkflowSpecInput!) { registerWorkflow(spec: $s) { version } }',
        variables: { s: SPEC },
      }),
    });
    const gql: number[] = [];
    const rawRates: number[] = [];
    console.log(
      `ingest benchmark: ${EVENTS} events per round, batches of ${BATCH}, ${CLIENTS} concurrent clients, ${ROUNDS} rounds`,
    );
    // Round 0 warms the JIT, the pools and PostgreSQL's caches; it is printed, not counted.
    for (let r = 0; r <= ROUNDS; r++) {
      const perClient = Array.from({ length: CLIENTS }, (_, c) => makeEvents(r * 100 + c, Math.ceil(EVENTS / CLIENTS)));
      const events = perClient.flat();
      // Interleaved, so both sides see the same machine noise.
      const g = events.length / (await viaGraphQL(server.url, perClient));
      const w = events.length / (await raw(rawPool, trIds, workflow.id, events));
      if (r > 0) {
        gql.push(g);
        rawRates.push(w);
      }
      console.log(
        `  ${r === 0 ? 'warm-up' : `round ${r}`}: graphql ${Math.round(g).toLocaleString('en')} events/s, raw INSERT ${Math.round(w).toLocaleString('en')} events/s`,
      );
    }
    const mg = median(gql);
    const mr = median(rawRates);
    console.log(
      `median: graphql mutation ${Math.round(mg).toLocaleString('en')} events/s; raw multi-row INSERT ${Math.round(mr).toLocaleString('en')} events/s; ratio ${(mg / mr).toFixed(2)}`,
    );
  } finally {
    await rawPool.end();
    await server.stop();
    await provDb.drop();
    await rawDb.drop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
