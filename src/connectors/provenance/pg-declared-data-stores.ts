import type { Pool, QueryResultRow } from 'pg';
import type { DeclaredDataStoreRow } from './rows';

const COLS = 'id, name, type, attributes, created_at';
const toRow = (r: QueryResultRow): DeclaredDataStoreRow => ({
  id: r.id,
  name: r.name,
  type: r.type,
  attributes: r.attributes,
  createdAt: r.created_at,
});

/** Inserts a declaration; an id already declared keeps its first declaration (returned as stored). */
export async function declareDataStore(
  pool: Pool,
  row: DeclaredDataStoreRow,
): Promise<{ row: DeclaredDataStoreRow; created: boolean }> {
  const inserted = await pool.query(
    `INSERT INTO declared_data_store (id, name, type, attributes) VALUES ($1, $2, $3, $4)
     ON CONFLICT (id) DO NOTHING RETURNING ${COLS}`,
    [row.id, row.name, row.type, JSON.stringify(row.attributes)],
  );
  if (inserted.rows[0]) return { row: toRow(inserted.rows[0]), created: true };
  const existing = await pool.query(`SELECT ${COLS} FROM declared_data_store WHERE id = $1`, [row.id]);
  return { row: toRow(existing.rows[0]), created: false };
}

export async function declaredDataStores(pool: Pool, limit: number): Promise<DeclaredDataStoreRow[]> {
  const res = await pool.query(`SELECT ${COLS} FROM declared_data_store ORDER BY id LIMIT $1`, [limit]);
  return res.rows.map(toRow);
}

export async function declaredDataStoreById(pool: Pool, id: string): Promise<DeclaredDataStoreRow | null> {
  const res = await pool.query(`SELECT ${COLS} FROM declared_data_store WHERE id = $1`, [id]);
  return res.rows[0] ? toRow(res.rows[0]) : null;
}

/** Declarations by id, in the order asked (null where none): for DataReference.dataStore. */
export async function declaredDataStoresByIds(pool: Pool, ids: readonly string[]): Promise<Array<DeclaredDataStoreRow | null>> {
  const res = await pool.query(`SELECT ${COLS} FROM declared_data_store WHERE id = ANY($1::text[])`, [ids]);
  const byId = new Map(res.rows.map((r) => [r.id as string, toRow(r)]));
  return ids.map((id) => byId.get(id) ?? null);
}
