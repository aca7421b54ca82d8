import type { Pool } from 'pg';
import { TASK_COLS, VALUE_COLS, byKey, decodeCursor, groupByKey, toDataRef, toPage, toTask, toValue } from './pg-mappers';
import type { PageArgs } from './provenance-store';
import type { DataRefRow, Page, ValueRow, ValueWithTask } from './rows';

/** Data references (the entities in users' stores) and what was derived from or generated at them. */

export async function dataRefsByIds(pool: Pool, ids: readonly string[]): Promise<Array<DataRefRow | null>> {
  const res = await pool.query(`SELECT id::text, uri, store, created_at FROM data_reference WHERE id = ANY($1::bigint[])`, [ids]);
  return byKey(ids, res.rows.map(toDataRef), (d) => d.id);
}

export async function dataRefsByUris(pool: Pool, uris: readonly string[]): Promise<DataRefRow[][]> {
  const res = await pool.query(
    `SELECT id::text, uri, store, created_at FROM data_reference WHERE uri = ANY($1) ORDER BY data_reference.id`,
    [uris],
  );
  return groupByKey(uris, res.rows.map(toDataRef), (d) => d.uri);
}

export async function derivedFrom(pool: Pool, refIds: readonly string[]): Promise<DataRefRow[][]> {
  const res = await pool.query(
    `WITH src(ref, source) AS (
       SELECT g.data_ref_id, u.data_ref_id FROM attribute_value g
       JOIN attribute_value u ON u.task_id = g.task_id AND u.direction = 'USED' AND u.data_ref_id IS NOT NULL
       WHERE g.data_ref_id = ANY($1::bigint[]) AND g.direction = 'GENERATED' AND u.data_ref_id <> g.data_ref_id
       UNION
       SELECT substr(subject, 5)::bigint, substr(object, 5)::bigint FROM prov_relation
       WHERE kind = 'WAS_DERIVED_FROM' AND subject = ANY($2) AND object LIKE 'ref:%')
     SELECT src.ref::text AS ref, d.id::text, d.uri, d.store, d.created_at
     FROM src JOIN data_reference d ON d.id = src.source ORDER BY src.ref, d.id`,
    [refIds, refIds.map((id) => `ref:${id}`)],
  );
  return groupByKey(refIds, res.rows, (r) => r.ref as string).map((rows) => rows.map(toDataRef));
}

export async function modelsByUris(pool: Pool, uris: readonly string[]): Promise<Array<Array<ValueRow & { store: string }>>> {
  const res = await pool.query(
    `SELECT d.uri AS key_uri, d.store AS key_store, ${VALUE_COLS.split(', ')
      .map((c) => `v.${c}`)
      .join(', ')}
     FROM data_reference d JOIN attribute_value v ON v.data_ref_id = d.id
     WHERE d.uri = ANY($1) AND v.role = 'MODEL_REFERENCE' AND v.direction = 'GENERATED'
     ORDER BY v.id`,
    [uris],
  );
  return groupByKey(uris, res.rows, (r) => r.key_uri as string).map((rows) =>
    rows.map((r) => ({ ...toValue(r), store: r.key_store as string })),
  );
}

export async function dataRefs(
  pool: Pool,
  filter: { store?: string; uriPrefix?: string; generatedWith?: Array<{ name: string; value: unknown }> },
  page: PageArgs,
): Promise<Page<DataRefRow>> {
  const conds = filter.generatedWith ?? [];
  const common = [filter.store ?? null, filter.uriPrefix ?? null, decodeCursor(page.after), page.first + 1];
  const where = `($1::text IS NULL OR d.store = $1) AND ($2::text IS NULL OR starts_with(d.uri, $2)) AND ($3::bigint IS NULL OR d.id > $3)`;
  // With conditions, start from the used values that match (indexed by name and value hash), then
  // the references their tasks generated (Q5: "the training set generated for a slice range").
  // Named: prepared once per connection, as planning it cost more than running it.
  const res = conds.length
    ? await pool.query({
        name: 'provml.dataRefsGeneratedWith',
        text: `WITH c AS (SELECT * FROM unnest($5::text[], $6::jsonb[]) WITH ORDINALITY AS c(name, value, i)),
         hits AS (
           SELECT g.data_ref_id AS id FROM c
           JOIN attribute_value u ON u.name = c.name AND u.direction = 'USED'
             AND jsonb_hash(u.value) = jsonb_hash(c.value) AND u.value = c.value AND u.task_id IS NOT NULL
           JOIN attribute_value g ON g.task_id = u.task_id AND g.direction = 'GENERATED' AND g.data_ref_id IS NOT NULL
           GROUP BY g.data_ref_id HAVING count(DISTINCT c.i) = cardinality($5::text[]))
         SELECT d.id::text, d.uri, d.store, d.created_at FROM data_reference d JOIN hits h ON h.id = d.id
         WHERE ${where} ORDER BY d.id LIMIT $4`,
        values: [...common, conds.map((c) => c.name), conds.map((c) => JSON.stringify(c.value))],
      })
    : await pool.query(
        `SELECT d.id::text, d.uri, d.store, d.created_at FROM data_reference d WHERE ${where} ORDER BY d.id LIMIT $4`,
        common,
      );
  return toPage(res.rows.map(toDataRef), page.first, (d) => d.id);
}

export async function valuesByDataRefIds(
  pool: Pool,
  ids: readonly string[],
  direction: 'USED' | 'GENERATED',
): Promise<ValueRow[][]> {
  const res = await pool.query(
    `SELECT ${VALUE_COLS} FROM attribute_value WHERE data_ref_id = ANY($1::bigint[]) AND direction = $2 ORDER BY attribute_value.id LIMIT 10000`,
    [ids, direction],
  );
  return groupByKey(ids, res.rows.map(toValue), (v) => v.dataRefId);
}

// The task's columns under a `t_` prefix, beside the value's own (both tables have id, run_id).
const TASK_PREFIXED = TASK_COLS.split(', ')
  .map((c) => {
    const name = c.replace('::text', '');
    return `t.${c.includes('::') ? `${name}::text` : name} AS t_${name}`;
  })
  .join(', ');
const unprefixed = (r: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(r).flatMap(([k, v]) => (k.startsWith('t_') ? [[k.slice(2), v]] : [])));

/**
 * valuesByDataRefIds with each value's task and its transformation's kind joined: `usedBy` /
 * `wasGeneratedBy` answer in one round trip instead of three (values, then their tasks, then the
 * transformations that give the tasks' types). Named: prepared once per connection.
 */
export async function valuesWithTasksByDataRefIds(
  pool: Pool,
  ids: readonly string[],
  direction: 'USED' | 'GENERATED',
): Promise<ValueWithTask[][]> {
  const res = await pool.query({
    name: 'provml.valuesWithTasksByDataRefIds',
    text: `SELECT ${VALUE_COLS.split(', ')
      .map((c) => `v.${c}`)
      .join(', ')}, ${TASK_PREFIXED}, tr.kind AS t_transformation_kind
     FROM attribute_value v
     LEFT JOIN task_execution t ON t.id = v.task_id
     LEFT JOIN transformation tr ON tr.id = t.transformation_id
     WHERE v.data_ref_id = ANY($1::bigint[]) AND v.direction = $2 ORDER BY v.id LIMIT 10000`,
    values: [ids, direction],
  });
  const rows = res.rows.map((r) => ({ value: toValue(r), task: r.t_id === null ? null : toTask(unprefixed(r)) }));
  return groupByKey(ids, rows, (x) => x.value.dataRefId);
}
