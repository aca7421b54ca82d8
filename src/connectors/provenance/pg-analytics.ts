import type { Pool, QueryResultRow } from 'pg';
import { VALUE_COLS, decodeCursor, toMetric, toPage, toValue } from './pg-mappers';
import type { EdgeKind, LineageDirection, LineageEdge, PageArgs } from './provenance-store';
import type { DurationStatsRow, GpuSummaryRow, MetricRow, Page, RunTaskKey, TelemetryRow, ValueRow } from './rows';

/** The analytical reads: the paper's Q3 (best model) and Q4 (durations), models, lineage steps. */

/**
 * The reads below take many keys at once (a per-request dataloader gathers the parents of one
 * query level) and answer one list per key, in key order.
 */

const keyColumns = (keys: readonly RunTaskKey[]) => [keys.map((k) => k.runId), keys.map((k) => k.taskId)];

/** Groups rows carrying the 1-based ordinal of their key (`ord`) into one list per key. */
function byOrdinal<T>(count: number, rows: QueryResultRow[], map: (row: QueryResultRow) => T): T[][] {
  const out: T[][] = Array.from({ length: count }, () => []);
  for (const r of rows) out[Number(r.ord) - 1].push(map(r));
  return out;
}

const toTelemetry = (r: QueryResultRow): TelemetryRow => ({
  runId: r.run_id,
  taskId: r.task_id,
  host: r.host,
  gpuIndex: r.gpu_index,
  gpuName: r.gpu_name,
  gpuUtilization: r.gpu_utilization,
  gpuMemoryUsed: r.gpu_memory_used,
  gpuMemoryTotal: r.gpu_memory_total,
  gpuPower: r.gpu_power,
  gpuTemperature: r.gpu_temperature,
  gpuEnergy: r.gpu_energy,
  cpuPercent: r.cpu_percent,
  rssBytes: r.rss_bytes,
  recordedAt: r.recorded_at,
});

/** Execution-data samples of each key, oldest first, at most `limit` per key. */
export async function telemetry(pool: Pool, keys: readonly RunTaskKey[], limit: number): Promise<TelemetryRow[][]> {
  if (!keys.length) return [];
  const res = await pool.query(
    `SELECT k.ord, s.* FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS k(run_id, task_id, ord)
     CROSS JOIN LATERAL (
       SELECT * FROM telemetry_sample t
       WHERE t.run_id = k.run_id AND (k.task_id IS NULL OR t.task_id = k.task_id)
       ORDER BY t.recorded_at, t.id LIMIT $3) s
     ORDER BY k.ord, s.recorded_at, s.id`,
    [...keyColumns(keys), limit],
  );
  return byOrdinal(keys.length, res.rows, toTelemetry);
}

/** Per-GPU aggregate of each key's telemetry (a run's, or one task's). */
export async function gpuSummary(pool: Pool, keys: readonly RunTaskKey[]): Promise<GpuSummaryRow[][]> {
  if (!keys.length) return [];
  const res = await pool.query(
    `SELECT k.ord, s.host, s.gpu_index, max(s.gpu_name) AS gpu_name, count(*)::int AS samples,
       avg(s.gpu_utilization) AS avg_util, max(s.gpu_utilization) AS max_util, max(s.gpu_memory_used)::text AS max_mem,
       avg(s.gpu_power) AS avg_power, max(s.gpu_temperature) AS max_temp, max(s.gpu_energy) - min(s.gpu_energy) AS energy
     FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS k(run_id, task_id, ord)
     JOIN telemetry_sample s ON s.run_id = k.run_id AND (k.task_id IS NULL OR s.task_id = k.task_id)
     WHERE s.gpu_index IS NOT NULL
     GROUP BY k.ord, s.host, s.gpu_index ORDER BY k.ord, s.host, s.gpu_index`,
    keyColumns(keys),
  );
  return byOrdinal(keys.length, res.rows, (r) => ({
    host: r.host,
    gpuIndex: r.gpu_index,
    gpuName: r.gpu_name,
    samples: r.samples,
    avgUtilization: r.avg_util,
    maxUtilization: r.max_util,
    maxMemoryUsed: r.max_mem,
    avgPower: r.avg_power,
    maxTemperature: r.max_temp,
    energy: r.energy,
  }));
}

/** One metric series of each run, ordered by step, at most `limit` points per run. */
export async function metricSeries(
  pool: Pool,
  runIds: readonly string[],
  name: string,
  context: string | null,
  limit: number,
): Promise<MetricRow[][]> {
  if (!runIds.length) return [];
  const res = await pool.query(
    `SELECT k.ord, m.run_id, m.task_id, m.name, m.value, m.step::text, m.context, m.recorded_at
     FROM unnest($1::text[]) WITH ORDINALITY AS k(run_id, ord)
     CROSS JOIN LATERAL (
       SELECT * FROM metric_point p
       WHERE p.run_id = k.run_id AND p.name = $2 AND ($3::text IS NULL OR p.context = $3)
       ORDER BY p.step NULLS LAST, p.recorded_at LIMIT $4) m
     ORDER BY k.ord, m.step NULLS LAST, m.recorded_at`,
    [runIds, name, context, limit],
  );
  return byOrdinal(runIds.length, res.rows, toMetric);
}

// ORDER BY names attribute_value.id: a bare `id` would sort the id::text output column as text.
export async function models(
  pool: Pool,
  filter: { workflowName?: string; runId?: string },
  page: PageArgs,
): Promise<Page<ValueRow>> {
  const res = await pool.query(
    `SELECT ${VALUE_COLS} FROM attribute_value
     WHERE role = 'MODEL_REFERENCE' AND direction = 'GENERATED'
       AND ($1::text IS NULL OR run_id IN (SELECT e.id FROM workflow_execution e JOIN workflow w ON w.id = e.workflow_id WHERE w.name = $1))
       AND ($2::text IS NULL OR run_id = $2) AND ($3::bigint IS NULL OR id > $3)
     ORDER BY attribute_value.id LIMIT $4`,
    [filter.workflowName ?? null, filter.runId ?? null, decodeCursor(page.after), page.first + 1],
  );
  return toPage(res.rows.map(toValue), page.first, (v) => v.id);
}

/**
 * Tasks under the tasks that used the given datasets, descending only through transformations
 * that have child transformations in their spec: a training's epochs, not its 10,000 batches.
 */
const TRAINING_SUBTREE = `
  inner_tr AS (
    SELECT p.id FROM transformation p
    WHERE EXISTS (SELECT 1 FROM transformation c WHERE c.workflow_id = p.workflow_id AND c.parent_name = p.name)),
  roots AS (
    SELECT DISTINCT task_id AS id FROM attribute_value
    WHERE data_ref_id = ANY($1::bigint[]) AND direction = 'USED' AND task_id IS NOT NULL),
  sub(id) AS (
    SELECT id FROM roots
    UNION
    SELECT t.id FROM task_execution t JOIN sub ON t.parent_id = sub.id
    WHERE t.transformation_id IN (SELECT id FROM inner_tr))`;

export async function bestModel(
  pool: Pool,
  datasetRefIds: string[],
  measure: string,
  order: 'MIN' | 'MAX',
): Promise<ValueRow | null> {
  const res = await pool.query(
    `WITH RECURSIVE ${TRAINING_SUBTREE}
     SELECT ${VALUE_COLS.split(', ')
       .map((c) => `m.${c}`)
       .join(', ')}
     FROM attribute_value m
     JOIN attribute_value e ON e.task_id = m.task_id AND e.direction = 'GENERATED' AND e.name = $2
       AND jsonb_typeof(e.value) = 'number'
     WHERE m.task_id IN (SELECT id FROM sub) AND m.role = 'MODEL_REFERENCE' AND m.direction = 'GENERATED'
     ORDER BY (e.value)::float8 ${order === 'MIN' ? 'ASC' : 'DESC'}, m.id LIMIT 1`,
    [datasetRefIds, measure],
  );
  return res.rows[0] ? toValue(res.rows[0]) : null;
}

/** Models generated by the given tasks or by their descendants through inner transformations. */
// Both walks below descend from each root only through transformations that have child
// transformations in their spec (a training's epochs, never its batches): index scans on
// (parent, transformation). Each row keeps the root it was reached from, so one statement answers
// every root of a query level, and a root inside another root's subtree still gets its own answer.
const INNER_TRANSFORMATIONS = `inner_tr AS (
       SELECT p.id FROM transformation p
       WHERE EXISTS (SELECT 1 FROM transformation c WHERE c.workflow_id = p.workflow_id AND c.parent_name = p.name))`;

/** Models generated by the given tasks or the tasks under them, all roots together, oldest first. */
export async function modelsUnderTasks(pool: Pool, rootTaskIds: string[], limit: number): Promise<ValueRow[]> {
  const res = await pool.query(
    `WITH RECURSIVE ${INNER_TRANSFORMATIONS},
     sub(id) AS (
       SELECT id FROM task_execution WHERE id = ANY($1)
       UNION
       SELECT t.id FROM task_execution t JOIN sub ON t.parent_id = sub.id WHERE t.transformation_id IN (SELECT id FROM inner_tr))
     SELECT ${VALUE_COLS} FROM attribute_value
     WHERE task_id IN (SELECT id FROM sub) AND role = 'MODEL_REFERENCE' AND direction = 'GENERATED'
     ORDER BY attribute_value.id LIMIT $2`,
    [rootTaskIds, limit],
  );
  return res.rows.map(toValue);
}

/** The same per root: one list per root task, oldest first, at most `limit` each. */
export async function modelsUnderEachTask(pool: Pool, rootTaskIds: readonly string[], limit: number): Promise<ValueRow[][]> {
  if (!rootTaskIds.length) return [];
  const res = await pool.query(
    `WITH RECURSIVE ${INNER_TRANSFORMATIONS},
     roots AS (SELECT id, ord FROM unnest($1::text[]) WITH ORDINALITY AS k(id, ord)),
     sub(ord, id) AS (
       SELECT r.ord, t.id FROM roots r JOIN task_execution t ON t.id = r.id
       UNION
       SELECT sub.ord, t.id FROM task_execution t JOIN sub ON t.parent_id = sub.id WHERE t.transformation_id IN (SELECT id FROM inner_tr))
     SELECT ord, ${VALUE_COLS} FROM (
       SELECT sub.ord, v.*, row_number() OVER (PARTITION BY sub.ord ORDER BY v.id) AS n
       FROM sub JOIN attribute_value v ON v.task_id = sub.id
       WHERE v.role = 'MODEL_REFERENCE' AND v.direction = 'GENERATED') x
     WHERE n <= $2 ORDER BY ord, x.id`,
    [rootTaskIds, limit],
  );
  return byOrdinal(rootTaskIds.length, res.rows, toValue);
}

/**
 * Durations of each root's descendant tasks of transformation `transformation`, grouped by their
 * parent (for Q4: batches by epoch), one list per root.
 */
export async function durationStats(
  pool: Pool,
  rootTaskIds: readonly string[],
  transformation: string,
): Promise<DurationStatsRow[][]> {
  if (!rootTaskIds.length) return [];
  const res = await pool.query(
    `WITH RECURSIVE target AS (SELECT id FROM transformation WHERE name = $2),
     ${INNER_TRANSFORMATIONS},
     roots AS (SELECT id, ord FROM unnest($1::text[]) WITH ORDINALITY AS k(id, ord)),
     sub(ord, id, depth) AS (
       SELECT r.ord, t.id, 0 FROM roots r JOIN task_execution t ON t.id = r.id
       UNION ALL
       SELECT sub.ord, t.id, sub.depth + 1 FROM task_execution t JOIN sub ON t.parent_id = sub.id
       WHERE sub.depth < 16 AND t.transformation_id IN (SELECT id FROM inner_tr) AND t.transformation_id NOT IN (SELECT id FROM target))
     SELECT sub.ord, b.parent_id, count(*)::int AS count,
       min(extract(epoch FROM b.ended_at - b.started_at) * 1000) AS min_ms,
       avg(extract(epoch FROM b.ended_at - b.started_at) * 1000) AS avg_ms,
       max(extract(epoch FROM b.ended_at - b.started_at) * 1000) AS max_ms
     FROM sub JOIN task_execution b ON b.parent_id = sub.id AND b.transformation_id IN (SELECT id FROM target)
     GROUP BY sub.ord, b.parent_id ORDER BY sub.ord, min(b.started_at), b.parent_id`,
    [rootTaskIds, transformation],
  );
  return byOrdinal(rootTaskIds.length, res.rows, (r) => ({
    parentId: r.parent_id,
    count: r.count,
    minMs: r.min_ms === null ? null : Number(r.min_ms),
    avgMs: r.avg_ms === null ? null : Number(r.avg_ms),
    maxMs: r.max_ms === null ? null : Number(r.max_ms),
  }));
}

function splitNodes(nodes: string[]) {
  const out = { refs: [] as string[], tasks: [] as string[], runs: [] as string[], agents: [] as string[] };
  for (const n of nodes) {
    const i = n.indexOf(':');
    const kind = n.slice(0, i);
    const key = n.slice(i + 1);
    if (kind === 'ref') out.refs.push(key);
    else if (kind === 'task') out.tasks.push(key);
    else if (kind === 'run') out.runs.push(key);
    else if (kind === 'agent') out.agents.push(key);
  }
  return out;
}

// Each part yields (kind, from, to) in PROV orientation (effect -> cause).
const BACKWARD_PARTS: Record<EdgeKind, string[]> = {
  WAS_GENERATED_BY: [
    `SELECT 'WAS_GENERATED_BY', 'ref:' || data_ref_id, coalesce('task:' || task_id, 'run:' || run_id)
     FROM attribute_value WHERE data_ref_id = ANY($1::bigint[]) AND direction = 'GENERATED'`,
  ],
  USED: [
    `SELECT 'USED', 'task:' || task_id, 'ref:' || data_ref_id FROM attribute_value
     WHERE task_id = ANY($2) AND direction = 'USED' AND data_ref_id IS NOT NULL`,
    `SELECT 'USED', 'run:' || run_id, 'ref:' || data_ref_id FROM attribute_value
     WHERE run_id = ANY($3) AND task_id IS NULL AND direction = 'USED' AND data_ref_id IS NOT NULL`,
  ],
  WAS_PART_OF: [
    `SELECT 'WAS_PART_OF', 'task:' || id, coalesce('task:' || parent_id, 'run:' || run_id) FROM task_execution WHERE id = ANY($2)`,
  ],
  WAS_ASSOCIATED_WITH: [
    `SELECT 'WAS_ASSOCIATED_WITH', 'run:' || id, 'agent:' || agent_id FROM workflow_execution WHERE id = ANY($3) AND agent_id IS NOT NULL`,
  ],
  WAS_DERIVED_FROM: [],
  WAS_INFORMED_BY: [],
  HAD_MEMBER: [],
};
const FORWARD_PARTS: Record<EdgeKind, string[]> = {
  WAS_GENERATED_BY: [
    `SELECT 'WAS_GENERATED_BY', 'ref:' || data_ref_id, 'task:' || task_id FROM attribute_value
     WHERE task_id = ANY($2) AND direction = 'GENERATED' AND data_ref_id IS NOT NULL`,
    `SELECT 'WAS_GENERATED_BY', 'ref:' || data_ref_id, 'run:' || run_id FROM attribute_value
     WHERE run_id = ANY($3) AND task_id IS NULL AND direction = 'GENERATED' AND data_ref_id IS NOT NULL`,
  ],
  USED: [
    `SELECT 'USED', coalesce('task:' || task_id, 'run:' || run_id), 'ref:' || data_ref_id
     FROM attribute_value WHERE data_ref_id = ANY($1::bigint[]) AND direction = 'USED'`,
  ],
  WAS_PART_OF: [
    `SELECT 'WAS_PART_OF', 'task:' || id, 'task:' || parent_id FROM task_execution WHERE parent_id = ANY($2)`,
    `SELECT 'WAS_PART_OF', 'task:' || id, 'run:' || run_id FROM task_execution WHERE run_id = ANY($3) AND parent_id IS NULL`,
  ],
  WAS_ASSOCIATED_WITH: [
    `SELECT 'WAS_ASSOCIATED_WITH', 'run:' || id, 'agent:' || agent_id FROM workflow_execution WHERE agent_id = ANY($4)`,
  ],
  WAS_DERIVED_FROM: [],
  WAS_INFORMED_BY: [],
  HAD_MEMBER: [],
};

export async function lineageStep(
  pool: Pool,
  nodes: string[],
  direction: LineageDirection,
  kinds: ReadonlySet<EdgeKind>,
): Promise<LineageEdge[]> {
  const { refs, tasks, runs, agents } = splitNodes(nodes);
  const parts = direction === 'BACKWARD' ? BACKWARD_PARTS : FORWARD_PARTS;
  const sql: string[] = [];
  for (const kind of kinds) sql.push(...parts[kind]);
  // Explicit PROV relations, stored between node ids.
  const explicit = [...kinds].filter((k) =>
    ['WAS_DERIVED_FROM', 'WAS_INFORMED_BY', 'HAD_MEMBER', 'WAS_ASSOCIATED_WITH'].includes(k),
  );
  if (explicit.length) {
    sql.push(
      direction === 'BACKWARD'
        ? `SELECT kind, subject, object FROM prov_relation WHERE subject = ANY($5) AND kind = ANY($6)`
        : `SELECT kind, subject, object FROM prov_relation WHERE object = ANY($5) AND kind = ANY($6)`,
    );
  }
  if (!sql.length) return [];
  const res = await pool.query<{ kind: EdgeKind; from: string; to: string }>(
    // The typed CTE pins every parameter's type, whichever parts the query uses.
    `WITH p AS (SELECT $1::bigint[] AS a, $2::text[] AS b, $3::text[] AS c, $4::text[] AS d, $5::text[] AS e, $6::text[] AS f)
     SELECT DISTINCT * FROM (${sql.join('\nUNION ALL\n')}) AS e(kind, "from", "to") LIMIT 100000`,
    [refs, tasks, runs, agents, nodes, explicit],
  );
  return res.rows;
}
