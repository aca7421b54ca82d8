/**
 * Where an ingest batch's time goes: runs the write path (ingestBatch, no HTTP) over the
 * benchmark's event shape and reports, per SQL statement kind, how many statements a batch sends
 * and the median wall time each takes, beside the phases in JavaScript (parse, resolve, write).
 *
 *   npm run build && npx tsx bench/ingest-statements.ts [--events 100000] [--batch 2000]
 *
 * A diagnostic for bench/ingest.ts (not a comparison): it names the statements to remove.
 */
import './production-mode';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { backendCpuSince, backendTicks, nodeCpu } from './cpu-usage';
import { createLogger } from '../dist/logger';
import { openProvenanceStore } from '../dist/connectors/provenance/open-provenance-store';
import { ingestBatch } from '../dist/ingest/ingest-batch';
import { SpecCatalog } from '../dist/ingest/spec-catalog';
import { parseWorkflowSpec, specHash } from '../dist/ingest/workflow-spec';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const EVENTS = arg('events', 100_000);
const BATCH = arg('batch', 2000);
const CLIENTS = arg('clients', 1);
const ADMIN = process.env.PROVML_BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

const SPEC = parseWorkflowSpec({
  name: 'bench',
  kind: 'LEARNING',
  transformations: [
    { name: 'training', kind: 'LEARNING_STAGE', used: [{ name: 'lr', role: 'LEARNING_HYPERPARAMETER' }] },
    { name: 'batch', kind: 'LEARNING_STAGE', parent: 'training' },
  ],
});

// The same event shape as bench/ingest.ts.
function makeEvents(run: string, n: number): Array<Record<string, unknown>> {
  const ev: Array<Record<string, unknown>> = [
    { id: `${run}:wb`, type: 'workflowBegin', run, workflow: 'bench' },
    { id: `${run}:tb`, type: 'taskBegin', task: `${run}.train`, run, transformation: 'training', used: { lr: 0.01 } },
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

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const stats = new Map<string, number[]>();
const record = (k: string, ms: number) => (stats.get(k) ?? stats.set(k, []).get(k)!).push(ms);

// Every statement through pg.Client, timed from send to result, keyed by its first words.
const original = pg.Client.prototype.query as (...a: unknown[]) => unknown;
(pg.Client.prototype as unknown as { query: (...a: unknown[]) => unknown }).query = function (this: pg.Client, ...a: unknown[]) {
  const text = typeof a[0] === 'string' ? a[0] : ((a[0] as { text?: string })?.text ?? '');
  const key = text.replace(/\s+/g, ' ').trim().slice(0, 60);
  const started = performance.now();
  const cb = a.length && typeof a[a.length - 1] === 'function' ? (a[a.length - 1] as (...r: unknown[]) => void) : null;
  // pool.query passes a callback: time it at the callback.
  if (cb)
    a[a.length - 1] = (...r: unknown[]) => {
      record(key, performance.now() - started);
      cb(...r);
    };
  const out = original.apply(this, a);
  if (!cb && out && typeof (out as Promise<unknown>).then === 'function')
    (out as Promise<unknown>).then(
      () => record(key, performance.now() - started),
      () => undefined,
    );
  return out;
};

/** One raw client: its run's batches in order, each one transaction of plain multi-row INSERTs. */
async function rawClient(pool: pg.Pool, events: Array<Record<string, unknown>>, batchTr: string): Promise<void> {
  for (let i = 0; i < events.length; i += BATCH) {
    const b = events.slice(i, i + BATCH);
    const ends = new Map(b.filter((e) => e.type === 'taskEnd').map((e) => [e.task as string, e.time as number]));
    const tasks = b.filter((e) => e.type === 'taskBegin' && e.parent);
    const metrics = b.filter((e) => e.type === 'metric');
    const c = await pool.connect();
    try {
      await c.query('BEGIN');
      await c.query('INSERT INTO ingested_event (id) SELECT unnest($1::text[]) /* raw */', [b.map((e) => e.id)]);
      await c.query(
        `INSERT INTO task_execution (id, run_id, transformation_id, parent_id, status, started_at, ended_at) /* raw */
         SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::timestamptz[], $7::timestamptz[])`,
        [
          tasks.map((e) => e.task),
          tasks.map((e) => e.run),
          tasks.map(() => batchTr),
          tasks.map((e) => e.parent),
          tasks.map(() => 'FINISHED'),
          tasks.map((e) => new Date(e.time as number)),
          tasks.map((e) => (ends.has(e.task as string) ? new Date(ends.get(e.task as string)!) : null)),
        ],
      );
      await c.query(
        `INSERT INTO metric_point (run_id, task_id, name, value, step, recorded_at) /* raw */
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::float8[], $5::bigint[], $6::timestamptz[])`,
        [
          metrics.map((e) => e.run),
          metrics.map((e) => e.task),
          metrics.map((e) => e.name),
          metrics.map((e) => e.value),
          metrics.map((e) => e.step),
          metrics.map(() => new Date()),
        ],
      );
      await c.query('COMMIT');
    } finally {
      c.release();
    }
  }
}

async function main() {
  const name = `provml_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const u = new URL(ADMIN);
  u.pathname = `/${name}`;
  const opened = await openProvenanceStore({
    databaseUrl: u.toString(),
    dataDir: '/tmp',
    poolSize: 4,
    log: createLogger('warn'),
  });
  try {
    await opened.store.registerWorkflow(SPEC, specHash(SPEC));
    const catalog = new SpecCatalog(opened.store);
    const deps = { store: opened.store, catalog, maxBatchEvents: BATCH };
    const [trs] = await opened.store.transformationsByWorkflowIds([
      (await opened.store.latestWorkflows(['bench'])).get('bench')!.id,
    ]);
    const batchTr = trs.find((t) => t.name === 'batch')!.id;
    for (const round of [0, 1]) {
      const perClient = Array.from({ length: CLIENTS }, (_, c) => makeEvents(`r${round}c${c}`, Math.ceil(EVENTS / CLIENTS)));
      const events = perClient.flat();
      stats.clear();
      const pg0 = await backendTicks(admin, name);
      const n0 = nodeCpu();
      const started = performance.now();
      // Each client sends its own run's batches in order, as in bench/ingest.ts.
      await Promise.all(
        perClient.map(async (list) => {
          for (let i = 0; i < list.length; i += BATCH) {
            const t0 = performance.now();
            const res = await ingestBatch(list.slice(i, i + BATCH), deps);
            record('(whole batch)', performance.now() - t0);
            if (res.rejected) throw new Error(JSON.stringify(res.issues.slice(0, 3)));
          }
        }),
      );
      const s = (performance.now() - started) / 1000;
      const nodeUs = ((nodeCpu() - n0) / events.length) * 1e6;
      const pgUs = ((await backendCpuSince(admin, name, pg0)) / events.length) * 1e6;
      const batches = Math.ceil(events.length / BATCH);
      console.log(
        `${round === 0 ? 'warm-up' : 'measured'}: ${Math.round(events.length / s).toLocaleString('en')} events/s, ${CLIENTS} client(s), ${batches} batches; CPU per event: node ${nodeUs.toFixed(1)} µs, PostgreSQL ${pgUs.toFixed(1)} µs`,
      );
      if (round === 0) continue;
      // The raw side, as bench/ingest.ts writes it: the same event, task and metric rows by plain
      // multi-row INSERTs in one transaction a batch, the run inserted first.
      const rawPer = Array.from({ length: CLIENTS }, (_, c) => makeEvents(`raw${round}c${c}`, Math.ceil(EVENTS / CLIENTS)));
      const raw = rawPer.flat();
      const pool = new pg.Pool({ connectionString: u.toString(), max: CLIENTS });
      pool.on('error', () => undefined);
      await pool.query(
        `INSERT INTO workflow_execution (id, workflow_id) SELECT unnest($1::text[]), workflow_id FROM transformation WHERE id = $2`,
        [rawPer.map((_, c) => `raw${round}c${c}`), batchTr],
      );
      const rpg0 = await backendTicks(admin, name);
      const rn0 = nodeCpu();
      const rstarted = performance.now();
      await Promise.all(rawPer.map((list) => rawClient(pool, list, batchTr)));
      const rs = (performance.now() - rstarted) / 1000;
      const rnodeUs = ((nodeCpu() - rn0) / raw.length) * 1e6;
      const rpgUs = ((await backendCpuSince(admin, name, rpg0)) / raw.length) * 1e6;
      await pool.end();
      console.log(
        `raw INSERT: ${Math.round(raw.length / rs).toLocaleString('en')} events/s; CPU per event: node ${rnodeUs.toFixed(1)} µs, PostgreSQL ${rpgUs.toFixed(1)} µs`,
      );
      for (const [k, xs] of [...stats].sort((a, b) => median(b[1]) * b[1].length - median(a[1]) * a[1].length))
        console.log(
          `  ${(xs.length / batches).toFixed(2).padStart(6)}/batch  median ${median(xs).toFixed(2).padStart(7)} ms  ${k}`,
        );
    }
  } finally {
    await opened.close();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
