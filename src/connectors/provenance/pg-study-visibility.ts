import type { Pool } from 'pg';

/**
 * Which records belong to a set of studies: the SQL behind study-limited tokens. A run belongs
 * to its workflow's study; tasks, values, metrics and telemetry to their run; a data reference or
 * an agent to every study whose runs used, generated or were associated with it (a raw file two
 * studies share is visible to both). A workflow without a study belongs to none.
 */
export interface StudyVisibility {
  /** workflow id → study id (null: none) */
  workflowStudies(ids: readonly string[]): Promise<Map<string, string | null>>;
  runsIn(runIds: readonly string[], studies: readonly string[]): Promise<Set<string>>;
  tasksIn(taskIds: readonly string[], studies: readonly string[]): Promise<Set<string>>;
  refsIn(refIds: readonly string[], studies: readonly string[]): Promise<Set<string>>;
  agentsIn(agentIds: readonly string[], studies: readonly string[]): Promise<Set<string>>;
}

const ids = (rows: Array<{ id: string }>) => new Set(rows.map((r) => r.id));

export class PgStudyVisibility implements StudyVisibility {
  constructor(private readonly pool: Pool) {}

  async workflowStudies(wids: readonly string[]): Promise<Map<string, string | null>> {
    if (!wids.length) return new Map();
    const res = await this.pool.query<{ id: string; study_id: string | null }>(
      `SELECT id::text, study_id FROM workflow WHERE id = ANY($1::bigint[])`,
      [wids.filter((w) => /^\d+$/.test(w))],
    );
    return new Map(res.rows.map((r) => [r.id, r.study_id]));
  }

  async runsIn(runIds: readonly string[], studies: readonly string[]): Promise<Set<string>> {
    if (!runIds.length) return new Set();
    const res = await this.pool.query<{ id: string }>(
      `SELECT r.id FROM workflow_execution r JOIN workflow w ON w.id = r.workflow_id
       WHERE r.id = ANY($1::text[]) AND w.study_id = ANY($2::text[])`,
      [runIds, studies],
    );
    return ids(res.rows);
  }

  async tasksIn(taskIds: readonly string[], studies: readonly string[]): Promise<Set<string>> {
    if (!taskIds.length) return new Set();
    const res = await this.pool.query<{ id: string }>(
      `SELECT t.id FROM task_execution t JOIN workflow_execution r ON r.id = t.run_id JOIN workflow w ON w.id = r.workflow_id
       WHERE t.id = ANY($1::text[]) AND w.study_id = ANY($2::text[])`,
      [taskIds, studies],
    );
    return ids(res.rows);
  }

  async refsIn(refIds: readonly string[], studies: readonly string[]): Promise<Set<string>> {
    const numeric = refIds.filter((r) => /^\d+$/.test(r));
    if (!numeric.length) return new Set();
    // attribute_value_ref indexes data_ref_id: one probe per reference, stopping at its first visible value.
    const res = await this.pool.query<{ id: string }>(
      `SELECT k.id::text AS id FROM unnest($1::bigint[]) AS k(id)
       WHERE EXISTS (SELECT 1 FROM attribute_value av JOIN workflow_execution r ON r.id = av.run_id
                     JOIN workflow w ON w.id = r.workflow_id
                     WHERE av.data_ref_id = k.id AND w.study_id = ANY($2::text[]))`,
      [numeric, studies],
    );
    return ids(res.rows);
  }

  async agentsIn(agentIds: readonly string[], studies: readonly string[]): Promise<Set<string>> {
    if (!agentIds.length) return new Set();
    const res = await this.pool.query<{ id: string }>(
      `SELECT DISTINCT r.agent_id AS id FROM workflow_execution r JOIN workflow w ON w.id = r.workflow_id
       WHERE r.agent_id = ANY($1::text[]) AND w.study_id = ANY($2::text[])`,
      [agentIds, studies],
    );
    return ids(res.rows);
  }
}
