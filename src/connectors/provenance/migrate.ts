import fs from 'node:fs/promises';
import path from 'node:path';
import type { Pool } from 'pg';
import type { Logger } from '../../logger';

/** Directory of the numbered SQL migrations (copied beside the compiled code by the build). */
export const MIGRATIONS_DIR = path.join(__dirname, 'migrations');

// Any fixed 64-bit key: serialises concurrent start-ups of several server replicas.
const MIGRATION_LOCK = 7_242_019;

/**
 * Statements a migration asks to run after its commit, one per `-- after commit: SQL` line: what
 * cannot run in a transaction (VACUUM). Failing one costs speed, not data: it is logged, not thrown.
 */
const afterCommit = (sql: string) => [...sql.matchAll(/^-- after commit: (.+)$/gm)].map((m) => m[1].trim());

/** Applies the migrations not yet applied, in order, each in its own transaction. */
export async function migrate(pool: Pool, log: Logger, dir = MIGRATIONS_DIR): Promise<string[]> {
  const files = (await fs.readdir(dir)).filter((f) => /^\d+_.*\.sql$/.test(f)).sort();
  const client = await pool.connect();
  const applied: string[] = [];
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await client.query(
      'CREATE TABLE IF NOT EXISTS schema_migration (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    const done = new Set((await client.query<{ name: string }>('SELECT name FROM schema_migration')).rows.map((r) => r.name));
    for (const file of files) {
      if (done.has(file)) continue;
      const sql = await fs.readFile(path.join(dir, file), 'utf8');
      await client.query('BEGIN');
      try {
        // A migration may rewrite a table of millions of rows (007 does): the pool's per-call
        // timeout is for requests, not for this one-time step.
        await client.query('SET LOCAL statement_timeout = 0');
        await client.query(sql);
        await client.query('INSERT INTO schema_migration (name) VALUES ($1)', [file]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        throw new Error(`migration ${file} failed: ${(err as Error).message}`, { cause: err });
      }
      log.info('applied migration', { migration: file });
      applied.push(file);
      for (const statement of afterCommit(sql)) {
        await client.query('SET statement_timeout = 0');
        await client.query(statement).then(
          () => log.info('ran after migration', { migration: file, statement }),
          (err: Error) => log.warn('statement after migration failed', { migration: file, statement, error: err.message }),
        );
        await client.query('RESET statement_timeout');
      }
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    client.release();
  }
  return applied;
}
