import type { Pool } from 'pg';
import { VALUE_COLS, decodeCursor, toPage, toValue } from './pg-mappers';
import type { EdgeKind, LineageDirection, LineageEdge, PageArgs } from './provenance-store';
import type { DurationStatsRow, Page, TelemetryRow, ValueRow } from './rows';

/** The analytical reads: the paper's Q3 (best model) and Q4 (durations), models, lineage steps. */

export async function telemetry(pool: Pool, runId: string, taskId: string | null, limit: number): Promise<TelemetryRow[]> {
  const res = await pool.query(
    `SELECT * FROM telemetry_sample WHERE run_id = $1 AND ($2::text IS NULL OR task_id = $2) ORDER BY recorded_at, id LIMIT $3`,
    [runId, taskId, limit],
  );
  return res.rows.map((r) => ({
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
  }));
}

export async function models(pool: Pool, filter: { workflowName?: string; runId?: string }, page: PageArgs): Promise<Page<ValueRow>> {
  const res = await pool.query(
    `SELECT ${VALUE_COLS} FROM attribute_value
     WHERE role = 'MODEL_REFERENCE' AND direction = 'GENERATED'
       AND ($1::text IS NULL OR run_id IN (SELECT e.id FROM workflow_execution e JOIN workflow w ON w.id = e.workflow_id WHERE w.name = $1))
       AND ($2::text IS NULL OR run_id = $2) AND ($3::bigint IS NULL OR id > $3)
     ORDER BY id LIMIT $4`,
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

export async function bestModel(pool: Pool, datasetRefIds: string[], measure: string, order: 'MIN' | 'MAX'): Promise<ValueRow | null> {
  const res = await pool.query(
    `WITH RECURSIVE ${TRAINING_SUBTREE}
     SELECT ${VALUE_COLS.split(', ').map((c) => `m.${c}`).join(', ')}
     FROM attribute_value m
     JOIN attribute_value e ON e.task_id = m.task_id AND e.direction = 'GENERATED' AND e.name = $2
       AND jsonb_typeof(e.value) = 'number'
     WHERE m.task_id IN (SELECT id FROM sub) AND m.role = 'MODEL_REFERENCE' AND m.direction = 'GENERATED'
     ORDER BY (e.value)::float8 ${order === 'MIN' ? 'ASC' : 'DESC'}, m.id LIMIT 1`,
    [datasetRefIds, measure],
  );
  return res.rows[0] ? toValue(res.rows[0]) : null;
}

export async function durationStats(pool: Pool, rootTaskIds: string[], transformation: string): Promise<DurationStatsRow[]> {
  // Descend from the roots through every task that is not itself of the target transformation,
  // then aggregate the target tasks by parent: for Q4, batches grouped by epoch.
  const res = await pool.query(
    `WITH RECURSIVE target AS (SELECT id FROM transformation WHERE name = $2),
     sub(id, depth) AS (
       SELECT id, 0 FROM task_execution WHERE id = ANY($1) AND transformation_id NOT IN (SELECT id FROM target)
       UNION ALL
       SELECT t.id, sub.depth + 1 FROM task_execution t JOIN sub ON t.parent_id = sub.id
       WHERE sub.depth < 16 AND t.transformation_id NOT IN (SELECT id FROM target)
         AND EXISTS (SELECT 1 FROM task_execution c WHERE c.parent_id = t.id))
     SELECT b.parent_id, count(*)::int AS count,
       min(extract(epoch FROM b.ended_at - b.started_at) * 1000) AS min_ms,
       avg(extract(epoch FROM b.ended_at - b.started_at) * 1000) AS avg_ms,
       max(extract(epoch FROM b.ended_at - b.started_at) * 1000) AS max_ms
     FROM task_execution b
     WHERE b.parent_id IN (SELECT id FROM sub) AND b.transformation_id IN (SELECT id FROM target)
     GROUP BY b.parent_id ORDER BY min(b.started_at), b.parent_id`,
    [rootTaskIds, transformation],
  );
  return res.rows.map((r) => ({
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
  const explicit = [...kinds].filter((k) => ['WAS_DERIVED_FROM', 'WAS_INFORMED_BY', 'HAD_MEMBER', 'WAS_ASSOCIATED_WITH'].includes(k));
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
