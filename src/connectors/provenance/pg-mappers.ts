import type { QueryResultRow } from 'pg';
import type {
  MetricRow,
  AgentRow,
  AttributeRow,
  DataRefRow,
  RunRow,
  StudyRow,
  TaskRow,
  TransformationRow,
  ValueRow,
  WorkflowRow,
  Page,
} from './rows';

/**
 * Column lists and row mappers shared by the readers: one place knows the SQL column names.
 * Bigint ids are selected as text (exact in JS); an ORDER BY must then name the table's column
 * (`attribute_value.id`), since a bare `id` sorts the text output column ('11437' < '1925').
 */
export const WORKFLOW_COLS = 'id::text, name, version, kind, study_id, description, spec, created_at';
export const RUN_COLS = 'id, workflow_id::text, agent_id, status, started_at, ended_at, attributes';
export const TASK_COLS = 'id, run_id, transformation_id::text, parent_id, status, host, started_at, ended_at, attributes';
/** TASK_COLS of `t` and its transformation's kind, for `task_execution t JOIN transformation tr`. */
export const TASK_WITH_KIND_COLS = `${TASK_COLS.split(', ')
  .map((c) => `t.${c}`)
  .join(', ')}, tr.kind AS transformation_kind`;
export const VALUE_COLS =
  'id::text, run_id, task_id, attribute_id::text, name, role, direction, value, data_ref_id::text, recorded_at';

export const toWorkflow = (r: QueryResultRow): WorkflowRow => ({
  id: r.id,
  name: r.name,
  version: r.version,
  kind: r.kind,
  studyId: r.study_id,
  description: r.description,
  spec: r.spec,
  createdAt: r.created_at,
});
export const toStudy = (r: QueryResultRow): StudyRow => ({
  id: r.id,
  name: r.name,
  description: r.description,
  createdAt: r.created_at,
});
export const toTransformation = (r: QueryResultRow): TransformationRow => ({
  id: r.id,
  workflowId: r.workflow_id,
  name: r.name,
  kind: r.kind,
  stageType: r.stage_type,
  parentName: r.parent_name,
});
export const toAttribute = (r: QueryResultRow): AttributeRow => ({
  id: r.id,
  workflowId: r.workflow_id,
  transformationId: r.transformation_id,
  name: r.name,
  role: r.role,
  direction: r.direction,
  declared: r.declared,
});
export const toRun = (r: QueryResultRow): RunRow => ({
  id: r.id,
  workflowId: r.workflow_id,
  agentId: r.agent_id,
  status: r.status,
  startedAt: r.started_at,
  endedAt: r.ended_at,
  attributes: r.attributes,
});
export const toTask = (r: QueryResultRow): TaskRow => {
  const t: TaskRow = {
    id: r.id,
    runId: r.run_id,
    transformationId: r.transformation_id,
    parentId: r.parent_id,
    status: r.status,
    host: r.host,
    startedAt: r.started_at,
    endedAt: r.ended_at,
    attributes: r.attributes,
  };
  // Only reads that join the transformation select it (TASK_WITH_KIND_COLS).
  if (typeof r.transformation_kind === 'string') t.transformationKind = r.transformation_kind;
  return t;
};
export const toMetric = (r: QueryResultRow): MetricRow => ({
  runId: r.run_id,
  taskId: r.task_id,
  name: r.name,
  value: r.value,
  step: r.step,
  context: r.context,
  recordedAt: r.recorded_at,
});

export const toValue = (r: QueryResultRow): ValueRow => ({
  id: r.id,
  runId: r.run_id,
  taskId: r.task_id,
  attributeId: r.attribute_id,
  name: r.name,
  role: r.role,
  direction: r.direction,
  value: r.value,
  dataRefId: r.data_ref_id,
  recordedAt: r.recorded_at,
});
export const toDataRef = (r: QueryResultRow): DataRefRow => ({
  id: r.id,
  uri: r.uri,
  store: r.store,
  createdAt: r.created_at,
});
export const toAgent = (r: QueryResultRow): AgentRow => ({
  id: r.id,
  kind: r.kind,
  name: r.name,
  attributes: r.attributes,
});

/** Orders batch results by the requested keys (dataloader contract): null where missing. */
export function byKey<T>(keys: readonly string[], rows: T[], key: (row: T) => string): Array<T | null> {
  const map = new Map(rows.map((r) => [key(r), r]));
  return keys.map((k) => map.get(k) ?? null);
}

/** Groups batch results by the requested keys: an empty list where a key has none. */
export function groupByKey<T>(keys: readonly string[], rows: T[], key: (row: T) => string | null): T[][] {
  const map = new Map<string, T[]>();
  for (const r of rows) {
    const k = key(r);
    if (k === null) continue;
    const list = map.get(k);
    if (list) list.push(r);
    else map.set(k, [r]);
  }
  return keys.map((k) => map.get(k) ?? []);
}

export const encodeCursor = (key: string): string => Buffer.from(key, 'utf8').toString('base64url');
export const decodeCursor = (cursor: string | null | undefined): string | null =>
  cursor ? Buffer.from(cursor, 'base64url').toString('utf8') : null;

/** Keyset pagination: the query fetched `first + 1` rows to learn whether more follow. */
export function toPage<T>(rows: T[], first: number, key: (row: T) => string): Page<T> {
  const hasNextPage = rows.length > first;
  const items = hasNextPage ? rows.slice(0, first) : rows;
  return {
    items,
    hasNextPage,
    endCursor: hasNextPage && items.length ? encodeCursor(key(items[items.length - 1])) : null,
  };
}
