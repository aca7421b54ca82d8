import type { Pool } from 'pg';
import { specHash, type WorkflowSpec } from '../../ingest/workflow-spec';
import { toTransformation } from './pg-mappers';
import type { TransformationRow } from './rows';

/** A transformation added to a registered version after the fact (its attributes come undeclared). */
export interface AddedTransformation {
  name: string;
  kind: TransformationRow['kind'];
}

/**
 * Adds transformations to an existing workflow version, in place, and keeps its stored spec
 * and hash in step. Only the ProvLake route calls this: ProvLake clients name their data
 * transformations as they run them, with no spec sent first, so a run's version has to grow.
 * Adding is the only change ever made to a version: nothing declared is altered or removed.
 * Returns every transformation of the version afterwards.
 */
export async function extendWorkflow(pool: Pool, workflowId: string, added: AddedTransformation[]): Promise<TransformationRow[]> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const wf = await client.query<{ name: string; spec: WorkflowSpec }>(
      'SELECT name, spec FROM workflow WHERE id = $1 FOR UPDATE',
      [workflowId],
    );
    if (!wf.rows[0]) throw new Error(`workflow version ${workflowId} does not exist`);
    // Same lock as registration: a concurrent registerWorkflow of this name sees the new hash.
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`workflow:${wf.rows[0].name}`]);
    const inserted = await client.query<{ name: string }>(
      `INSERT INTO transformation (workflow_id, name, kind)
       SELECT $1, * FROM unnest($2::text[], $3::text[]) ON CONFLICT (workflow_id, name) DO NOTHING RETURNING name`,
      [workflowId, added.map((t) => t.name), added.map((t) => t.kind)],
    );
    if (inserted.rows.length) {
      const fresh = new Set(inserted.rows.map((r) => r.name));
      const spec = wf.rows[0].spec;
      const grown: WorkflowSpec = {
        ...spec,
        transformations: [
          ...spec.transformations,
          ...added.filter((t) => fresh.has(t.name)).map((t) => ({ name: t.name, kind: t.kind, used: [], generated: [] })),
        ],
      };
      await client.query('UPDATE workflow SET spec = $2, spec_hash = $3 WHERE id = $1', [
        workflowId,
        JSON.stringify(grown),
        specHash(grown),
      ]);
    }
    const all = await client.query(
      'SELECT id::text, workflow_id::text, name, kind, stage_type, parent_name FROM transformation WHERE workflow_id = $1 ORDER BY transformation.id',
      [workflowId],
    );
    await client.query('COMMIT');
    return all.rows.map(toTransformation);
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
