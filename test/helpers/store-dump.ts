import pg from 'pg';

/**
 * A canonical dump of everything ingest stored: two stores that hold the same provenance give
 * the same dump, whatever batches, order or replicas wrote them. Normalized, and only these:
 * - surrogate keys (bigserial ids of attributes, values, data references, metric points,
 *   telemetry, relations, jobs): each row names what they point at instead (an attribute by
 *   workflow, transformation, direction and name; a data reference by uri and store);
 * - ingestion timestamps (data_reference.created_at, ingested_event.received_at, the queues'
 *   enqueue and due times, live_change.committed_at): when the server wrote, not what happened;
 * - the live log's grouping: one change per stream per commit, so how many changes (and their
 *   seq) follows the batches; what the changes carry, flattened, must be the same.
 * Rows of a table are a multiset: sorted by their JSON text.
 */
export type StoreDump = Record<string, unknown[]>;

const TABLES: Record<string, string> = {
  workflow_execution: `
    SELECT r.id, w.name AS workflow, w.version, r.agent_id, r.status, r.started_at, r.ended_at, r.attributes
    FROM workflow_execution r JOIN workflow w ON w.id = r.workflow_id`,
  task_execution: `
    SELECT t.id, t.run_id, tr.name AS transformation, t.parent_id, t.status, t.host, t.started_at,
           t.ended_at, t.duration_ms, t.attributes
    FROM task_execution t JOIN transformation tr ON tr.id = t.transformation_id`,
  attribute: `
    SELECT w.name AS workflow, w.version, tr.name AS transformation, a.name, a.role, a.direction, a.declared
    FROM attribute a JOIN workflow w ON w.id = a.workflow_id LEFT JOIN transformation tr ON tr.id = a.transformation_id`,
  attribute_value: `
    SELECT v.run_id, v.task_id, tr.name AS attribute_transformation, a.name AS attribute, a.role AS attribute_role,
           v.name, v.role, v.direction, v.value, d.uri AS ref_uri, d.store AS ref_store, v.recorded_at
    FROM attribute_value v JOIN attribute a ON a.id = v.attribute_id
    LEFT JOIN transformation tr ON tr.id = a.transformation_id
    LEFT JOIN data_reference d ON d.id = v.data_ref_id`,
  metric_point: `SELECT run_id, task_id, name, value, step, context, recorded_at FROM metric_point`,
  telemetry_sample: `
    SELECT run_id, task_id, host, gpu_index, gpu_name, gpu_utilization, gpu_memory_used, gpu_memory_total,
           gpu_power, gpu_temperature, gpu_energy, cpu_percent, rss_bytes, recorded_at
    FROM telemetry_sample`,
  data_reference: `SELECT uri, store FROM data_reference`,
  // A reference is written `ref:<id>`: named by its uri and store instead.
  prov_relation: `
    SELECT r.kind,
           coalesce(sd.store || ' ' || sd.uri, r.subject) AS subject,
           coalesce(od.store || ' ' || od.uri, r.object) AS object
    FROM prov_relation r
    LEFT JOIN data_reference sd ON sd.id = CASE WHEN r.subject LIKE 'ref:%' THEN substr(r.subject, 5)::bigint END
    LEFT JOIN data_reference od ON od.id = CASE WHEN r.object LIKE 'ref:%' THEN substr(r.object, 5)::bigint END`,
  agent: `SELECT id, kind, name, attributes FROM agent`,
  ingested_event: `SELECT id FROM ingested_event`,
  // Every parked event must have landed: nothing waiting, nothing rejected.
  parked_event: `SELECT event_id, status, waits_kind, waits_for, issue FROM parked_event`,
  extraction_job: `
    SELECT d.uri, d.store, j.options FROM extraction_job j JOIN data_reference d ON d.id = j.data_ref_id`,
  publish_outbox: `SELECT run_id FROM publish_outbox`,
};

/** What the live log's changes of each stream carry, flattened (see above). */
const LIVE = `SELECT stream, payload FROM live_change`;

interface LivePayloadRow {
  stream: string;
  payload: { events?: unknown[]; metrics?: unknown[]; runs?: unknown[] };
}

const sortedJson = (rows: unknown[]) =>
  rows
    .map((r) => JSON.stringify(r))
    .sort()
    .map((s) => JSON.parse(s) as unknown);

// Times as PostgreSQL's text (microseconds kept), not as a JS Date (milliseconds).
const TIMESTAMPTZ = 1184;
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === TIMESTAMPTZ ? (v: string) => v : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

export async function dumpStore(databaseUrl: string): Promise<StoreDump> {
  const client = new pg.Client({ connectionString: databaseUrl, types });
  await client.connect();
  try {
    const dump: StoreDump = {};
    for (const [table, sql] of Object.entries(TABLES)) dump[table] = sortedJson((await client.query(sql)).rows);
    const live: unknown[] = [];
    for (const { stream, payload } of (await client.query<LivePayloadRow>(LIVE)).rows) {
      for (const key of ['events', 'metrics', 'runs'] as const)
        for (const item of payload[key] ?? []) live.push([stream, key, item]);
    }
    dump.live_change = sortedJson(live);
    return dump;
  } finally {
    await client.end();
  }
}
