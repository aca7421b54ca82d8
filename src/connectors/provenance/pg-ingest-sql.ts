/**
 * SQL of the ingest write path shared by its careful statements (pg-ingest-tx.ts) and its fast
 * single statement (pg-ingest-fresh.ts). The careful statements take the hot tables' rows as one
 * JSON document (`json_to_recordset`). The fast statement takes its claims, task rows and metric
 * points as one array per column (`unnest`, written by pgArray): json_to_recordset costs the
 * backend about 6 µs a task row (the `::json` cast lexes the document, then it is parsed again
 * with a hash table built per object) against about 2 µs for the column arrays
 * (bench/ingest-row-parsing.ts; docs/performance.md, 2026-12-08).
 */

/**
 * Rows sorted by their conflict key. Two batches that share keys then take the keys' locks in
 * the same order and one waits for the other instead of deadlocking (any total order will do,
 * as long as every writer uses it: code-unit order, not PostgreSQL's collation).
 */
export function byKey<T>(rows: readonly T[], key: (row: T) => string): T[] {
  const keyed = rows.map((row) => ({ row, k: key(row) }));
  keyed.sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0));
  return keyed.map((e) => e.row);
}

/** Strings in code-unit order (what byKey does, without the wrapping). */
export const sortedIds = (ids: readonly string[]): string[] => [...ids].sort();

export const SEP = '\u0000';

export const json = (v: unknown): string | null => (v === undefined ? null : JSON.stringify(v));

/**
 * A column's values as a PostgreSQL array parameter (for `$n::text[]`, `::bigint[]`, ...). Where
 * JSON.stringify writes no backslash, no element holds a quote, a backslash or a control
 * character, and `["a",null,5]` with its brackets turned into braces is already the array literal
 * PostgreSQL reads (`array_in`: a quoted element is taken verbatim, an unquoted `null` is NULL):
 * one native call instead of `pg` escaping every element in JavaScript. Anything else goes as
 * the array itself, which `pg` escapes.
 */
export function pgArray(values: ReadonlyArray<string | number | null>): string | ReadonlyArray<string | number | null> {
  const text = JSON.stringify(values);
  return text.includes('\\') ? values : `{${text.slice(1, -1)}}`;
}

export const TASK_INSERT = `INSERT INTO task_execution AS t (id, run_id, transformation_id, parent_id, status, host, started_at, ended_at, attributes)`;
export const taskRows = (p: string) =>
  `SELECT id, "runId", "transformationId", "parentId", status, host, "startedAt", "endedAt", coalesce(attributes, '{}')
   FROM json_to_recordset(${p}::json) AS r(id text, "runId" text, "transformationId" bigint, "parentId" text, status text,
     host text, "startedAt" timestamptz, "endedAt" timestamptz, attributes jsonb)`;

/**
 * Epoch milliseconds (a bigint expression) as timestamptz, exactly: whole days and the
 * milliseconds within the day as two plain time intervals (both products are exact in float8
 * over JavaScript's whole date range, and no day or month field makes the session's time zone
 * matter). Cheaper for the writer than ISO strings: `Date#toISOString` was the largest cost of
 * the fast statement's JSON.stringify.
 */
const fromEpochMs = (x: string) =>
  `timestamptz 'epoch' + (${x} / 86400000) * interval '86400 seconds' + (${x} % 86400000) * interval '1 millisecond'`;

/**
 * Task rows as one array per column (see pgArray), `startedAt` / `endedAt` as epoch
 * milliseconds (see fromEpochMs): one pass of `array_in` per column in PostgreSQL, where a JSON
 * document is lexed twice (the `::json` cast checks it, json_to_recordset parses it again).
 */
export const taskColumns = (p: number) =>
  `SELECT id, run_id, transformation_id, parent_id, status, host, ${fromEpochMs('started_ms')}, ${fromEpochMs('ended_ms')},
     coalesce(attributes, '{}')
   FROM unnest($${p}::text[], $${p + 1}::text[], $${p + 2}::bigint[], $${p + 3}::text[], $${p + 4}::text[], $${p + 5}::text[],
     $${p + 6}::bigint[], $${p + 7}::bigint[], $${p + 8}::jsonb[])
     AS r(id, run_id, transformation_id, parent_id, status, host, started_ms, ended_ms, attributes)`;

export const RUN_INSERT = `INSERT INTO workflow_execution (id, workflow_id, agent_id, status, started_at, ended_at, attributes)`;
export const runRows = (p: number) =>
  `SELECT * FROM unnest($${p}::text[], $${p + 1}::bigint[], $${p + 2}::text[], $${p + 3}::text[], $${p + 4}::timestamptz[], $${p + 5}::timestamptz[], $${p + 6}::jsonb[])`;

export const AGENT_UPSERT = (p: number) =>
  `INSERT INTO agent (id, kind, name, attributes)
   SELECT * FROM unnest($${p}::text[], $${p + 1}::text[], $${p + 2}::text[], $${p + 3}::jsonb[])
   ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind, name = coalesce(EXCLUDED.name, agent.name),
     attributes = agent.attributes || EXCLUDED.attributes`;

export const VALUE_INSERT = (p: string) =>
  `INSERT INTO attribute_value (run_id, task_id, attribute_id, name, role, direction, value, data_ref_id, recorded_at)
   SELECT "runId", "taskId", "attributeId", name, role, direction, value, "dataRefId", "recordedAt"
   FROM json_to_recordset(${p}::json) AS r("runId" text, "taskId" text, "attributeId" bigint, name text, role text,
     direction text, value jsonb, "dataRefId" bigint, "recordedAt" timestamptz)`;

export const METRIC_INSERT = (p: string) =>
  `INSERT INTO metric_point (run_id, task_id, name, value, step, context, recorded_at)
   SELECT "runId", "taskId", name, value, step, context, "recordedAt"
   FROM json_to_recordset(${p}::json) AS r("runId" text, "taskId" text, name text, value float8, step bigint,
     context text, "recordedAt" timestamptz)`;

/** METRIC_INSERT with one array per column (see taskColumns), `recordedAt` as epoch milliseconds. */
export const METRIC_COLUMNS_INSERT = (p: number) =>
  `INSERT INTO metric_point (run_id, task_id, name, value, step, context, recorded_at)
   SELECT run_id, task_id, name, value, step, context, ${fromEpochMs('recorded_ms')}
   FROM unnest($${p}::text[], $${p + 1}::text[], $${p + 2}::text[], $${p + 3}::float8[], $${p + 4}::bigint[], $${p + 5}::text[],
     $${p + 6}::bigint[]) AS r(run_id, task_id, name, value, step, context, recorded_ms)`;

export const TELEMETRY_INSERT = (p: string) =>
  `INSERT INTO telemetry_sample (run_id, task_id, host, gpu_index, gpu_name, gpu_utilization, gpu_memory_used,
     gpu_memory_total, gpu_power, gpu_temperature, gpu_energy, cpu_percent, rss_bytes, recorded_at)
   SELECT "runId", "taskId", host, "gpuIndex", "gpuName", "gpuUtilization", "gpuMemoryUsed", "gpuMemoryTotal",
     "gpuPower", "gpuTemperature", "gpuEnergy", "cpuPercent", "rssBytes", "recordedAt"
   FROM json_to_recordset(${p}::json) AS r("runId" text, "taskId" text, host text, "gpuIndex" int, "gpuName" text,
     "gpuUtilization" float8, "gpuMemoryUsed" bigint, "gpuMemoryTotal" bigint, "gpuPower" float8,
     "gpuTemperature" float8, "gpuEnergy" float8, "cpuPercent" float8, "rssBytes" bigint, "recordedAt" timestamptz)`;

export const RELATION_INSERT = (p: number) =>
  `INSERT INTO prov_relation (kind, subject, object) SELECT * FROM unnest($${p}::text[], $${p + 1}::text[], $${p + 2}::text[])
   ON CONFLICT DO NOTHING`;

/**
 * An UPDATE locks rows in whatever order its join plan visits them; the materialised CTE locks
 * them in key order first. `$ids` are the rows' ids, `$rows` their ends as JSON. Returns a row
 * per row updated (the fast statement counts them to order its steps).
 */
export const endsUpdate = (table: 'workflow_execution' | 'task_execution', ids: string, rows: string, cte: string) =>
  `${cte}_locked AS MATERIALIZED (SELECT id FROM ${table} WHERE id = ANY(${ids}::text[]) ORDER BY id FOR NO KEY UPDATE),
   ${cte} AS (UPDATE ${table} x SET status = u.status, ended_at = u."endedAt", attributes = x.attributes || coalesce(u.attributes, '{}')
     FROM json_to_recordset(${rows}::json) AS u(id text, status text, "endedAt" timestamptz, attributes jsonb), ${cte}_locked l
     WHERE x.id = u.id AND l.id = u.id RETURNING 1)`;
