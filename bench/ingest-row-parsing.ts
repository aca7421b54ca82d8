/**
 * What PostgreSQL's backend spends reading a batch's rows from its parameters, per row: task rows
 * as one JSON document (`json_to_recordset`, what the careful statements send) against one array
 * per column (`unnest`, what the fast statement sends, written by pgArray), and event ids as a
 * JSON array against a text[]. No table is written: only the parameters' parsing, the epoch
 * conversion and the jsonb attributes, in one backend whose CPU is read from /proc.
 *
 *   npx tsx bench/ingest-row-parsing.ts [--rows 1000] [--repeat 200]
 */
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { pgArray } from '../src/connectors/provenance/pg-ingest-sql';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const ROWS = arg('rows', 1000);
const REPEAT = arg('repeat', 200);
const URL = process.env.PROVML_BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

/** CPU seconds of one backend (utime + stime). */
const backendCpu = (pid: number) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
};
const fromEpochMs = (x: string) =>
  `timestamptz 'epoch' + (${x} / 86400000) * interval '86400 seconds' + (${x} % 86400000) * interval '1 millisecond'`;

async function main() {
  const c = new pg.Client({ connectionString: URL });
  await c.connect();
  const pid = (await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
  const t0 = Date.parse('2024-01-01T00:00:00Z');
  // The bench/ingest.ts shape: batch tasks of one run, begun and ended.
  const tasks = Array.from({ length: ROWS }, (_, i) => ({
    id: `bench-r1.b${i}`,
    runId: 'bench-r1',
    transformationId: '2',
    parentId: 'bench-r1.train',
    status: 'FINISHED',
    host: null,
    startedAt: t0 + i * 200,
    endedAt: t0 + i * 200 + 200,
    attributes: {},
  }));
  const col = <K extends keyof (typeof tasks)[number]>(k: K) => pgArray(tasks.map((t) => t[k] as string | number | null));
  const sides: Array<[string, string, unknown[]]> = [
    [
      'task rows, json_to_recordset',
      `SELECT count(*), max(${fromEpochMs('"startedAt"')}), max(${fromEpochMs('"endedAt"')}), max(coalesce(attributes, '{}')::text)
       FROM json_to_recordset($1::json) AS r(id text, "runId" text, "transformationId" bigint, "parentId" text, status text,
         host text, "startedAt" bigint, "endedAt" bigint, attributes jsonb)`,
      [JSON.stringify(tasks)],
    ],
    [
      'task rows, unnest of column arrays',
      `SELECT count(*), max(${fromEpochMs('s')}), max(${fromEpochMs('e')}), max(coalesce(a, '{}')::text)
       FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::bigint[], $9::jsonb[])
         AS r(id, run, tr, parent, status, host, s, e, a)`,
      [
        col('id'),
        col('runId'),
        col('transformationId'),
        col('parentId'),
        col('status'),
        col('host'),
        col('startedAt'),
        col('endedAt'),
        pgArray(tasks.map((t) => JSON.stringify(t.attributes))),
      ],
    ],
    [
      'event ids, json_array_elements_text',
      `SELECT count(*) FROM json_array_elements_text($1::json)`,
      [JSON.stringify(tasks.map((t) => t.id))],
    ],
    ['event ids, unnest of text[]', `SELECT count(*) FROM unnest($1::text[])`, [col('id')]],
  ];
  console.log(
    `backend CPU per row, ${ROWS} rows a statement, ${REPEAT} statements a sample, the median of 5 samples (all 5 in brackets)`,
  );
  for (const [name, text, values] of sides) {
    for (let i = 0; i < 20; i++) await c.query(text, values);
    const samples: number[] = [];
    for (let k = 0; k < 5; k++) {
      const before = backendCpu(pid);
      for (let i = 0; i < REPEAT; i++) await c.query(text, values);
      samples.push(((backendCpu(pid) - before) / (REPEAT * ROWS)) * 1e6);
    }
    samples.sort((a, b) => a - b);
    console.log(`  ${name.padEnd(38)} ${samples[2].toFixed(2)} µs a row (${samples.map((s) => s.toFixed(2)).join(' / ')})`);
  }
  await c.end();
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
