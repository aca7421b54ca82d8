/**
 * Ingest throughput: events/s through the GraphQL `ingest` mutation over HTTP, and, in the same
 * run, interleaved, the rate of the same rows written straight into PostgreSQL by multi-row
 * INSERT (unnest) and by COPY FROM STDIN. Beside each rate, the CPU per event of this process and
 * of the side's PostgreSQL backends (from /proc): far steadier than wall time on a loaded machine.
 *
 *   npm run build && npx tsx bench/ingest.ts [--events 200000] [--batch 2000] [--clients 2] [--rounds 5]
 *     [--fetch]        send with fetch (undici) instead of a keep-alive node:http agent
 *     [--dist DIR]     the server build to measure (default dist/; e.g. a copy of the build before a change)
 *     [--only SIDE]    run one side alone (graphql, insert or copy), e.g. under `node --cpu-prof`; no ratios
 *     [--gc]           a full garbage collection before each side (outside its clock and CPU): the rows
 *                      the round prepares for all sides are otherwise collected during the first side
 *
 * Uses the machine's PostgreSQL server (PROVML_BENCH_DATABASE_URL, default
 * postgresql://postgres@127.0.0.1:5432/postgres), one fresh database per side, dropped at the end.
 * The server runs in production mode, as `provml serve` does, unless NODE_ENV says otherwise.
 */
import './production-mode';
import { randomBytes } from 'node:crypto';
import { keepAlivePost } from './keep-alive-post';
import { createRequire } from 'node:module';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import path from 'node:path';
import pg from 'pg';
import { backendCpuSince, backendTicks, nodeCpu } from './cpu-usage';

const option = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const DIST = path.resolve(option('dist') ?? path.join(__dirname, '..', 'dist'));
const USE_FETCH = process.argv.includes('--fetch');
const ONLY = option('only');
const FULL_GC = process.argv.includes('--gc');
/** V8's full collection, reachable without node's --expose-gc flag (the bench runs under tsx). */
const collect: () => void = FULL_GC ? (setFlagsFromString('--expose-gc'), runInNewContext('gc') as () => void) : () => undefined;
if (ONLY !== undefined && !['graphql', 'insert', 'copy'].includes(ONLY))
  throw new Error(`--only: graphql, insert or copy, not ${ONLY}`);
// The build under test, loaded by path so that two builds can be measured with one script.
const load = createRequire(path.join(DIST, 'index.js'));
const { loadConfig } = load(path.join(DIST, 'config.js')) as typeof import('../dist/config');
const { createLogger } = load(path.join(DIST, 'logger.js')) as typeof import('../dist/logger');
const { startServer } = load(path.join(DIST, 'server.js')) as typeof import('../dist/server');
const { openProvenanceStore } = load(
  path.join(DIST, 'connectors/provenance/open-provenance-store.js'),
) as typeof import('../dist/connectors/provenance/open-provenance-store');
const { parseWorkflowSpec, specHash } = load(
  path.join(DIST, 'ingest/workflow-spec.js'),
) as typeof import('../dist/ingest/workflow-spec');

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

async function createDb(): Promise<{ name: string; url: string; drop: () => Promise<void> }> {
  const name = `provml_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(ADMIN);
  u.pathname = `/${name}`;
  return {
    name,
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

// What real clients use: one kept-alive connection per client (the capture library's requests
// session, the TypeScript client's agent). `--fetch` measures undici's fetch instead.
const keepAlive = keepAlivePost(CLIENTS);

function post(url: string, body: string): Promise<string> {
  if (USE_FETCH) {
    return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body }).then((r) => r.text());
  }
  return keepAlive.post(url, body);
}

/** Each client sends its own run's batches in order, as a capture client does. */
async function viaGraphQL(url: string, perClient: Array<Array<Record<string, unknown>>>): Promise<number> {
  const query = 'mutation($e: [JSON!]!) { ingest(events: $e) { accepted rejected } }';
  const send = async (body: string) => {
    const answer = JSON.parse(await post(url, body)) as {
      data?: { ingest: { accepted: number; rejected: number } };
      errors?: unknown[];
    };
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

interface RawRows {
  events: Array<Record<string, unknown>>;
  tasks: Array<{ id: string; run: string; transformation: string; parent: string | null; start: Date; end: Date | null }>;
  metrics: Array<{ run: string; task: string; value: number; step: number }>;
  runs: string[];
}

/** The rows the mutation writes for these events (event ids, task executions, metric points), built before the clock. */
function rawRows(trIds: Map<string, string>, events: Array<Record<string, unknown>>): RawRows {
  const tasks = new Map<string, RawRows['tasks'][number]>();
  const runs = new Set<string>();
  const metrics: RawRows['metrics'] = [];
  for (const e of events) {
    if (e.type === 'workflowBegin') runs.add(e.run as string);
    if (e.type === 'taskBegin') {
      tasks.set(e.task as string, {
        id: e.task as string,
        run: e.run as string,
        transformation: trIds.get(e.transformation as string)!,
        parent: (e.parent as string) ?? null,
        start: new Date((e.time as number) ?? 0),
        end: null,
      });
    }
    if (e.type === 'taskEnd') tasks.get(e.task as string)!.end = new Date(e.time as number);
    if (e.type === 'metric')
      metrics.push({ run: e.run as string, task: e.task as string, value: e.value as number, step: e.step as number });
  }
  return { events, tasks: [...tasks.values()], metrics, runs: [...runs] };
}

/** Batch b of the rows: the same split into BATCH-sized transactions as the mutation side. */
function* rawBatches(rows: RawRows) {
  const batches = Math.ceil(rows.events.length / BATCH);
  const per = Math.ceil(rows.tasks.length / batches);
  const mper = Math.ceil(rows.metrics.length / batches);
  for (let b = 0; b < batches; b++) {
    yield {
      ids: rows.events.slice(b * BATCH, (b + 1) * BATCH).map((e) => e.id as string),
      tasks: rows.tasks.slice(b * per, (b + 1) * per),
      metrics: rows.metrics.slice(b * mper, (b + 1) * mper),
    };
  }
}
type RawBatch = ReturnType<typeof rawBatches> extends Generator<infer B> ? B : never;

/** Runs `write` over the batches from CLIENTS connections, each batch in its own transaction; seconds. */
async function rawRun(pool: pg.Pool, workflowId: string, rows: RawRows, write: (c: pg.PoolClient, b: RawBatch) => Promise<void>) {
  // Runs exist before the timed part: the mutation side's workflowBegin is one event of many.
  await pool.query(`INSERT INTO workflow_execution (id, workflow_id) SELECT unnest($1::text[]), $2`, [rows.runs, workflowId]);
  const batches = [...rawBatches(rows)];
  const started = process.hrtime.bigint();
  let next = 0;
  const work = async () => {
    while (next < batches.length) {
      const b = batches[next++];
      const c = await pool.connect();
      try {
        await c.query('BEGIN');
        await write(c, b);
        await c.query('COMMIT');
      } finally {
        c.release();
      }
    }
  };
  await Promise.all(Array.from({ length: CLIENTS }, work));
  return Number(process.hrtime.bigint() - started) / 1e9;
}

/** The same rows as plain multi-row INSERTs over unnest: 5 statements a batch with BEGIN and COMMIT. */
async function rawInsert(c: pg.PoolClient, b: RawBatch): Promise<void> {
  await c.query('INSERT INTO ingested_event (id) SELECT unnest($1::text[])', [b.ids]);
  await c.query(
    `INSERT INTO task_execution (id, run_id, transformation_id, parent_id, status, started_at, ended_at)
     SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::timestamptz[], $7::timestamptz[])`,
    [
      b.tasks.map((r) => r.id),
      b.tasks.map((r) => r.run),
      b.tasks.map((r) => r.transformation),
      b.tasks.map((r) => r.parent),
      b.tasks.map(() => 'FINISHED'),
      b.tasks.map((r) => r.start),
      b.tasks.map((r) => r.end),
    ],
  );
  const now = new Date();
  await c.query(
    `INSERT INTO metric_point (run_id, task_id, name, value, step, recorded_at) SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::float8[], $5::bigint[], $6::timestamptz[])`,
    [
      b.metrics.map((m) => m.run),
      b.metrics.map((m) => m.task),
      b.metrics.map(() => 'loss'),
      b.metrics.map((m) => m.value),
      b.metrics.map((m) => m.step),
      b.metrics.map(() => now),
    ],
  );
}

// COPY's text format: tab-separated columns, \N for NULL, backslash escapes.
const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };
const copyField = (v: string | number | Date | null): string =>
  v === null ? '\\N' : v instanceof Date ? v.toISOString() : String(v).replace(/[\\\t\n\r]/g, (ch) => COPY_ESCAPES[ch]);
const copyText = (rows: Array<Array<string | number | Date | null>>) =>
  rows.map((r) => r.map(copyField).join('\t')).join('\n') + '\n';

/**
 * COPY ... FROM STDIN through node-postgres's submittable interface (what pg-copy-streams does, in
 * a few lines, without the dependency): the whole batch's text in one CopyData message.
 */
function copyFrom(c: pg.PoolClient, sql: string, data: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let error: Error | undefined;
    const submittable = {
      submit: (connection: { query(text: string): void }) => connection.query(sql),
      handleCopyInResponse: (connection: { sendCopyFromChunk(b: Buffer): void; endCopyFrom(): void }) => {
        connection.sendCopyFromChunk(Buffer.from(data));
        connection.endCopyFrom();
      },
      handleCommandComplete: () => undefined,
      handleError: (err: Error) => {
        error = err;
      },
      handleReadyForQuery: () => (error ? reject(error) : resolve()),
    };
    c.query(submittable as unknown as pg.QueryConfig);
  });
}

/** The same rows by COPY FROM STDIN, one COPY per table: 5 round trips a batch with BEGIN and COMMIT. */
async function rawCopy(c: pg.PoolClient, b: RawBatch): Promise<void> {
  await copyFrom(c, 'COPY ingested_event (id) FROM STDIN', copyText(b.ids.map((id) => [id])));
  await copyFrom(
    c,
    'COPY task_execution (id, run_id, transformation_id, parent_id, status, started_at, ended_at) FROM STDIN',
    copyText(b.tasks.map((r) => [r.id, r.run, r.transformation, r.parent, 'FINISHED', r.start, r.end])),
  );
  const now = new Date();
  await copyFrom(
    c,
    'COPY metric_point (run_id, task_id, name, value, step, recorded_at) FROM STDIN',
    copyText(b.metrics.map((m) => [m.run, m.task, 'loss', m.value, m.step, now])),
  );
}

async function main() {
  const provDb = await createDb();
  const rawDb = await createDb();
  const copyDb = await createDb();
  const config = loadConfig({
    PROVML_DATABASE_URL: provDb.url,
    PORT: '0',
    PROVML_DEMO: '0',
    PROVML_LOG_LEVEL: 'warn',
    PROVML_MAX_BATCH_EVENTS: String(Math.max(BATCH, 5000)),
  });
  const server = await startServer(config, createLogger('warn'));
  const rawPool = new pg.Pool({ connectionString: rawDb.url, max: CLIENTS + 1 });
  const copyPool = new pg.Pool({ connectionString: copyDb.url, max: CLIENTS + 1 });
  try {
    // The raw sides write into the same provml tables (same indexes, keys and triggers), migrated.
    const prepare = async (url: string) => {
      const opened = await openProvenanceStore({ databaseUrl: url, dataDir: '/tmp', poolSize: 1, log: createLogger('warn') });
      const { workflow } = await opened.store.registerWorkflow(SPEC, specHash(SPEC));
      const [trs] = await opened.store.transformationsByWorkflowIds([workflow.id]);
      await opened.close();
      return { workflowId: workflow.id, trIds: new Map(trs.map((t) => [t.name, t.id])) };
    };
    const rawSide = await prepare(rawDb.url);
    const copySide = await prepare(copyDb.url);
    await post(
      server.url,
      JSON.stringify({
        query: 'mutation($s: WorkflowSpecInput!) { registerWorkflow(spec: $s) { version } }',
        variables: { s: SPEC },
      }),
    );
    const admin = new pg.Pool({ connectionString: ADMIN, max: 1 });
    /** Runs one side, timed, with the CPU per event of this process and of the side's backends. */
    const measure = async (db: string, events: number, run: () => Promise<number>) => {
      collect();
      const pg0 = await backendTicks(admin, db);
      const node0 = nodeCpu();
      const seconds = await run();
      const nodeUs = ((nodeCpu() - node0) / events) * 1e6;
      const pgUs = ((await backendCpuSince(admin, db, pg0)) / events) * 1e6;
      return { rate: events / seconds, nodeUs, pgUs };
    };
    type Figures = Awaited<ReturnType<typeof measure>>;
    const sides = { gql: [] as Figures[], insert: [] as Figures[], copy: [] as Figures[] };
    const fmt = (x: number) => Math.round(x).toLocaleString('en');
    const cpu = (f: Pick<Figures, 'nodeUs' | 'pgUs'>) =>
      `${(f.nodeUs + f.pgUs).toFixed(1)} µs CPU/event (node ${f.nodeUs.toFixed(1)} + pg ${f.pgUs.toFixed(1)})`;
    console.log(
      `ingest benchmark: ${EVENTS} events per round, batches of ${BATCH}, ${CLIENTS} concurrent clients, ${ROUNDS} rounds ` +
        `(NODE_ENV=${process.env.NODE_ENV ?? ''}, ${USE_FETCH ? 'fetch' : 'keep-alive node:http'}${FULL_GC ? ', full GC before each side' : ''}, build ${path.relative(process.cwd(), DIST) || '.'})`,
    );
    // Round 0 warms the JIT, the pools and PostgreSQL's caches; it is printed, not counted.
    for (let r = 0; r <= ROUNDS; r++) {
      const perClient = Array.from({ length: CLIENTS }, (_, c) => makeEvents(r * 100 + c, Math.ceil(EVENTS / CLIENTS)));
      const events = perClient.flat();
      const insertRows = rawRows(rawSide.trIds, events);
      const copyRows = rawRows(copySide.trIds, events);
      if (ONLY) {
        const f =
          ONLY === 'graphql'
            ? await measure(provDb.name, events.length, () => viaGraphQL(server.url, perClient))
            : ONLY === 'insert'
              ? await measure(rawDb.name, events.length, () => rawRun(rawPool, rawSide.workflowId, insertRows, rawInsert))
              : await measure(copyDb.name, events.length, () => rawRun(copyPool, copySide.workflowId, copyRows, rawCopy));
        console.log(`  ${r === 0 ? 'warm-up' : `round ${r}`}: ${ONLY} ${fmt(f.rate)} events/s | ${cpu(f)}`);
        continue;
      }
      // Interleaved, so all sides see the same machine noise.
      const g = await measure(provDb.name, events.length, () => viaGraphQL(server.url, perClient));
      const w = await measure(rawDb.name, events.length, () => rawRun(rawPool, rawSide.workflowId, insertRows, rawInsert));
      const c = await measure(copyDb.name, events.length, () => rawRun(copyPool, copySide.workflowId, copyRows, rawCopy));
      if (r > 0) {
        sides.gql.push(g);
        sides.insert.push(w);
        sides.copy.push(c);
      }
      console.log(
        `  ${r === 0 ? 'warm-up' : `round ${r}`}: graphql ${fmt(g.rate)} events/s, raw INSERT ${fmt(w.rate)} events/s, raw COPY ${fmt(c.rate)} events/s` +
          ` | CPU/event µs (node + pg): graphql ${g.nodeUs.toFixed(1)} + ${g.pgUs.toFixed(1)}, INSERT ${w.nodeUs.toFixed(1)} + ${w.pgUs.toFixed(1)}, COPY ${c.nodeUs.toFixed(1)} + ${c.pgUs.toFixed(1)}`,
      );
    }
    await admin.end();
    if (ONLY) return;
    const med = (fs: Figures[]) => ({
      rate: median(fs.map((f) => f.rate)),
      nodeUs: median(fs.map((f) => f.nodeUs)),
      pgUs: median(fs.map((f) => f.pgUs)),
    });
    const mg = med(sides.gql);
    const mi = med(sides.insert);
    const mc = med(sides.copy);
    console.log(
      `median: graphql mutation ${fmt(mg.rate)} events/s; raw multi-row INSERT ${fmt(mi.rate)} events/s (ratio ${(mg.rate / mi.rate).toFixed(2)}); raw COPY ${fmt(mc.rate)} events/s (ratio ${(mg.rate / mc.rate).toFixed(2)})`,
    );
    console.log(`median CPU: graphql ${cpu(mg)}; raw INSERT ${cpu(mi)}; raw COPY ${cpu(mc)}`);
    console.log(
      `CPU ratio (raw INSERT CPU / graphql CPU, the rate ratio a CPU-bound machine would give): ${((mi.nodeUs + mi.pgUs) / (mg.nodeUs + mg.pgUs)).toFixed(2)}`,
    );
  } finally {
    keepAlive.close();
    await rawPool.end();
    await copyPool.end();
    await server.stop();
    await provDb.drop();
    await rawDb.drop();
    await copyDb.drop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
