import type { Pool } from 'pg';
import { TASK_COLS, VALUE_COLS, decodeCursor, toAgent, toMetric, toPage, toTask, toValue } from './pg-mappers';
import type { PageArgs } from './provenance-store';
import type { AgentRow, MetricRow, Page, RelationRow, TaskRow, ValueRow } from './rows';

/**
 * Whole-table reads for export (PROV-JSON, PROV-O, DOT): keyset pages, so an export of a large
 * store streams page by page instead of loading the store into memory.
 */

export async function tasksOfRun(pool: Pool, runId: string, page: PageArgs): Promise<Page<TaskRow>> {
  const res = await pool.query(
    `SELECT ${TASK_COLS} FROM task_execution WHERE run_id = $1 AND ($2::text IS NULL OR id > $2) ORDER BY id LIMIT $3`,
    [runId, decodeCursor(page.after), page.first + 1],
  );
  return toPage(res.rows.map(toTask), page.first, (t) => t.id);
}

export async function valuesOfRun(pool: Pool, runId: string, page: PageArgs): Promise<Page<ValueRow>> {
  const res = await pool.query(
    `SELECT ${VALUE_COLS} FROM attribute_value WHERE run_id = $1 AND ($2::bigint IS NULL OR id > $2) ORDER BY attribute_value.id LIMIT $3`,
    [runId, decodeCursor(page.after), page.first + 1],
  );
  return toPage(res.rows.map(toValue), page.first, (v) => v.id);
}

export async function metricsOfRun(pool: Pool, runId: string, page: PageArgs): Promise<Page<MetricRow & { id: string }>> {
  const res = await pool.query(
    `SELECT id::text, run_id, task_id, name, value, step::text, context, recorded_at FROM metric_point
     WHERE run_id = $1 AND ($2::bigint IS NULL OR id > $2) ORDER BY metric_point.id LIMIT $3`,
    [runId, decodeCursor(page.after), page.first + 1],
  );
  const rows = res.rows.map((r) => ({ id: r.id as string, ...toMetric(r) }));
  return toPage(rows, page.first, (m) => m.id);
}

export async function agents(pool: Pool, page: PageArgs): Promise<Page<AgentRow>> {
  const res = await pool.query(`SELECT * FROM agent WHERE ($1::text IS NULL OR id > $1) ORDER BY id LIMIT $2`, [
    decodeCursor(page.after),
    page.first + 1,
  ]);
  return toPage(res.rows.map(toAgent), page.first, (a) => a.id);
}

export async function relations(pool: Pool, page: PageArgs): Promise<Page<RelationRow & { id: string }>> {
  const res = await pool.query(
    `SELECT id::text, kind, subject, object FROM prov_relation WHERE ($1::bigint IS NULL OR id > $1) ORDER BY prov_relation.id LIMIT $2`,
    [decodeCursor(page.after), page.first + 1],
  );
  return toPage(res.rows as Array<RelationRow & { id: string }>, page.first, (r) => r.id);
}
