import type { Pool } from 'pg';
import type { WorkflowSpec } from '../../ingest/workflow-spec';
import { PgIngestTx, runFreshStatement } from './pg-ingest-tx';
import { withTransaction } from './pg-transaction';
import { ingestRefs, type IngestRefs } from './pg-ingest-refs';
import * as analytics from './pg-analytics';
import * as prospective from './pg-prospective';
import * as refs from './pg-data-references';
import * as exportReads from './pg-export-reads';
import { extendWorkflow, type AddedTransformation } from './pg-extend-workflow';
import * as outbox from './pg-publish-outbox';
import * as live from './pg-live-log';
import type { LiveChangeRow } from './pg-live-log';
import type { LiveChangeInput, StreamHead } from '../../ingest/live-changes';
import * as extraction from './pg-extraction-jobs';
import * as parked from './pg-parked-events';
import * as declared from './pg-declared-data-stores';
import {
  RUN_COLS,
  TASK_COLS,
  TASK_WITH_KIND_COLS,
  VALUE_COLS,
  byKey,
  decodeCursor,
  groupByKey,
  toAgent,
  toPage,
  toRun,
  toTask,
  toValue,
} from './pg-mappers';
import type { EdgeKind, IngestTx, LineageDirection, ModelListFilter, PageArgs, ProvenanceStore } from './provenance-store';
import type {
  AgentRow,
  AttributeRow,
  BatchRows,
  DataRefRow,
  DeclaredDataStoreRow,
  MetricRow,
  Page,
  RelationRow,
  RunRow,
  RunTaskKey,
  StudyRow,
  TaskRow,
  TelemetryRow,
  TransformationRow,
  ValueRow,
  ValueWithTask,
  WorkflowRow,
} from './rows';

/** The provenance store over a `pg` pool: a PostgreSQL server, or the local one. */
export class PgProvenanceStore implements ProvenanceStore {
  constructor(private readonly pool: Pool) {}

  registerWorkflow(spec: WorkflowSpec, hash: string): Promise<{ workflow: WorkflowRow; created: boolean }> {
    return prospective.registerWorkflow(this.pool, spec, hash);
  }

  latestWorkflows(names: string[]): Promise<Map<string, WorkflowRow>> {
    return prospective.latestWorkflows(this.pool, names);
  }

  workflowByNameVersion(name: string, version: number): Promise<WorkflowRow | null> {
    return prospective.workflowByNameVersion(this.pool, name, version);
  }

  workflowsByIds(ids: readonly string[]): Promise<Array<WorkflowRow | null>> {
    return prospective.workflowsByIds(this.pool, ids);
  }

  workflows(filter: { name?: string; studyId?: string }, page: PageArgs): Promise<Page<WorkflowRow>> {
    return prospective.workflows(this.pool, filter, page);
  }

  studiesByIds(ids: readonly string[]): Promise<Array<StudyRow | null>> {
    return prospective.studiesByIds(this.pool, ids);
  }

  studies(page: PageArgs): Promise<Page<StudyRow>> {
    return prospective.studies(this.pool, page);
  }

  transformationsByWorkflowIds(ids: readonly string[]): Promise<TransformationRow[][]> {
    return prospective.transformationsByWorkflowIds(this.pool, ids);
  }

  transformationsByIds(ids: readonly string[]): Promise<Array<TransformationRow | null>> {
    return prospective.transformationsByIds(this.pool, ids);
  }

  attributesByIds(ids: readonly string[]): Promise<Array<AttributeRow | null>> {
    return prospective.attributesByIds(this.pool, ids);
  }

  attributesByWorkflowIds(ids: readonly string[]): Promise<AttributeRow[][]> {
    return prospective.attributesByWorkflowIds(this.pool, ids);
  }

  extendWorkflow(workflowId: string, added: AddedTransformation[]): Promise<TransformationRow[]> {
    return extendWorkflow(this.pool, workflowId, added);
  }

  claimPublishJobs(limit: number, leaseMs: number): Promise<outbox.PublishJob[]> {
    return outbox.claimPublishJobs(this.pool, limit, leaseMs);
  }

  holdPublishLease(job: outbox.PublishJob, leaseMs: number): Promise<boolean> {
    return outbox.holdPublishLease(this.pool, job, leaseMs);
  }

  completePublishJob(job: outbox.PublishJob): Promise<boolean> {
    return outbox.completePublishJob(this.pool, job);
  }

  failPublishJob(job: outbox.PublishJob, error: string, retryInMs: number): Promise<boolean> {
    return outbox.failPublishJob(this.pool, job, error, retryInMs);
  }

  publishOutboxCounts(): Promise<{ pending: number; done: number }> {
    return outbox.publishOutboxCounts(this.pool);
  }

  extractionJobCounts(): Promise<Record<extraction.ExtractionStatus, number>> {
    return extraction.extractionJobCounts(this.pool);
  }

  claimExtractionJobs(limit: number, leaseMs: number): Promise<extraction.ExtractionJobRow[]> {
    return extraction.claimExtractionJobs(this.pool, limit, leaseMs);
  }

  renewExtractionLeases(
    progress: ReadonlyArray<extraction.ExtractionLease & { bytesRead: number }>,
    leaseMs: number,
  ): Promise<Set<string>> {
    return extraction.renewExtractionLeases(this.pool, progress, leaseMs);
  }

  completeExtractionJob(lease: extraction.ExtractionLease, result: extraction.ExtractionOutcome): Promise<boolean> {
    return extraction.completeExtractionJob(this.pool, lease, result);
  }

  failExtractionJob(
    lease: extraction.ExtractionLease,
    failure: extraction.ExtractionFailure & { bytesRead: number | null },
    retryInMs: number | null,
  ): Promise<boolean> {
    return extraction.failExtractionJob(this.pool, lease, failure, retryInMs);
  }

  latestExtractionJobs(dataRefIds: readonly string[]): Promise<Array<extraction.ExtractionJobRow | null>> {
    return extraction.latestExtractionJobs(this.pool, dataRefIds);
  }

  extractionJobs(
    filter: { status?: extraction.ExtractionStatus | null },
    page: PageArgs,
  ): Promise<Page<extraction.ExtractionJobRow>> {
    return extraction.extractionJobs(this.pool, filter, page);
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
    // With the transformation's kind: a task's schema type needs it, and this saves that read.
    const res = await this.pool.query(
      `SELECT ${TASK_WITH_KIND_COLS} FROM task_execution t JOIN transformation tr ON tr.id = t.transformation_id WHERE t.id = ANY($1)`,
      [ids],
    );
    return byKey(ids, res.rows.map(toTask), (t) => t.id);
  }

  async taskAncestors(ids: readonly string[]): Promise<TaskRow[][]> {
    const res = await this.pool.query(
      `WITH RECURSIVE chain(start, id, parent_id, depth) AS (
         SELECT id, id, parent_id, 0 FROM task_execution WHERE id = ANY($1)
         UNION ALL
         SELECT c.start, t.id, t.parent_id, c.depth + 1 FROM task_execution t JOIN chain c ON t.id = c.parent_id WHERE c.depth < 15)
       SELECT c.start, ${TASK_COLS.split(', ')
         .map((col) => `t.${col}`)
         .join(', ')}
       FROM chain c JOIN task_execution t ON t.id = c.id ORDER BY c.start, c.depth`,
      [ids],
    );
    return groupByKey(
      ids,
      res.rows.map((r) => ({ start: r.start as string, task: toTask(r) })),
      (x) => x.start,
    ).map((xs) => xs.map((x) => x.task));
  }

  async childTasks(parentId: string, page: PageArgs): Promise<Page<TaskRow>> {
    const res = await this.pool.query(
      `SELECT ${TASK_COLS} FROM task_execution WHERE parent_id = $1 AND ($2::text IS NULL OR id > $2) ORDER BY id LIMIT $3`,
      [parentId, decodeCursor(page.after), page.first + 1],
    );
    return toPage(res.rows.map(toTask), page.first, (t) => t.id);
  }

  async openTasksOfRuns(runIds: readonly string[], limit: number): Promise<TaskRow[][]> {
    if (!runIds.length) return [];
    // Per run through the partial index task_execution_open (migration 010).
    const res = await this.pool.query(
      `SELECT ${TASK_COLS.split(', ')
        .map((col) => `t.${col}`)
        .join(', ')}
       FROM unnest($1::text[]) AS k(run_id)
       CROSS JOIN LATERAL (SELECT * FROM task_execution WHERE run_id = k.run_id AND ended_at IS NULL AND status = 'RUNNING'
                           ORDER BY started_at DESC LIMIT $2) t`,
      [runIds, limit],
    );
    return groupByKey(runIds, res.rows.map(toTask), (t) => t.runId);
  }

  declareDataStore(row: DeclaredDataStoreRow): Promise<{ row: DeclaredDataStoreRow; created: boolean }> {
    return declared.declareDataStore(this.pool, row);
  }

  declaredDataStores(limit: number): Promise<DeclaredDataStoreRow[]> {
    return declared.declaredDataStores(this.pool, limit);
  }

  declaredDataStoreById(id: string): Promise<DeclaredDataStoreRow | null> {
    return declared.declaredDataStoreById(this.pool, id);
  }

  declaredDataStoresByIds(ids: readonly string[]): Promise<Array<DeclaredDataStoreRow | null>> {
    return declared.declaredDataStoresByIds(this.pool, ids);
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
    const res = await this.pool.query(
      `SELECT ${VALUE_COLS} FROM attribute_value WHERE task_id = ANY($1) ORDER BY attribute_value.id`,
      [ids],
    );
    return groupByKey(ids, res.rows.map(toValue), (v) => v.taskId);
  }

  async runValuesByRunIds(ids: readonly string[]): Promise<ValueRow[][]> {
    const res = await this.pool.query(
      `SELECT ${VALUE_COLS} FROM attribute_value WHERE run_id = ANY($1) AND task_id IS NULL ORDER BY attribute_value.id`,
      [ids],
    );
    return groupByKey(ids, res.rows.map(toValue), (v) => v.runId);
  }

  async valuesByIds(ids: readonly string[]): Promise<Array<ValueRow | null>> {
    const res = await this.pool.query(`SELECT ${VALUE_COLS} FROM attribute_value WHERE id = ANY($1::bigint[])`, [ids]);
    return byKey(ids, res.rows.map(toValue), (v) => v.id);
  }

  dataRefsByIds(ids: readonly string[]): Promise<Array<DataRefRow | null>> {
    return refs.dataRefsByIds(this.pool, ids);
  }

  dataRefsByUris(uris: readonly string[]): Promise<DataRefRow[][]> {
    return refs.dataRefsByUris(this.pool, uris);
  }

  derivedFrom(refIds: readonly string[]): Promise<DataRefRow[][]> {
    return refs.derivedFrom(this.pool, refIds);
  }

  modelsByUris(uris: readonly string[]): Promise<Array<Array<ValueRow & { store: string }>>> {
    return refs.modelsByUris(this.pool, uris);
  }

  dataRefs(
    filter: { store?: string; uriPrefix?: string; generatedWith?: Array<{ name: string; value: unknown }> },
    page: PageArgs,
  ): Promise<Page<DataRefRow>> {
    return refs.dataRefs(this.pool, filter, page);
  }

  valuesByDataRefIds(ids: readonly string[], direction: 'USED' | 'GENERATED'): Promise<ValueRow[][]> {
    return refs.valuesByDataRefIds(this.pool, ids, direction);
  }

  valuesWithTasksByDataRefIds(ids: readonly string[], direction: 'USED' | 'GENERATED'): Promise<ValueWithTask[][]> {
    return refs.valuesWithTasksByDataRefIds(this.pool, ids, direction);
  }

  async agentsByIds(ids: readonly string[]): Promise<Array<AgentRow | null>> {
    const res = await this.pool.query(`SELECT * FROM agent WHERE id = ANY($1)`, [ids]);
    return byKey(ids, res.rows.map(toAgent), (a) => a.id);
  }

  async relationsFrom(subjects: readonly string[]): Promise<RelationRow[][]> {
    const res = await this.pool.query(`SELECT kind, subject, object FROM prov_relation WHERE subject = ANY($1) ORDER BY id`, [
      subjects,
    ]);
    return groupByKey(subjects, res.rows as RelationRow[], (r) => r.subject);
  }

  metricSeries(runIds: readonly string[], name: string, context: string | null, limit: number): Promise<MetricRow[][]> {
    return analytics.metricSeries(this.pool, runIds, name, context, limit);
  }

  async metricNames(runIds: readonly string[]): Promise<string[][]> {
    const res = await this.pool.query<{ run_id: string; name: string }>(
      `SELECT DISTINCT run_id, name FROM metric_point WHERE run_id = ANY($1) ORDER BY name`,
      [runIds],
    );
    return groupByKey(runIds, res.rows, (r) => r.run_id).map((rows) => rows.map((r) => r.name));
  }

  telemetry(keys: readonly RunTaskKey[], limit: number): Promise<TelemetryRow[][]> {
    return analytics.telemetry(this.pool, keys, limit);
  }

  gpuSummary(keys: readonly RunTaskKey[]) {
    return analytics.gpuSummary(this.pool, keys);
  }

  models(filter: ModelListFilter, page: PageArgs): Promise<Page<ValueRow>> {
    return analytics.models(this.pool, filter, page);
  }

  bestModel(datasetRefIds: string[], measure: string, order: 'MIN' | 'MAX'): Promise<ValueRow | null> {
    return analytics.bestModel(this.pool, datasetRefIds, measure, order);
  }

  modelsUnderTasks(rootTaskIds: string[], limit: number): Promise<ValueRow[]> {
    return analytics.modelsUnderTasks(this.pool, rootTaskIds, limit);
  }

  modelsUnderEachTask(rootTaskIds: readonly string[], limit: number): Promise<ValueRow[][]> {
    return analytics.modelsUnderEachTask(this.pool, rootTaskIds, limit);
  }

  durationStats(rootTaskIds: readonly string[], transformation: string) {
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

  ingestRefs(runIds: string[], taskIds: string[]): Promise<IngestRefs> {
    return ingestRefs(this.pool, runIds, taskIds);
  }

  transaction<T>(fn: (tx: IngestTx) => Promise<T>): Promise<T> {
    return withTransaction(this.pool, (client) => fn(new PgIngestTx(client)));
  }

  liveChangesAfter(stream: string, afterSeq: number, limit: number): Promise<LiveChangeRow[]> {
    return live.liveChangesAfter(this.pool, stream, afterSeq, limit);
  }

  liveHead(stream: string): Promise<number> {
    return live.liveHead(this.pool, stream);
  }

  parkEvents(rows: readonly parked.ParkInput[]): Promise<number> {
    return parked.parkEvents(this.pool, rows);
  }

  parkedSummary(): Promise<parked.ParkedSummary> {
    return parked.parkedSummary(this.pool);
  }

  parkedEvents(limit: number): Promise<parked.ParkedListing[]> {
    return parked.listParked(this.pool, limit);
  }

  deleteParkedEvents(filter: parked.ParkedDeleteFilter, apply: boolean, limit: number): Promise<parked.ParkedDeletion> {
    return parked.deleteParked(this.pool, filter, apply, limit);
  }

  liveBounds(stream: string): Promise<{ head: number; oldest: number | null }> {
    return live.liveBounds(this.pool, stream);
  }

  pruneLiveChanges(retentionMs: number, limit: number): Promise<number | null> {
    return live.pruneLiveChanges(this.pool, retentionMs, limit);
  }

  writeFresh(rows: BatchRows, changes: readonly LiveChangeInput[]): Promise<StreamHead[]> {
    return runFreshStatement(this.pool, rows, changes);
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
