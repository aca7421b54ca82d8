import type { PoolClient } from 'pg';
import type { IngestTx } from './provenance-store';
import type { AgentRow, AttributeRow, MetricRow, RelationRow, RunRow, TaskRow, TelemetryRow, ValueRow } from './rows';
import { toAttribute } from './pg-mappers';

const json = (v: unknown): string | null => (v === undefined ? null : JSON.stringify(v));

/**
 * Bulk writes of one ingest batch. Every statement is one multi-row INSERT or UPDATE over
 * `unnest` of column arrays: a batch costs a handful of round trips whatever its size.
 */
export class PgIngestTx implements IngestTx {
  constructor(private readonly client: PoolClient) {}

  async claimEventIds(ids: string[]): Promise<Set<string>> {
    if (!ids.length) return new Set();
    const res = await this.client.query<{ id: string }>(
      `INSERT INTO ingested_event (id) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING RETURNING id`,
      [ids],
    );
    const claimed = new Set(res.rows.map((r) => r.id));
    return new Set(ids.filter((id) => !claimed.has(id)));
  }

  async upsertAgents(rows: AgentRow[]): Promise<void> {
    if (!rows.length) return;
    await this.client.query(
      `INSERT INTO agent (id, kind, name, attributes)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::jsonb[])
       ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind, name = coalesce(EXCLUDED.name, agent.name),
         attributes = agent.attributes || EXCLUDED.attributes`,
      [rows.map((r) => r.id), rows.map((r) => r.kind), rows.map((r) => r.name), rows.map((r) => json(r.attributes))],
    );
  }

  async insertRuns(rows: RunRow[]): Promise<void> {
    if (!rows.length) return;
    await this.client.query(
      `INSERT INTO workflow_execution (id, workflow_id, agent_id, status, started_at, ended_at, attributes)
       SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::timestamptz[], $6::timestamptz[], $7::jsonb[])
       ON CONFLICT (id) DO NOTHING`,
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
  }

  async endRuns(rows: Array<{ id: string; status: string; endedAt: Date; attributes: Record<string, unknown> }>): Promise<void> {
    if (!rows.length) return;
    await this.client.query(
      `UPDATE workflow_execution w SET status = u.status, ended_at = u.ended_at, attributes = w.attributes || u.attributes
       FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::jsonb[]) AS u(id, status, ended_at, attributes)
       WHERE w.id = u.id`,
      [rows.map((r) => r.id), rows.map((r) => r.status), rows.map((r) => r.endedAt), rows.map((r) => json(r.attributes))],
    );
  }

  async insertTasks(rows: TaskRow[]): Promise<void> {
    if (!rows.length) return;
    await this.client.query(
      `INSERT INTO task_execution (id, run_id, transformation_id, parent_id, status, host, started_at, ended_at, attributes)
       SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[],
                            $7::timestamptz[], $8::timestamptz[], $9::jsonb[])
       ON CONFLICT (id) DO NOTHING`,
      [
        rows.map((r) => r.id),
        rows.map((r) => r.runId),
        rows.map((r) => r.transformationId),
        rows.map((r) => r.parentId),
        rows.map((r) => r.status),
        rows.map((r) => r.host),
        rows.map((r) => r.startedAt),
        rows.map((r) => r.endedAt),
        rows.map((r) => json(r.attributes)),
      ],
    );
  }

  async endTasks(rows: Array<{ id: string; status: string; endedAt: Date; attributes: Record<string, unknown> }>): Promise<void> {
    if (!rows.length) return;
    await this.client.query(
      `UPDATE task_execution t SET status = u.status, ended_at = u.ended_at, attributes = t.attributes || u.attributes
       FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::jsonb[]) AS u(id, status, ended_at, attributes)
       WHERE t.id = u.id`,
      [rows.map((r) => r.id), rows.map((r) => r.status), rows.map((r) => r.endedAt), rows.map((r) => json(r.attributes))],
    );
  }

  async ensureDataRefs(refs: Array<{ uri: string; store: string }>): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    if (!refs.length) return out;
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

  async ensureAttributes(rows: Array<Omit<AttributeRow, 'id' | 'declared'>>): Promise<AttributeRow[]> {
    if (!rows.length) return [];
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
       SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::jsonb[],
                            $8::bigint[], $9::timestamptz[])`,
      [
        rows.map((r) => r.runId),
        rows.map((r) => r.taskId),
        rows.map((r) => r.attributeId),
        rows.map((r) => r.name),
        rows.map((r) => r.role),
        rows.map((r) => r.direction),
        rows.map((r) => json(r.value)),
        rows.map((r) => r.dataRefId),
        rows.map((r) => r.recordedAt),
      ],
    );
  }

  async insertMetrics(rows: MetricRow[]): Promise<void> {
    if (!rows.length) return;
    await this.client.query(
      `INSERT INTO metric_point (run_id, task_id, name, value, step, context, recorded_at)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::float8[], $5::bigint[], $6::text[], $7::timestamptz[])`,
      [
        rows.map((r) => r.runId),
        rows.map((r) => r.taskId),
        rows.map((r) => r.name),
        rows.map((r) => r.value),
        rows.map((r) => r.step),
        rows.map((r) => r.context),
        rows.map((r) => r.recordedAt),
      ],
    );
  }

  async insertTelemetry(rows: TelemetryRow[]): Promise<void> {
    if (!rows.length) return;
    await this.client.query(
      `INSERT INTO telemetry_sample (run_id, task_id, host, gpu_index, gpu_name, gpu_utilization, gpu_memory_used,
         gpu_memory_total, gpu_power, gpu_temperature, gpu_energy, cpu_percent, rss_bytes, recorded_at)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::text[], $6::float8[], $7::bigint[],
         $8::bigint[], $9::float8[], $10::float8[], $11::float8[], $12::float8[], $13::bigint[], $14::timestamptz[])`,
      [
        rows.map((r) => r.runId),
        rows.map((r) => r.taskId),
        rows.map((r) => r.host),
        rows.map((r) => r.gpuIndex),
        rows.map((r) => r.gpuName),
        rows.map((r) => r.gpuUtilization),
        rows.map((r) => r.gpuMemoryUsed),
        rows.map((r) => r.gpuMemoryTotal),
        rows.map((r) => r.gpuPower),
        rows.map((r) => r.gpuTemperature),
        rows.map((r) => r.gpuEnergy),
        rows.map((r) => r.cpuPercent),
        rows.map((r) => r.rssBytes),
        rows.map((r) => r.recordedAt),
      ],
    );
  }

  async insertRelations(rows: RelationRow[]): Promise<void> {
    if (!rows.length) return;
    await this.client.query(
      `INSERT INTO prov_relation (kind, subject, object) SELECT * FROM unnest($1::text[], $2::text[], $3::text[])
       ON CONFLICT DO NOTHING`,
      [rows.map((r) => r.kind), rows.map((r) => r.subject), rows.map((r) => r.object)],
    );
  }
}
