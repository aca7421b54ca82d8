import pg from 'pg';
import type { Logger } from '../../logger';
import { startLocalPostgres } from './local-postgres';
import { migrate } from './migrate';
import { PgApiTokenStore, type ApiTokenStore } from './pg-api-tokens';
import { PgStudyVisibility, type StudyVisibility } from './pg-study-visibility';
import { PgProvenanceStore } from './pg-provenance-store';
import type { ProvenanceStore } from './provenance-store';

// Keep 64-bit integers exact: bigint columns come back as strings, never as rounded numbers.
pg.types.setTypeParser(pg.types.builtins.INT8, (v: string) => v);

export interface OpenStoreOptions {
  /** A PostgreSQL server; when absent, a local PostgreSQL in `dataDir`. */
  databaseUrl?: string;
  dataDir: string;
  poolSize: number;
  log: Logger;
}

export interface OpenedStore {
  store: ProvenanceStore;
  backend: 'server' | 'local';
  /** Access tokens, in the same database (migration 011). */
  tokens: ApiTokenStore;
  /** Which records belong to which studies (study-limited tokens). */
  visibility: StudyVisibility;
  /** The migrations this opening applied (empty when the store was already current). */
  applied: string[];
  /** Connection URL (with the local server's password: never log it). */
  url: string;
  close(): Promise<void>;
}

/** Opens the provenance store on either backend, migrated and ready. */
export async function openProvenanceStore(opts: OpenStoreOptions): Promise<OpenedStore> {
  const log = opts.log.child({ source: 'provenance-store' });
  const local = opts.databaseUrl ? null : await startLocalPostgres(opts.dataDir, log);
  const url = opts.databaseUrl ?? local!.url;
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.poolSize,
    // Every store call is bounded; a stuck statement must not hold a request forever.
    statement_timeout: 60_000,
    connectionTimeoutMillis: 10_000,
  });
  pool.on('error', (err) => log.warn('idle PostgreSQL connection failed', { error: err.message }));
  let applied: string[];
  try {
    applied = await migrate(pool, log);
  } catch (err) {
    await pool.end().catch(() => undefined);
    await local?.stop().catch(() => undefined);
    throw err;
  }
  const store = new PgProvenanceStore(pool);
  return {
    store,
    tokens: new PgApiTokenStore(pool),
    visibility: new PgStudyVisibility(pool),
    backend: local ? 'local' : 'server',
    applied,
    url,
    close: async () => {
      await store.close();
      await local?.stop();
    },
  };
}
