import type { BatchRows } from './rows';
import {
  AGENT_UPSERT,
  METRIC_INSERT,
  RELATION_INSERT,
  RUN_INSERT,
  SEP,
  TASK_INSERT,
  TELEMETRY_INSERT,
  VALUE_INSERT,
  byKey,
  endsUpdate,
  json,
  runRows,
  sortedIds,
  taskRowsEpochMs,
} from './pg-ingest-sql';

/**
 * The fast path's statement: every row of a batch that is all new, in one statement of
 * data-modifying CTEs (one round trip; without BEGIN/COMMIT it is atomic on its own). Event
 * ids, runs and tasks are plain INSERTs (no ON CONFLICT: its speculative insertion cost the
 * claims twice the CPU of a plain insert); one already stored fails the statement with a unique
 * violation, which sends the batch to the careful path. Rows keep their key order, so two
 * resends of one batch wait for each other instead of deadlocking.
 */
export function freshBatchStatement(rows: BatchRows): { text: string; values: unknown[] } {
  const values: unknown[] = [];
  const param = (v: unknown) => `$${values.push(v)}`;
  const ctes: string[] = [];
  if (rows.eventIds.length) {
    ctes.push(
      `claims AS (INSERT INTO ingested_event (id) SELECT value FROM json_array_elements_text(${param(JSON.stringify(sortedIds(rows.eventIds)))}::json))`,
    );
  }
  if (rows.agents.length) {
    const a = byKey(rows.agents, (r) => r.id);
    const p = values.length + 1;
    values.push(
      a.map((r) => r.id),
      a.map((r) => r.kind),
      a.map((r) => r.name),
      a.map((r) => json(r.attributes)),
    );
    ctes.push(`agents AS (${AGENT_UPSERT(p)})`);
  }
  if (rows.runs.length) {
    const r = byKey(rows.runs, (x) => x.id);
    const p = values.length + 1;
    values.push(
      r.map((x) => x.id),
      r.map((x) => x.workflowId),
      r.map((x) => x.agentId),
      r.map((x) => x.status),
      r.map((x) => x.startedAt),
      r.map((x) => x.endedAt),
      r.map((x) => json(x.attributes)),
    );
    ctes.push(`runs AS (${RUN_INSERT} ${runRows(p)})`);
  }
  if (rows.runEnds.length) {
    const e = byKey(rows.runEnds, (x) => x.id);
    ctes.push(endsUpdate('workflow_execution', param(e.map((x) => x.id)), param(JSON.stringify(e)), 'run_ends'));
  }
  if (rows.tasks.length) {
    const tasks = byKey(rows.tasks, (t) => t.id).map((t) => ({
      ...t,
      startedAt: t.startedAt?.getTime() ?? null,
      endedAt: t.endedAt?.getTime() ?? null,
    }));
    ctes.push(`tasks AS (${TASK_INSERT} ${taskRowsEpochMs(param(JSON.stringify(tasks)))})`);
  }
  if (rows.taskEnds.length) {
    const e = byKey(rows.taskEnds, (x) => x.id);
    ctes.push(endsUpdate('task_execution', param(e.map((x) => x.id)), param(JSON.stringify(e)), 'task_ends'));
  }
  if (rows.values.length) ctes.push(`vals AS (${VALUE_INSERT(param(JSON.stringify(rows.values)))})`);
  if (rows.metrics.length) ctes.push(`metrics AS (${METRIC_INSERT(param(JSON.stringify(rows.metrics)))})`);
  if (rows.telemetry.length) ctes.push(`telemetry AS (${TELEMETRY_INSERT(param(JSON.stringify(rows.telemetry)))})`);
  if (rows.relations.length) {
    const r = byKey(rows.relations, (x) => `${x.kind}${SEP}${x.subject}${SEP}${x.object}`);
    const p = values.length + 1;
    values.push(
      r.map((x) => x.kind),
      r.map((x) => x.subject),
      r.map((x) => x.object),
    );
    ctes.push(`relations AS (${RELATION_INSERT(p)})`);
  }
  return { text: ctes.length ? `WITH ${ctes.join(',\n')}\nSELECT 1` : 'SELECT 1', values };
}
