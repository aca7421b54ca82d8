/**
 * The parking branch's cost on the fast path: the same all-new batches through ingestBatch (no
 * HTTP), alternating rounds with a parking worker (as `provml serve` runs it) and without (as
 * before parking existed), in one process on one database, so both sides meet the same load.
 *
 *   npm run build && npx tsx bench/ingest-parking-ab.ts [--events 40000] [--batch 2000] [--rounds 8]
 */
import './production-env';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createLogger } from '../dist/logger';
import { openProvenanceStore } from '../dist/connectors/provenance/open-provenance-store';
import { ingestBatch } from '../dist/ingest/ingest-batch';
import { startParkedWorker } from '../dist/ingest/parked-events';
import { SpecCatalog } from '../dist/ingest/spec-catalog';
import { parseWorkflowSpec, specHash } from '../dist/ingest/workflow-spec';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const EVENTS = arg('events', 40_000);
const BATCH = arg('batch', 2000);
const ROUNDS = arg('rounds', 8);
const ADMIN = process.env.PROVML_BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function batches(tag: string): unknown[][] {
  const out: unknown[][] = [];
  let n = 0;
  for (let b = 0; n < EVENTS; b++) {
    const run = `${tag}-r${b}`;
    const events: unknown[] = [
      { id: `${run}:b`, type: 'workflowBegin', run, workflow: 'ab' },
      { id: `${run}:t`, type: 'taskBegin', task: `${run}.t`, run, transformation: 'train' },
    ];
    for (let i = 0; events.length < BATCH; i++)
      events.push({ id: `${run}:m${i}`, type: 'metric', run, task: `${run}.t`, name: 'loss', value: i, step: i });
    n += events.length;
    out.push(events);
  }
  return out;
}

async function main() {
  const name = `provml_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(ADMIN);
  url.pathname = `/${name}`;
  const log = createLogger('warn');
  const opened = await openProvenanceStore({ databaseUrl: url.toString(), dataDir: '/tmp', poolSize: 8, log });
  const spec = parseWorkflowSpec({ name: 'ab', kind: 'LEARNING', transformations: [{ name: 'train', kind: 'LEARNING_STAGE' }] });
  await opened.store.registerWorkflow(spec, specHash(spec));
  const catalog = new SpecCatalog(opened.store);
  const worker = startParkedWorker(
    { store: opened.store, catalog, log },
    { intervalMs: 1000, limits: { maxEvents: 1e5, maxAgeSeconds: 86400 } },
  );
  const rates: Record<'without' | 'with', number[]> = { without: [], with: [] };
  try {
    for (let round = 0; round <= ROUNDS; round++) {
      for (const side of round % 2 ? (['with', 'without'] as const) : (['without', 'with'] as const)) {
        const work = batches(`${side}${round}`);
        const total = work.reduce((s, b) => s + b.length, 0);
        const started = performance.now();
        for (const b of work) {
          const r = await ingestBatch(b, {
            store: opened.store,
            catalog,
            maxBatchEvents: BATCH,
            parking: side === 'with' ? worker : undefined,
          });
          if (r.accepted !== b.length) throw new Error(`batch not all accepted: ${JSON.stringify(r).slice(0, 200)}`);
        }
        const rate = total / ((performance.now() - started) / 1000);
        if (round > 0) rates[side].push(rate); // round 0: warm-up
      }
    }
    const w = median(rates.with);
    const wo = median(rates.without);
    console.log(
      `median events/s: without parking ${Math.round(wo)}, with parking ${Math.round(w)} (ratio ${(w / wo).toFixed(3)}), ${ROUNDS} rounds each`,
    );
    console.log(`  with:    ${rates.with.map(Math.round).join(', ')}`);
    console.log(`  without: ${rates.without.map(Math.round).join(', ')}`);
  } finally {
    await worker.stop();
    await opened.close();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}

void main();
