import type { LiveChangeInput } from '../../ingest/live-changes';
import type { BatchRows } from './rows';
import {
  AGENT_UPSERT,
  METRIC_COLUMNS_INSERT,
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
  pgArray,
  sortedIds,
  taskColumns,
} from './pg-ingest-sql';

/**
 * The fast path's statement: every row of a batch that is all new, in one statement of
 * data-modifying CTEs (one round trip; without BEGIN/COMMIT it is atomic on its own), and the
 * batch's live-log changes with them. Event ids, runs and tasks are plain INSERTs (no ON
 * CONFLICT: its speculative insertion cost the claims twice the CPU of a plain insert); one
 * already stored fails the statement with a unique violation, which sends the batch to the
 * careful path. Returns the live streams' new seqs (`stream`, `seq`), one row per change.
 *
 * Lock order is the careful path's (pg-ingest-tx.ts, write-batch.ts): claims, agents, runs, run
 * ends, tasks, task ends, values, metrics, telemetry, relations, and the live streams' counter
 * rows last, so a fast and a careful batch that share keys wait for each other instead of
 * deadlocking, and a stream's counter is held only for the statement's tail (ranks of one run
 * writing at once queue there, not for the whole batch). PostgreSQL runs data-modifying CTEs that
 * the main query does not read after it, last-written first, so the order is made explicit: each
 * CTE returns a row per row written and the final step waits for their counts, in that order.
 */
export function freshBatchStatement(
  rows: BatchRows,
  changes: readonly LiveChangeInput[] = [],
): { text: string; values: unknown[] } {
  const values: unknown[] = [];
  const param = (v: unknown) => `$${values.push(v)}`;
  const ctes: string[] = [];
  // The CTEs that write rows, in lock order (see above); the final step counts their rows in it.
  const written: string[] = [];
  const push = (name: string, sql: string) => {
    ctes.push(`${name} AS (${sql} RETURNING 1)`);
    written.push(name);
  };
  if (rows.eventIds.length) {
    push('claims', `INSERT INTO ingested_event (id) SELECT unnest(${param(pgArray(sortedIds(rows.eventIds)))}::text[])`);
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
    push('agents', AGENT_UPSERT(p));
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
    push('runs', `${RUN_INSERT} ${runRows(p)}`);
  }
  if (rows.runEnds.length) {
    const e = byKey(rows.runEnds, (x) => x.id);
    ctes.push(endsUpdate('workflow_execution', param(e.map((x) => x.id)), param(JSON.stringify(e)), 'run_ends'));
    written.push('run_ends');
  }
  if (rows.tasks.length) {
    const t = byKey(rows.tasks, (x) => x.id);
    const p = values.length + 1;
    values.push(
      pgArray(t.map((x) => x.id)),
      pgArray(t.map((x) => x.runId)),
      pgArray(t.map((x) => x.transformationId)),
      pgArray(t.map((x) => x.parentId)),
      pgArray(t.map((x) => x.status)),
      pgArray(t.map((x) => x.host)),
      pgArray(t.map((x) => x.startedAt?.getTime() ?? null)),
      pgArray(t.map((x) => x.endedAt?.getTime() ?? null)),
      pgArray(t.map((x) => JSON.stringify(x.attributes))),
    );
    push('tasks', `${TASK_INSERT} ${taskColumns(p)}`);
  }
  if (rows.taskEnds.length) {
    const e = byKey(rows.taskEnds, (x) => x.id);
    ctes.push(endsUpdate('task_execution', param(e.map((x) => x.id)), param(JSON.stringify(e)), 'task_ends'));
    written.push('task_ends');
  }
  if (rows.values.length) push('vals', VALUE_INSERT(param(JSON.stringify(rows.values))));
  if (rows.metrics.length) {
    const m = rows.metrics;
    const p = values.length + 1;
    values.push(
      pgArray(m.map((x) => x.runId)),
      pgArray(m.map((x) => x.taskId)),
      pgArray(m.map((x) => x.name)),
      pgArray(m.map((x) => x.value)),
      pgArray(m.map((x) => x.step)),
      pgArray(m.map((x) => x.context)),
      pgArray(m.map((x) => x.recordedAt.getTime())),
    );
    push('metrics', METRIC_COLUMNS_INSERT(p));
  }
  if (rows.telemetry.length) push('telemetry', TELEMETRY_INSERT(param(JSON.stringify(rows.telemetry))));
  if (rows.relations.length) {
    const r = byKey(rows.relations, (x) => `${x.kind}${SEP}${x.subject}${SEP}${x.object}`);
    const p = values.length + 1;
    values.push(
      r.map((x) => x.kind),
      r.map((x) => x.subject),
      r.map((x) => x.object),
    );
    push('relations', RELATION_INSERT(p));
  }
  // One uncorrelated scalar subquery per CTE: each runs (to completion) when the sum first needs
  // it, left to right, which is the lock order.
  const done = written.length ? written.map((w) => `(SELECT count(*) FROM ${w})`).join(' + ') : '0';
  if (!changes.length) return { text: `${ctes.length ? `WITH ${ctes.join(',\n')}\n` : ''}SELECT ${done} AS written`, values };
  // Streams in code-unit order, as the careful path locks them (pg-live-log.ts). Each payload is
  // a parameter of its own, typed json: checked once by json_in and stored as sent (one JSON
  // array of them split by json_array_elements was lexed twice, ~95 bytes an event).
  const live = [...changes].sort((a, b) => (a.stream < b.stream ? -1 : a.stream > b.stream ? 1 : 0));
  const streams = param(live.map((c) => c.stream));
  const payloads = live.map((c, i) => `(${i + 1}, ${param(JSON.stringify(c.payload))}::json)`).join(', ');
  ctes.push(
    `live_heads AS (INSERT INTO live_stream (stream, seq) SELECT s, 1 FROM unnest(${streams}::text[]) AS s WHERE ${done} >= 0
       ON CONFLICT (stream) DO UPDATE SET seq = live_stream.seq + 1 RETURNING stream, seq)`,
    `live_log AS (INSERT INTO live_change (stream, seq, payload)
       SELECT h.stream, h.seq, c.payload FROM live_heads h
       JOIN unnest(${streams}::text[]) WITH ORDINALITY AS s(stream, n) ON s.stream = h.stream
       JOIN (VALUES ${payloads}) AS c(n, payload) ON c.n = s.n)`,
  );
  return { text: `WITH ${ctes.join(',\n')}\nSELECT stream, seq FROM live_heads`, values };
}
