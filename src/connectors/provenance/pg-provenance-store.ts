import type { Pool } from 'pg';
import type { WorkflowSpec } from '../../ingest/workflow-spec';
import { PgIngestTx } from './pg-ingest-tx';
import * as analytics from './pg-analytics';
import * as exportReads from './pg-export-reads';
import {
  RUN_COLS,
  TASK_COLS,
  VALUE_COLS,
  WORKFLOW_COLS,
  byKey,
  decodeCursor,
  groupByKey,
  toAgent,
  toAttribute,
  toDataRef,
  toPage,
  toRun,
  toStudy,
  toTask,
  toTransformation,
  toValue,
  toWorkflow,
} from './pg-mappers';
import type { EdgeKind, IngestTx, LineageDirection, PageArgs, ProvenanceStore } from './provenance-store';
import type {
  AgentRow,
  AttributeRow,
  DataRefRow,
  MetricRow,
  Page,
  RelationRow,
  RunRow,
  StudyRow,
  TaskRow,
  TelemetryRow,
  TransformationRow,
  ValueRow,
  WorkflowRow,
} from './rows';

/** The provenance store over a `pg` pool: a PostgreSQL server, or the local one. */
export class PgProvenanceStore implements ProvenanceStore {
  constructor(private readonly pool: Pool) {}

  async registerWorkflow(spec: WorkflowSpec, hash: string): Promise<{ workflow: WorkflowRow; created: boolean }> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      // Serialise registrations of one name so that versions are dense and the hash check holds.
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`workflow:${spec.name}`]);
      const latest = await client.query(
        `SELECT ${WORKFLOW_COLS}, spec_hash FROM workflow WHERE name = $1 ORDER BY version DESC LIMIT 1`,
        [spec.name],
      );
      if (latest.rows[0] && latest.rows[0].spec_hash === hash) {
        await client.query('COMMIT');
        return { workflow: toWorkflow(latest.rows[0]), created: false };
      }
      if (spec.study) {
        await client.query(
          `INSERT INTO study (id, name, description) VALUES ($1, $2, $3)
           ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, description = coalesce(EXCLUDED.description, study.description)`,
          [spec.study.id, spec.study.name, spec.study.description ?? null],
        );
      }
      const version = latest.rows[0] ? latest.rows[0].version + 1 : 1;
      const wf = await client.query(
        `INSERT INTO workflow (name, version, kind, study_id, description, spec, spec_hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${WORKFLOW_COLS}`,
        [spec.name, version, spec.kind, spec.study?.id ?? null, spec.description ?? null, JSON.stringify(spec), hash],
      );
      const workflow = toWorkflow(wf.rows[0]);
      const trs = spec.transformations;
      const tIds = trs.length
        ? (
            await client.query<{ id: string; name: string }>(
              `INSERT INTO transformation (workflow_id, name, kind, stage_type, parent_name)
               SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[]) RETURNING id::text, name`,
              [workflow.id, trs.map((t) => t.name), trs.map((t) => t.kind), trs.map((t) => t.stageType ?? null), trs.map((t) => t.parent ?? null)],
            )
          ).rows
        : [];
      const idOf = new Map(tIds.map((r) => [r.name, r.id]));
      const attrs: Array<[string | null, string, string, string]> = [];
      for (const a of spec.attributes) attrs.push([null, a.name, a.role, 'USED']);
      for (const t of trs) {
        for (const a of t.used) attrs.push([idOf.get(t.name)!, a.name, a.role, 'USED']);
        for (const a of t.generated) attrs.push([idOf.get(t.name)!, a.name, a.role, 'GENERATED']);
      }
      if (attrs.length) {
        await client.query(
          `INSERT INTO attribute (workflow_id, transformation_id, name, role, direction)
           SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[])
           ON CONFLICT DO NOTHING`,
          [workflow.id, attrs.map((a) => a[0]), attrs.map((a) => a[1]), attrs.map((a) => a[2]), attrs.map((a) => a[3])],
        );
      }
      await client.query('COMMIT');
      return { workflow, created: true };
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  async latestWorkflows(names: string[]): Promise<Map<string, WorkflowRow>> {
    const res = await this.pool.query(
      `SELECT DISTINCT ON (name) ${WORKFLOW_COLS} FROM workflow WHERE name = ANY($1) ORDER BY name, version DESC`,
      [names],
    );
    return new Map(res.rows.map((r) => [r.name as string, toWorkflow(r)]));
  }

  async workflowByNameVersion(name: string, version: number): Promise<WorkflowRow | null> {
    const res = await this.pool.query(`SELECT ${WORKFLOW_COLS} FROM workflow WHERE name = $1 AND version = $2`, [name, version]);
    return res.rows[0] ? toWorkflow(res.rows[0]) : null;
  }

  async workflowsByIds(ids: readonly string[]): Promise<Array<WorkflowRow | null>> {
    const res = await this.pool.query(`SELECT ${WORKFLOW_COLS} FROM workflow WHERE id = ANY($1::bigint[])`, [ids]);
    return byKey(ids, res.rows.map(toWorkflow), (w) => w.id);
  }

  async workflows(filter: { name?: string; studyId?: string }, page: PageArgs): Promise<Page<WorkflowRow>> {
    const res = await this.pool.query(
      `SELECT ${WORKFLOW_COLS} FROM workflow
       WHERE ($1::text IS NULL OR name = $1) AND ($2::text IS NULL OR study_id = $2) AND ($3::bigint IS NULL OR id > $3)
       ORDER BY id LIMIT $4`,
      [filter.name ?? null, filter.studyId ?? null, decodeCursor(page.after), page.first + 1],
    );
    return toPage(res.rows.map(toWorkflow), page.first, (w) => w.id);
  }

  async studiesByIds(ids: readonly string[]): Promise<Array<StudyRow | null>> {
    const res = await this.pool.query(`SELECT * FROM study WHERE id = ANY($1)`, [ids]);
    return byKey(ids, res.rows.map(toStudy), (s) => s.id);
  }

  async studies(page: PageArgs): Promise<Page<StudyRow>> {
    const res = await this.pool.query(`SELECT * FROM study WHERE ($1::text IS NULL OR id > $1) ORDER BY id LIMIT $2`, [
      decodeCursor(page.after),
      page.first + 1,
    ]);
    return toPage(res.rows.map(toStudy), page.first, (s) => s.id);
  }

  async transformationsByWorkflowIds(ids: readonly string[]): Promise<TransformationRow[][]> {
    const res = await this.pool.query(
      `SELECT id::text, workflow_id::text, name, kind, stage_type, parent_name FROM transformation
       WHERE workflow_id = ANY($1::bigint[]) ORDER BY id`,
      [ids],
    );
    return groupByKey(ids, res.rows.map(toTransformation), (t) => t.workflowId);
  }

  async transformationsByIds(ids: readonly string[]): Promise<Array<TransformationRow | null>> {
    const res = await this.pool.query(
      `SELECT id::text, workflow_id::text, name, kind, stage_type, parent_name FROM transformation WHERE id = ANY($1::bigint[])`,
      [ids],
    );
    return byKey(ids, res.rows.map(toTransformation), (t) => t.id);
  }

  async attributesByWorkflowIds(ids: readonly string[]): Promise<AttributeRow[][]> {
    const res = await this.pool.query(
      `SELECT id::text, workflow_id::text, transformation_id::text, name, role, direction, declared FROM attribute
       WHERE workflow_id = ANY($1::bigint[]) ORDER BY id`,
      [ids],
    );
    return groupByKey(ids, res.rows.map(toAttribute), (a) => a.workflowId);
  }

  async runsByIds(ids: readonly string[]): Promise<Array<RunRow | null>> {
    const res = await this.pool.query(`SELECT ${RUN_COLS} FROM workflow_execution WHERE id = ANY($1)`, [ids]);
    return byKey(ids, res.rows.map(toRun), (r) => r.id);
  }

  async runs(filter: { workflowName?: string; workflowId?: string; status?: string }, page: PageArgs): Promise<Page<RunRow>> {
    const res = await this.pool.query(
      `SELECT ${RUN_COLS} FROM workflow_execution
       WHERE ($1::text IS NULL OR workflow_id IN (SELECT id FROM workflow WHERE name = $1))
         AND ($2::bigint IS NULL OR workflow_id = $2) AND ($3::text IS NULL OR status = $3)
         AND ($4::text IS NULL OR id > $4)
       ORDER BY id LIMIT $5`,
      [filter.workflowName ?? null, filter.workflowId ?? null, filter.status ?? null, decodeCursor(page.after), page.first + 1],
    );
    return toPage(res.rows.map(toRun), page.first, (r) => r.id);
  }

  async tasksByIds(ids: readonly string[]): Promise<Array<TaskRow | null>> {
    const res = await this.pool.query(`SELECT ${TASK_COLS} FROM task_execution WHERE id = ANY($1)`, [ids]);
    return byKey(ids, res.rows.map(toTask), (t) => t.id);
  }

  async childTasks(parentId: string, page: PageArgs): Promise<Page<TaskRow>> {
    const res = await this.pool.query(
      `SELECT ${TASK_COLS} FROM task_execution WHERE parent_id = $1 AND ($2::text IS NULL OR id > $2) ORDER BY id LIMIT $3`,
      [parentId, decodeCursor(page.after), page.first + 1],
    );
    return toPage(res.rows.map(toTask), page.first, (t) => t.id);
  }

  async topTasksOfRun(runId: string, page: PageArgs): Promise<Page<TaskRow>> {
    const res = await this.pool.query(
      `SELECT ${TASK_COLS} FROM task_execution WHERE run_id = $1 AND parent_id IS NULL AND ($2::text IS NULL OR id > $2)
       ORDER BY id LIMIT $3`,
      [runId, decodeCursor(page.after), page.first + 1],
    );
    return toPage(res.rows.map(toTask), page.first, (t) => t.id);
  }

  async valuesByTaskIds(ids: readonly string[]): Promise<ValueRow[][]> {
    const res = await this.pool.query(`SELECT ${VALUE_COLS} FROM attribute_value WHERE task_id = ANY($1) ORDER BY id`, [ids]);
    return groupByKey(ids, res.rows.map(toValue), (v) => v.taskId);
  }

  async runValuesByRunIds(ids: readonly string[]): Promise<ValueRow[][]> {
    const res = await this.pool.query(
      `SELECT ${VALUE_COLS} FROM attribute_value WHERE run_id = ANY($1) AND task_id IS NULL ORDER BY id`,
      [ids],
    );
    return groupByKey(ids, res.rows.map(toValue), (v) => v.runId);
  }

  async valuesByIds(ids: readonly string[]): Promise<Array<ValueRow | null>> {
    const res = await this.pool.query(`SELECT ${VALUE_COLS} FROM attribute_value WHERE id = ANY($1::bigint[])`, [ids]);
    return byKey(ids, res.rows.map(toValue), (v) => v.id);
  }

  async dataRefsByIds(ids: readonly string[]): Promise<Array<DataRefRow | null>> {
    const res = await this.pool.query(`SELECT id::text, uri, store, created_at FROM data_reference WHERE id = ANY($1::bigint[])`, [ids]);
    return byKey(ids, res.rows.map(toDataRef), (d) => d.id);
  }

  async dataRefsByUris(uris: readonly string[]): Promise<DataRefRow[][]> {
    const res = await this.pool.query(`SELECT id::text, uri, store, created_at FROM data_reference WHERE uri = ANY($1) ORDER BY id`, [uris]);
    return groupByKey(uris, res.rows.map(toDataRef), (d) => d.uri);
  }

  async dataRefs(
    filter: { store?: string; uriPrefix?: string; generatedWith?: Array<{ name: string; value: unknown }> },
    page: PageArgs,
  ): Promise<Page<DataRefRow>> {
    const conds = filter.generatedWith ?? [];
    const common = [filter.store ?? null, filter.uriPrefix ?? null, decodeCursor(page.after), page.first + 1];
    const where = `($1::text IS NULL OR d.store = $1) AND ($2::text IS NULL OR starts_with(d.uri, $2)) AND ($3::bigint IS NULL OR d.id > $3)`;
    // With conditions, start from the used values that match (indexed by name), then the
    // references their tasks generated (Q5: "the training set generated for a slice range").
    const res = conds.length
      ? await this.pool.query(
          `WITH c AS (SELECT * FROM unnest($5::text[], $6::jsonb[]) WITH ORDINALITY AS c(name, value, i)),
           hits AS (
             SELECT g.data_ref_id AS id FROM c
             JOIN attribute_value u ON u.name = c.name AND u.direction = 'USED' AND u.value = c.value AND u.task_id IS NOT NULL
             JOIN attribute_value g ON g.task_id = u.task_id AND g.direction = 'GENERATED' AND g.data_ref_id IS NOT NULL
             GROUP BY g.data_ref_id HAVING count(DISTINCT c.i) = cardinality($5::text[]))
           SELECT d.id::text, d.uri, d.store, d.created_at FROM data_reference d JOIN hits h ON h.id = d.id
           WHERE ${where} ORDER BY d.id LIMIT $4`,
          [...common, conds.map((c) => c.name), conds.map((c) => JSON.stringify(c.value))],
        )
      : await this.pool.query(
          `SELECT d.id::text, d.uri, d.store, d.created_at FROM data_reference d WHERE ${where} ORDER BY d.id LIMIT $4`,
          common,
        );
    return toPage(res.rows.map(toDataRef), page.first, (d) => d.id);
  }

  async valuesByDataRefIds(ids: readonly string[], direction: 'USED' | 'GENERATED'): Promise<ValueRow[][]> {
    const res = await this.pool.query(
      `SELECT ${VALUE_COLS} FROM attribute_value WHERE data_ref_id = ANY($1::bigint[]) AND direction = $2 ORDER BY id LIMIT 10000`,
      [ids, direction],
    );
    return groupByKey(ids, res.rows.map(toValue), (v) => v.dataRefId);
  }

  async agentsByIds(ids: readonly string[]): Promise<Array<AgentRow | null>> {
    const res = await this.pool.query(`SELECT * FROM agent WHERE id = ANY($1)`, [ids]);
    return byKey(ids, res.rows.map(toAgent), (a) => a.id);
  }

  async relationsFrom(subjects: readonly string[]): Promise<RelationRow[][]> {
    const res = await this.pool.query(`SELECT kind, subject, object FROM prov_relation WHERE subject = ANY($1) ORDER BY id`, [subjects]);
    return groupByKey(subjects, res.rows as RelationRow[], (r) => r.subject);
  }

  async metricSeries(runId: string, name: string, context: string | null, limit: number): Promise<MetricRow[]> {
    const res = await this.pool.query(
      `SELECT run_id, task_id, name, value, step::text, context, recorded_at FROM metric_point
       WHERE run_id = $1 AND name = $2 AND ($3::text IS NULL OR context = $3)
       ORDER BY step NULLS LAST, recorded_at LIMIT $4`,
      [runId, name, context, limit],
    );
    return res.rows.map((r) => ({
      runId: r.run_id,
      taskId: r.task_id,
      name: r.name,
      value: r.value,
      step: r.step,
      context: r.context,
      recordedAt: r.recorded_at,
    }));
  }

  async metricNames(runIds: readonly string[]): Promise<string[][]> {
    const res = await this.pool.query<{ run_id: string; name: string }>(
      `SELECT DISTINCT run_id, name FROM metric_point WHERE run_id = ANY($1) ORDER BY name`,
      [runIds],
    );
    return groupByKey(runIds, res.rows, (r) => r.run_id).map((rows) => rows.map((r) => r.name));
  }

  async telemetryByRun(runId: string, taskId: string | null, limit: number): Promise<TelemetryRow[]> {
    return analytics.telemetry(this.pool, runId, taskId, limit);
  }

  gpuSummary(runId: string, taskId: string | null) {
    return analytics.gpuSummary(this.pool, runId, taskId);
  }

  models(filter: { workflowName?: string; runId?: string }, page: PageArgs): Promise<Page<ValueRow>> {
    return analytics.models(this.pool, filter, page);
  }

  bestModel(datasetRefIds: string[], measure: string, order: 'MIN' | 'MAX'): Promise<ValueRow | null> {
    return analytics.bestModel(this.pool, datasetRefIds, measure, order);
  }

  modelsUnderTasks(rootTaskIds: string[], limit: number): Promise<ValueRow[]> {
    return analytics.modelsUnderTasks(this.pool, rootTaskIds, limit);
  }

  durationStats(rootTaskIds: string[], transformation: string) {
    return analytics.durationStats(this.pool, rootTaskIds, transformation);
  }

  lineageStep(nodes: string[], direction: LineageDirection, kinds: ReadonlySet<EdgeKind>) {
    return analytics.lineageStep(this.pool, nodes, direction, kinds);
  }

  tasksOfRun(runId: string, page: PageArgs): Promise<Page<TaskRow>> {
    return exportReads.tasksOfRun(this.pool, runId, page);
  }

  valuesOfRun(runId: string, page: PageArgs): Promise<Page<ValueRow>> {
    return exportReads.valuesOfRun(this.pool, runId, page);
  }

  metricsOfRun(runId: string, page: PageArgs): Promise<Page<MetricRow & { id: string }>> {
    return exportReads.metricsOfRun(this.pool, runId, page);
  }

  agents(page: PageArgs): Promise<Page<AgentRow>> {
    return exportReads.agents(this.pool, page);
  }

  relations(page: PageArgs): Promise<Page<RelationRow & { id: string }>> {
    return exportReads.relations(this.pool, page);
  }

  async transaction<T>(fn: (tx: IngestTx) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await fn(new PgIngestTx(client));
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
