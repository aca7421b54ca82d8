import type { Pool } from 'pg';

/** What ingest needs to know of runs and tasks that a batch names but does not begin. */
export interface IngestRefs {
  /** run id → workflow id */
  runs: Map<string, string>;
  tasks: Map<string, { runId: string; transformationId: string; workflowId: string }>;
}

/**
 * Runs and tasks by id in one round trip; a task comes with its run's workflow, so an event that
 * names only a task (taskEnd) resolves without its run being named anywhere in the batch.
 */
export async function ingestRefs(pool: Pool, runIds: string[], taskIds: string[]): Promise<IngestRefs> {
  const out: IngestRefs = { runs: new Map(), tasks: new Map() };
  if (!runIds.length && !taskIds.length) return out;
  const res = await pool.query<{ task_id: string | null; run_id: string; workflow_id: string; transformation_id: string | null }>(
    `SELECT NULL::text AS task_id, w.id AS run_id, w.workflow_id::text, NULL::text AS transformation_id
     FROM workflow_execution w WHERE w.id = ANY($1::text[])
     UNION ALL
     SELECT t.id, t.run_id, w.workflow_id::text, t.transformation_id::text
     FROM task_execution t JOIN workflow_execution w ON w.id = t.run_id WHERE t.id = ANY($2::text[])`,
    [runIds, taskIds],
  );
  for (const r of res.rows) {
    if (r.task_id === null) out.runs.set(r.run_id, r.workflow_id);
    else out.tasks.set(r.task_id, { runId: r.run_id, transformationId: r.transformation_id!, workflowId: r.workflow_id });
  }
  return out;
}
