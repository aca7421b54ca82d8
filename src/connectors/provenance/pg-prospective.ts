import type { Pool } from 'pg';
import type { WorkflowSpec } from '../../ingest/workflow-spec';
import {
  WORKFLOW_COLS,
  byKey,
  decodeCursor,
  groupByKey,
  toAttribute,
  toPage,
  toStudy,
  toTransformation,
  toWorkflow,
} from './pg-mappers';
import type { PageArgs } from './provenance-store';
import type { AttributeRow, Page, StudyRow, TransformationRow, WorkflowRow } from './rows';

/** Prospective provenance in PostgreSQL: registering specs (versioned) and reading them back. */

export async function registerWorkflow(
  pool: Pool,
  spec: WorkflowSpec,
  hash: string,
): Promise<{ workflow: WorkflowRow; created: boolean }> {
  const client = await pool.connect();
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
            [
              workflow.id,
              trs.map((t) => t.name),
              trs.map((t) => t.kind),
              trs.map((t) => t.stageType ?? null),
              trs.map((t) => t.parent ?? null),
            ],
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

export async function latestWorkflows(pool: Pool, names: string[]): Promise<Map<string, WorkflowRow>> {
  const res = await pool.query(
    `SELECT DISTINCT ON (name) ${WORKFLOW_COLS} FROM workflow WHERE name = ANY($1) ORDER BY name, version DESC`,
    [names],
  );
  return new Map(res.rows.map((r) => [r.name as string, toWorkflow(r)]));
}

export async function workflowByNameVersion(pool: Pool, name: string, version: number): Promise<WorkflowRow | null> {
  const res = await pool.query(`SELECT ${WORKFLOW_COLS} FROM workflow WHERE name = $1 AND version = $2`, [name, version]);
  return res.rows[0] ? toWorkflow(res.rows[0]) : null;
}

export async function workflowsByIds(pool: Pool, ids: readonly string[]): Promise<Array<WorkflowRow | null>> {
  const res = await pool.query(`SELECT ${WORKFLOW_COLS} FROM workflow WHERE id = ANY($1::bigint[])`, [ids]);
  return byKey(ids, res.rows.map(toWorkflow), (w) => w.id);
}

export async function workflows(
  pool: Pool,
  filter: { name?: string; studyId?: string },
  page: PageArgs,
): Promise<Page<WorkflowRow>> {
  const res = await pool.query(
    `SELECT ${WORKFLOW_COLS} FROM workflow
     WHERE ($1::text IS NULL OR name = $1) AND ($2::text IS NULL OR study_id = $2) AND ($3::bigint IS NULL OR id > $3)
     ORDER BY workflow.id LIMIT $4`,
    [filter.name ?? null, filter.studyId ?? null, decodeCursor(page.after), page.first + 1],
  );
  return toPage(res.rows.map(toWorkflow), page.first, (w) => w.id);
}

export async function studiesByIds(pool: Pool, ids: readonly string[]): Promise<Array<StudyRow | null>> {
  const res = await pool.query(`SELECT * FROM study WHERE id = ANY($1)`, [ids]);
  return byKey(ids, res.rows.map(toStudy), (s) => s.id);
}

export async function studies(pool: Pool, page: PageArgs): Promise<Page<StudyRow>> {
  const res = await pool.query(`SELECT * FROM study WHERE ($1::text IS NULL OR id > $1) ORDER BY id LIMIT $2`, [
    decodeCursor(page.after),
    page.first + 1,
  ]);
  return toPage(res.rows.map(toStudy), page.first, (s) => s.id);
}

export async function transformationsByWorkflowIds(pool: Pool, ids: readonly string[]): Promise<TransformationRow[][]> {
  const res = await pool.query(
    `SELECT id::text, workflow_id::text, name, kind, stage_type, parent_name FROM transformation
     WHERE workflow_id = ANY($1::bigint[]) ORDER BY transformation.id`,
    [ids],
  );
  return groupByKey(ids, res.rows.map(toTransformation), (t) => t.workflowId);
}

export async function transformationsByIds(pool: Pool, ids: readonly string[]): Promise<Array<TransformationRow | null>> {
  const res = await pool.query(
    `SELECT id::text, workflow_id::text, name, kind, stage_type, parent_name FROM transformation WHERE id = ANY($1::bigint[])`,
    [ids],
  );
  return byKey(ids, res.rows.map(toTransformation), (t) => t.id);
}

export async function attributesByIds(pool: Pool, ids: readonly string[]): Promise<Array<AttributeRow | null>> {
  const res = await pool.query(
    `SELECT id::text, workflow_id::text, transformation_id::text, name, role, direction, declared FROM attribute
     WHERE id = ANY($1::bigint[])`,
    [ids],
  );
  return byKey(ids, res.rows.map(toAttribute), (a) => a.id);
}

export async function attributesByWorkflowIds(pool: Pool, ids: readonly string[]): Promise<AttributeRow[][]> {
  const res = await pool.query(
    `SELECT id::text, workflow_id::text, transformation_id::text, name, role, direction, declared FROM attribute
     WHERE workflow_id = ANY($1::bigint[]) ORDER BY attribute.id`,
    [ids],
  );
  return groupByKey(ids, res.rows.map(toAttribute), (a) => a.workflowId);
}
