import type { Pool, PoolClient } from 'pg';
import { FastPathConflict, type IngestTx } from './provenance-store';
import type { AgentRow, AttributeRow, BatchRows, MetricRow, RelationRow, RunRow, TaskRow, TelemetryRow, ValueRow } from './rows';
import { toAttribute } from './pg-mappers';
import { appendLiveChanges } from './pg-live-log';
import type { LiveChangeInput, StreamHead } from '../../ingest/live-changes';
import { freshBatchStatement } from './pg-ingest-fresh';
import { SEP, byKey, json } from './pg-ingest-sql';
import { settleParked, takeReleasable, type CascadeRejected, type ParkedRow, type ParkedSettlement } from './pg-parked-events';

// unique_violation: a claimed id, run or task is stored already. Deadlock and serialization
// failure: another writer met this one. Either way the careful path decides.
const FAST_PATH_REFUSALS = new Set(['23505', '40P01', '40001']);

/**
 * Runs the fast path's statement (rows and live-log changes together); returns the live streams'
 * new heads. A refusal becomes FastPathConflict, anything else propagates.
 */
export async function runFreshStatement(
  client: Pool | PoolClient,
  rows: BatchRows,
  changes: readonly LiveChangeInput[],
): Promise<StreamHead[]> {
  const { text, values } = freshBatchStatement(rows, changes);
  try {
    if (!changes.length) {
      await client.query(text, values);
      return [];
    }
    const res = await client.query<{ stream: string; seq: string }>(text, values);
    return res.rows.map((r) => ({ stream: r.stream, seq: Number(r.seq) }));
  } catch (err) {
    const code = (err as { code?: unknown } | null)?.code;
    if (typeof code === 'string' && FAST_PATH_REFUSALS.has(code)) throw new FastPathConflict(code);
    throw err;
  }
}

/**
 * Bulk writes of one ingest batch. Every statement is one multi-row INSERT or UPDATE: a batch
 * costs a handful of round trips whatever its size. The hot tables take their rows as one JSON
 * document (`json_to_recordset`): one native JSON.stringify, parsed by PostgreSQL in C, instead of
 * `pg` escaping every element of a dozen column arrays in JavaScript.
 */
export class PgIngestTx implements IngestTx {
  constructor(private readonly client: PoolClient) {}

  insertFresh(rows: BatchRows, changes: readonly LiveChangeInput[]): Promise<StreamHead[]> {
    return runFreshStatement(this.client, rows, changes);
  }

  async claimEventIds(ids: string[]): Promise<Set<string>> {
    if (!ids.length) return new Set();
    const res = await this.client.query<{ id: string }>(
      `INSERT INTO ingested_event (id) SELECT value FROM json_array_elements_text($1::json) ON CONFLICT DO NOTHING RETURNING id`,
      [JSON.stringify(byKey(ids, (id) => id))],
    );
    const claimed = new Set(res.rows.map((r) => r.id));
    return new Set(ids.filter((id) => !claimed.has(id)));
  }

  async upsertAgents(unsorted: AgentRow[]): Promise<void> {
    if (!unsorted.length) return;
    const rows = byKey(unsorted, (r) => r.id);
    await this.client.query(
      `INSERT INTO agent (id, kind, name, attributes)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::jsonb[])
       ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind, name = coalesce(EXCLUDED.name, agent.name),
         attributes = agent.attributes || EXCLUDED.attributes`,
      [rows.map((r) => r.id), rows.map((r) => r.kind), rows.map((r) => r.name), rows.map((r) => json(r.attributes))],
    );
  }

  async insertRuns(unsorted: RunRow[]): Promise<Set<string>> {
    if (!unsorted.length) return new Set();
    const rows = byKey(unsorted, (r) => r.id);
    const res = await this.client.query<{ id: string }>(
      `INSERT INTO workflow_execution (id, workflow_id, agent_id, status, started_at, ended_at, attributes)
       SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::timestamptz[], $6::timestamptz[], $7::jsonb[])
       ON CONFLICT (id) DO NOTHING
       RETURNING id`,
      [
        rows.map((r) => r.id),
        rows.map((r) => r.workflowId),
        rows.map((r) => r.agentId),
        rows.map((r) => r.status),
        rows.map((r) => r.startedAt),
        rows.map((r) => r.endedAt),
        rows.map((r) => json(r.attributes)),
      ],
    );
    return new Set(res.rows.map((r) => r.id));
  }

  async endRuns(
    unsorted: Array<{ id: string; status: string; endedAt: Date; attributes: Record<string, unknown> }>,
  ): Promise<void> {
    if (!unsorted.length) return;
    const rows = byKey(unsorted, (r) => r.id);
    // An UPDATE locks rows in whatever order its join plan visits them; the materialised CTE
    // locks them in key order first.
    await this.client.query(
      `WITH locked AS MATERIALIZED (SELECT id FROM workflow_execution WHERE id = ANY($1::text[]) ORDER BY id FOR NO KEY UPDATE)
       UPDATE workflow_execution w SET status = u.status, ended_at = u.ended_at, attributes = w.attributes || u.attributes
       FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::jsonb[]) AS u(id, status, ended_at, attributes), locked l
       WHERE w.id = u.id AND l.id = u.id`,
      [rows.map((r) => r.id), rows.map((r) => r.status), rows.map((r) => r.endedAt), rows.map((r) => json(r.attributes))],
    );
  }

  async insertTasks(unsorted: TaskRow[]): Promise<Set<string>> {
    if (!unsorted.length) return new Set();
    const rows = byKey(unsorted, (r) => r.id);
    const res = await this.client.query<{ id: string }>(
      `INSERT INTO task_execution AS t (id, run_id, transformation_id, parent_id, status, host, started_at, ended_at, attributes)
       SELECT id, "runId", "transformationId", "parentId", status, host, "startedAt", "endedAt", coalesce(attributes, '{}')
       FROM json_to_recordset($1::json) AS r(id text, "runId" text, "transformationId" bigint, "parentId" text, status text,
         host text, "startedAt" timestamptz, "endedAt" timestamptz, attributes jsonb)
       ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, started_at = EXCLUDED.started_at,
         ended_at = EXCLUDED.ended_at, parent_id = coalesce(t.parent_id, EXCLUDED.parent_id),
         host = coalesce(t.host, EXCLUDED.host), attributes = t.attributes || EXCLUDED.attributes
       -- A task begun again keeps its first begin, unless it was only generated (known, not started):
       -- then this batch starts it (and may have ended it too, folded into the row by writeBatch).
       WHERE t.status = 'GENERATED' AND EXCLUDED.status <> 'GENERATED'
       RETURNING id`,
      [JSON.stringify(rows)],
    );
    return new Set(res.rows.map((r) => r.id));
  }

  async endTasks(
    unsorted: Array<{ id: string; status: string; endedAt: Date; attributes: Record<string, unknown> }>,
  ): Promise<void> {
    if (!unsorted.length) return;
    const rows = byKey(unsorted, (r) => r.id);
    await this.client.query(
      `WITH locked AS MATERIALIZED (SELECT id FROM task_execution WHERE id = ANY($2::text[]) ORDER BY id FOR NO KEY UPDATE)
       UPDATE task_execution t SET status = u.status, ended_at = u."endedAt", attributes = t.attributes || coalesce(u.attributes, '{}')
       FROM json_to_recordset($1::json) AS u(id text, status text, "endedAt" timestamptz, attributes jsonb), locked l
       WHERE t.id = u.id AND l.id = u.id`,
      [JSON.stringify(rows), rows.map((r) => r.id)],
    );
  }

  async ensureDataRefs(unsorted: Array<{ uri: string; store: string }>): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    if (!unsorted.length) return out;
    const refs = byKey(unsorted, (r) => `${r.uri}${SEP}${r.store}`);
    const uris = refs.map((r) => r.uri);
    const stores = refs.map((r) => r.store);
    // Insert-then-select: ON CONFLICT DO NOTHING returns nothing for rows that already exist.
    await this.client.query(
      `INSERT INTO data_reference (uri, store) SELECT * FROM unnest($1::text[], $2::text[])
       ON CONFLICT (uri, store) DO NOTHING`,
      [uris, stores],
    );
    const res = await this.client.query<{ id: string; uri: string; store: string }>(
      `SELECT d.id::text, d.uri, d.store FROM data_reference d
       JOIN unnest($1::text[], $2::text[]) AS k(uri, store) ON d.uri = k.uri AND d.store = k.store`,
      [uris, stores],
    );
    for (const r of res.rows) out.set(`${r.store}\u0000${r.uri}`, r.id);
    return out;
  }

  async ensureAttributes(unsorted: Array<Omit<AttributeRow, 'id' | 'declared'>>): Promise<AttributeRow[]> {
    if (!unsorted.length) return [];
    const rows = byKey(unsorted, (r) => `${r.workflowId}${SEP}${r.transformationId ?? '0'}${SEP}${r.direction}${SEP}${r.name}`);
    const cols = [
      rows.map((r) => r.workflowId),
      rows.map((r) => r.transformationId),
      rows.map((r) => r.name),
      rows.map((r) => r.role),
      rows.map((r) => r.direction),
    ];
    await this.client.query(
      `INSERT INTO attribute (workflow_id, transformation_id, name, role, direction, declared)
       SELECT w, t, n, r, d, false FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[]) AS u(w, t, n, r, d)
       ON CONFLICT (workflow_id, coalesce(transformation_id, 0), direction, name) DO NOTHING`,
      cols,
    );
    const res = await this.client.query(
      `SELECT a.id::text, a.workflow_id::text, a.transformation_id::text, a.name, a.role, a.direction, a.declared
       FROM attribute a JOIN unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[]) AS u(w, t, n, d)
         ON a.workflow_id = u.w AND coalesce(a.transformation_id, 0) = coalesce(u.t, 0) AND a.name = u.n AND a.direction = u.d`,
      [cols[0], cols[1], cols[2], cols[4]],
    );
    return res.rows.map(toAttribute);
  }

  async insertValues(rows: Array<Omit<ValueRow, 'id'>>): Promise<void> {
    if (!rows.length) return;
    await this.client.query(
      `INSERT INTO attribute_value (run_id, task_id, attribute_id, name, role, direction, value, data_ref_id, recorded_at)
       SELECT "runId", "taskId", "attributeId", name, role, direction, value, "dataRefId", "recordedAt"
       FROM json_to_recordset($1::json) AS r("runId" text, "taskId" text, "attributeId" bigint, name text, role text,
         direction text, value jsonb, "dataRefId" bigint, "recordedAt" timestamptz)`,
      [JSON.stringify(rows)],
    );
  }

  async insertMetrics(rows: MetricRow[]): Promise<void> {
    if (!rows.length) return;
    await this.client.query(
      `INSERT INTO metric_point (run_id, task_id, name, value, step, context, recorded_at)
       SELECT "runId", "taskId", name, value, step, context, "recordedAt"
       FROM json_to_recordset($1::json) AS r("runId" text, "taskId" text, name text, value float8, step bigint,
         context text, "recordedAt" timestamptz)`,
      [JSON.stringify(rows)],
    );
  }

  async insertTelemetry(rows: TelemetryRow[]): Promise<void> {
    if (!rows.length) return;
    await this.client.query(
      `INSERT INTO telemetry_sample (run_id, task_id, host, gpu_index, gpu_name, gpu_utilization, gpu_memory_used,
         gpu_memory_total, gpu_power, gpu_temperature, gpu_energy, cpu_percent, rss_bytes, recorded_at)
       SELECT "runId", "taskId", host, "gpuIndex", "gpuName", "gpuUtilization", "gpuMemoryUsed", "gpuMemoryTotal",
         "gpuPower", "gpuTemperature", "gpuEnergy", "cpuPercent", "rssBytes", "recordedAt"
       FROM json_to_recordset($1::json) AS r("runId" text, "taskId" text, host text, "gpuIndex" int, "gpuName" text,
         "gpuUtilization" float8, "gpuMemoryUsed" bigint, "gpuMemoryTotal" bigint, "gpuPower" float8,
         "gpuTemperature" float8, "gpuEnergy" float8, "cpuPercent" float8, "rssBytes" bigint, "recordedAt" timestamptz)`,
      [JSON.stringify(rows)],
    );
  }

  async insertRelations(unsorted: RelationRow[]): Promise<void> {
    if (!unsorted.length) return;
    const rows = byKey(unsorted, (r) => `${r.kind}${SEP}${r.subject}${SEP}${r.object}`);
    await this.client.query(
      `INSERT INTO prov_relation (kind, subject, object) SELECT * FROM unnest($1::text[], $2::text[], $3::text[])
       ON CONFLICT DO NOTHING`,
      [rows.map((r) => r.kind), rows.map((r) => r.subject), rows.map((r) => r.object)],
    );
  }

  appendLiveChanges(changes: readonly LiveChangeInput[]): Promise<StreamHead[]> {
    return appendLiveChanges(this.client, changes);
  }

  takeReleasableParked(limit: number): Promise<ParkedRow[] | null> {
    return takeReleasable(this.client, limit);
  }

  settleParked(settlement: ParkedSettlement): Promise<CascadeRejected[]> {
    return settleParked(this.client, settlement);
  }
}
