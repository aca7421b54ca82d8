import type { Pool, QueryResultRow } from 'pg';
import { VALUE_COLS, decodeCursor, toMetric, toPage, toValue } from './pg-mappers';
import type { EdgeKind, LineageDirection, LineageEdge, ModelListFilter, PageArgs } from './provenance-store';
import { modelConditionSql } from './pg-model-conditions';
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

// ORDER BY names m.id: a bare `id` would sort the id::text output column as text.
export async function models(pool: Pool, filter: ModelListFilter, page: PageArgs): Promise<Page<ValueRow>> {
  const params: unknown[] = [filter.workflowName ?? null, filter.runId ?? null, decodeCursor(page.after), page.first + 1];
  const conditions = modelConditionSql(filter, params);
  const res = await pool.query(
    `SELECT ${VALUE_COLS} FROM attribute_value m
     WHERE m.role = 'MODEL_REFERENCE' AND m.direction = 'GENERATED'
       AND ($1::text IS NULL OR m.run_id IN (SELECT e.id FROM workflow_execution e JOIN workflow w ON w.id = e.workflow_id WHERE w.name = $1))
       AND ($2::text IS NULL OR m.run_id = $2) AND ($3::bigint IS NULL OR m.id > $3)
       ${conditions.map((t) => `AND ${t}`).join('\n       ')}
     ORDER BY m.id LIMIT $4`,
    params,
  );
  return toPage(res.rows.map(toValue), page.first, (v) => v.id);
}

// Nesting is retrospective: a task is under another when it names it as `parent` at ingest
// (training -> epoch -> batch, a ProvLake cycle's iterations under their training). The walks
// below follow task_execution.parent_id alone; a spec's `parent` is documentation, never needed.

/**
 * CTE `under(ord, vid)`: for each root of CTE `roots(id, ord)`, the MODEL_REFERENCE values
 * generated by the root or by any task nested under it. Driven from the models, not the tasks: a
 * training has thousands of batch tasks and a handful of models, so each model of the roots' runs
 * (index `attribute_value_run_models`) walks up its task's parents, and a root on that chain owns
 * it. UNION ends the walk on a parent cycle.
 */
const MODELS_UNDER_ROOTS = `
  model_run AS (SELECT DISTINCT t.run_id FROM roots r JOIN task_execution t ON t.id = r.id),
  model AS (
    SELECT v.id, v.task_id FROM attribute_value v
    WHERE v.run_id IN (SELECT run_id FROM model_run) AND v.role = 'MODEL_REFERENCE' AND v.direction = 'GENERATED'
      AND v.task_id IS NOT NULL),
  up(vid, task_id) AS (
    SELECT id, task_id FROM model
    UNION
    SELECT up.vid, t.parent_id FROM up JOIN task_execution t ON t.id = up.task_id WHERE t.parent_id IS NOT NULL),
  under AS (SELECT r.ord, up.vid FROM up JOIN roots r ON r.id = up.task_id)`;

const VALUE_COLS_OF = (alias: string) =>
  VALUE_COLS.split(', ')
    .map((c) => `${alias}.${c}`)
    .join(', ');

/** Q3: among the models under the tasks that used the datasets, the one with the least (most) `measure`. */
export async function bestModel(
  pool: Pool,
  datasetRefIds: string[],
  measure: string,
  order: 'MIN' | 'MAX',
): Promise<ValueRow | null> {
  const res = await pool.query({
    // Named statements below: prepared once per connection, since planning these costs more than running them.
    name: `provml.bestModel.${order}`,
    text: `WITH RECURSIVE roots AS (
       SELECT DISTINCT task_id AS id, 1 AS ord FROM attribute_value
       WHERE data_ref_id = ANY($1::bigint[]) AND direction = 'USED' AND task_id IS NOT NULL),
     ${MODELS_UNDER_ROOTS}
     SELECT ${VALUE_COLS_OF('m')}
     FROM attribute_value m
     JOIN attribute_value e ON e.task_id = m.task_id AND e.direction = 'GENERATED' AND e.name = $2
       AND jsonb_typeof(e.value) = 'number'
     WHERE m.id IN (SELECT vid FROM under)
     ORDER BY (e.value)::float8 ${order === 'MIN' ? 'ASC' : 'DESC'}, m.id LIMIT 1`,
    values: [datasetRefIds, measure],
  });
  return res.rows[0] ? toValue(res.rows[0]) : null;
}

/** Models generated by the given tasks or the tasks under them, all roots together, oldest first. */
export async function modelsUnderTasks(pool: Pool, rootTaskIds: string[], limit: number): Promise<ValueRow[]> {
  const res = await pool.query({
    name: 'provml.modelsUnderTasks',
    text: `WITH RECURSIVE roots AS (SELECT id, 1 AS ord FROM unnest($1::text[]) AS k(id)),
     ${MODELS_UNDER_ROOTS}
     SELECT ${VALUE_COLS} FROM attribute_value
     WHERE attribute_value.id IN (SELECT vid FROM under)
     ORDER BY attribute_value.id LIMIT $2`,
    values: [rootTaskIds, limit],
  });
  return res.rows.map(toValue);
}

/**
 * The same per root: one list per root task, oldest first, at most `limit` each. A root inside
 * another root's subtree gets its own answer.
 */
export async function modelsUnderEachTask(pool: Pool, rootTaskIds: readonly string[], limit: number): Promise<ValueRow[][]> {
  if (!rootTaskIds.length) return [];
  const res = await pool.query({
    name: 'provml.modelsUnderEachTask',
    text: `WITH RECURSIVE roots AS (SELECT id, ord FROM unnest($1::text[]) WITH ORDINALITY AS k(id, ord)),
     ${MODELS_UNDER_ROOTS}
     SELECT ord, ${VALUE_COLS} FROM (
       SELECT under.ord, v.*, row_number() OVER (PARTITION BY under.ord ORDER BY v.id) AS n
       FROM under JOIN attribute_value v ON v.id = under.vid) x
     WHERE n <= $2 ORDER BY ord, x.id`,
    values: [rootTaskIds, limit],
  });
  return byOrdinal(rootTaskIds.length, res.rows, toValue);
}

/**
 * Durations of each root's descendant tasks of transformation `transformation`, grouped by their
 * parent (for Q4: batches by epoch), one list per root, groups in the order their first task began.
 *
 * Each row of the walk is one (task, child transformation) group with its children's aggregate:
 * one index-only scan of `task_execution_parent` per walked task reads all its children's
 * (transformation, start, stored duration) at once. The walk then descends into the children of
 * each group that is not the target (a training's epochs, a cycle's iterations, a validation
 * step), never into the targets themselves: an epoch's batches are read once, for its aggregate.
 * UNION ends the walk on a parent cycle.
 */
export async function durationStats(
  pool: Pool,
  rootTaskIds: readonly string[],
  transformation: string,
): Promise<DurationStatsRow[][]> {
  if (!rootTaskIds.length) return [];
  const children = (parent: string) =>
    `SELECT c.transformation_id, count(*)::int, min(c.duration_ms), avg(c.duration_ms), max(c.duration_ms), min(c.started_at)
       FROM task_execution c WHERE c.parent_id = ${parent} GROUP BY c.transformation_id`;
  const res = await pool.query({
    name: 'provml.durationStats',
    text: `WITH RECURSIVE roots AS (SELECT id, ord FROM unnest($1::text[]) WITH ORDINALITY AS k(id, ord)),
     target AS (SELECT id FROM transformation WHERE name = $2),
     g(ord, id, tr, count, min_ms, avg_ms, max_ms, first) AS (
       SELECT r.ord, r.id, a.* FROM roots r CROSS JOIN LATERAL (${children('r.id')}) a
       UNION
       SELECT g.ord, t.id, a.* FROM g JOIN task_execution t ON t.parent_id = g.id AND t.transformation_id = g.tr
         CROSS JOIN LATERAL (${children('t.id')}) a
       WHERE g.tr NOT IN (SELECT id FROM target))
     SELECT ord, id AS parent_id, count, min_ms, avg_ms, max_ms FROM g WHERE tr IN (SELECT id FROM target)
     ORDER BY ord, first, id`,
    values: [rootTaskIds, transformation],
  });
  return byOrdinal(rootTaskIds.length, res.rows, (r) => ({
    parentId: r.parent_id,
    count: r.count,
    minMs: r.min_ms,
    avgMs: r.avg_ms,
    maxMs: r.max_ms,
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

/** Which node kind of the frontier a part of a lineage step starts from ($1 refs ... $4 agents). */
type Side = 'refs' | 'tasks' | 'runs' | 'agents';
interface Part {
  from: Side;
  sql: string;
}

// Each part yields (kind, from, to) in PROV orientation (effect -> cause).
const BACKWARD_PARTS: Record<EdgeKind, Part[]> = {
  WAS_GENERATED_BY: [
    {
      from: 'refs',
      sql: `SELECT 'WAS_GENERATED_BY', 'ref:' || data_ref_id, coalesce('task:' || task_id, 'run:' || run_id)
     FROM attribute_value WHERE data_ref_id = ANY($1::bigint[]) AND direction = 'GENERATED'`,
    },
  ],
  USED: [
    {
      from: 'tasks',
      sql: `SELECT 'USED', 'task:' || task_id, 'ref:' || data_ref_id FROM attribute_value
     WHERE task_id = ANY($2) AND direction = 'USED' AND data_ref_id IS NOT NULL`,
    },
    {
      from: 'runs',
      sql: `SELECT 'USED', 'run:' || run_id, 'ref:' || data_ref_id FROM attribute_value
     WHERE run_id = ANY($3) AND task_id IS NULL AND direction = 'USED' AND data_ref_id IS NOT NULL`,
    },
  ],
  WAS_PART_OF: [
    {
      from: 'tasks',
      sql: `SELECT 'WAS_PART_OF', 'task:' || id, coalesce('task:' || parent_id, 'run:' || run_id) FROM task_execution WHERE id = ANY($2)`,
    },
  ],
  WAS_ASSOCIATED_WITH: [
    {
      from: 'runs',
      sql: `SELECT 'WAS_ASSOCIATED_WITH', 'run:' || id, 'agent:' || agent_id FROM workflow_execution WHERE id = ANY($3) AND agent_id IS NOT NULL`,
    },
  ],
  WAS_DERIVED_FROM: [],
  WAS_INFORMED_BY: [],
  HAD_MEMBER: [],
};
const FORWARD_PARTS: Record<EdgeKind, Part[]> = {
  WAS_GENERATED_BY: [
    {
      from: 'tasks',
      sql: `SELECT 'WAS_GENERATED_BY', 'ref:' || data_ref_id, 'task:' || task_id FROM attribute_value
     WHERE task_id = ANY($2) AND direction = 'GENERATED' AND data_ref_id IS NOT NULL`,
    },
    {
      from: 'runs',
      sql: `SELECT 'WAS_GENERATED_BY', 'ref:' || data_ref_id, 'run:' || run_id FROM attribute_value
     WHERE run_id = ANY($3) AND task_id IS NULL AND direction = 'GENERATED' AND data_ref_id IS NOT NULL`,
    },
  ],
  USED: [
    {
      from: 'refs',
      sql: `SELECT 'USED', coalesce('task:' || task_id, 'run:' || run_id), 'ref:' || data_ref_id
     FROM attribute_value WHERE data_ref_id = ANY($1::bigint[]) AND direction = 'USED'`,
    },
  ],
  WAS_PART_OF: [
    {
      from: 'tasks',
      sql: `SELECT 'WAS_PART_OF', 'task:' || id, 'task:' || parent_id FROM task_execution WHERE parent_id = ANY($2)`,
    },
    {
      from: 'runs',
      sql: `SELECT 'WAS_PART_OF', 'task:' || id, 'run:' || run_id FROM task_execution WHERE run_id = ANY($3) AND parent_id IS NULL`,
    },
  ],
  WAS_ASSOCIATED_WITH: [
    {
      from: 'agents',
      sql: `SELECT 'WAS_ASSOCIATED_WITH', 'run:' || id, 'agent:' || agent_id FROM workflow_execution WHERE agent_id = ANY($4)`,
    },
  ],
  WAS_DERIVED_FROM: [],
  WAS_INFORMED_BY: [],
  HAD_MEMBER: [],
};
const EXPLICIT_KINDS: ReadonlySet<EdgeKind> = new Set([
  'WAS_DERIVED_FROM',
  'WAS_INFORMED_BY',
  'HAD_MEMBER',
  'WAS_ASSOCIATED_WITH',
]);

/**
 * Statement names by text: a lineage step is one of a few dozen texts (the parts its frontier's
 * node kinds and the asked edge kinds select), each prepared once per connection. A deep lineage
 * is one step per level, and planning the full eight-part union cost more than running it.
 */
const stepNames = new Map<string, string>();
const stepName = (text: string) => {
  let name = stepNames.get(text);
  if (!name) stepNames.set(text, (name = `provml.lineageStep.${stepNames.size}`));
  return name;
};

export async function lineageStep(
  pool: Pool,
  nodes: string[],
  direction: LineageDirection,
  kinds: ReadonlySet<EdgeKind>,
): Promise<LineageEdge[]> {
  const split = splitNodes(nodes);
  const parts = direction === 'BACKWARD' ? BACKWARD_PARTS : FORWARD_PARTS;
  const sql: string[] = [];
  // Only the parts that start from a node kind the frontier holds: the others would match nothing.
  for (const kind of kinds) for (const part of parts[kind]) if (split[part.from].length) sql.push(part.sql);
  // Explicit PROV relations, stored between node ids.
  const explicit = [...kinds].filter((k) => EXPLICIT_KINDS.has(k));
  if (explicit.length) {
    sql.push(
      direction === 'BACKWARD'
        ? `SELECT kind, subject, object FROM prov_relation WHERE subject = ANY($5) AND kind = ANY($6)`
        : `SELECT kind, subject, object FROM prov_relation WHERE object = ANY($5) AND kind = ANY($6)`,
    );
  }
  if (!sql.length) return [];
  // The typed CTE pins every parameter's type, whichever parts the statement holds.
  const text = `WITH p AS (SELECT $1::bigint[] AS a, $2::text[] AS b, $3::text[] AS c, $4::text[] AS d, $5::text[] AS e, $6::text[] AS f)
     SELECT DISTINCT * FROM (${sql.join('\nUNION ALL\n')}) AS e(kind, "from", "to") LIMIT 100000`;
  const res = await pool.query<{ kind: EdgeKind; from: string; to: string }>({
    name: stepName(text),
    text,
    values: [split.refs, split.tasks, split.runs, split.agents, nodes, explicit],
  });
  return res.rows;
}
