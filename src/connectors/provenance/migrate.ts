import fs from 'node:fs/promises';
import path from 'node:path';
import type { Pool } from 'pg';
import type { Logger } from '../../logger';
import { PROVML_VERSION } from '../../provml-version';

/** Directory of the numbered SQL migrations (copied beside the compiled code by the build). */
export const MIGRATIONS_DIR = path.join(__dirname, 'migrations');

// Any fixed 64-bit key: serialises concurrent start-ups of several server replicas.
const MIGRATION_LOCK = 7_242_019;

/**
 * Statements a migration asks to run after its commit, one per `-- after commit: SQL` line: what
 * cannot run in a transaction (VACUUM). Failing one costs speed, not data: it is logged, not thrown.
 */
const afterCommit = (sql: string) => [...sql.matchAll(/^-- after commit: (.+)$/gm)].map((m) => m[1].trim());

/**
 * The store was migrated by a newer provml: it holds migrations this version does not ship.
 * Running on it would mean writing with an older idea of the schema (a "downgrade" nobody asked
 * for), so the store is refused, untouched, before any migration of ours runs.
 */
export class StoreVersionError extends Error {
  readonly code = 'STORE_NEWER_THAN_PROVML';
  constructor(
    readonly unknownMigrations: string[],
    readonly provmlVersion = PROVML_VERSION,
  ) {
    super(
      `the provenance store was migrated by a newer provml: it holds migration${unknownMigrations.length > 1 ? 's' : ''} ` +
        `${unknownMigrations.join(', ')} that provml ${provmlVersion} does not know; ` +
        'run the provml that migrated it (or a newer one); nothing was changed',
    );
    this.name = 'StoreVersionError';
  }
}

/** A migration failed (its transaction rolled back: the store stays at the previous migration). */
export class MigrationError extends Error {
  readonly code = 'MIGRATION_FAILED';
  constructor(
    readonly migration: string,
    cause: Error,
  ) {
    super(`migration ${migration} failed: ${cause.message}; the store is left as it was before it`, { cause });
    this.name = 'MigrationError';
  }
}

/**
 * Applies the migrations not yet applied, in order, each in its own transaction (its SQL and its
 * schema_migration row commit together, so a process killed mid-way leaves the previous version
 * and the next start runs it again). A session advisory lock serialises concurrent start-ups; a
 * store holding a migration this version lacks is refused (StoreVersionError).
 */
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
    const known = new Set(files);
    const unknown = [...done].filter((name) => !known.has(name)).sort();
    if (unknown.length) throw new StoreVersionError(unknown);
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
        throw new MigrationError(file, err as Error);
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
