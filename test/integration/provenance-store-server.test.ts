import pg from 'pg';
import { openProvenanceStore } from '../../src/connectors/provenance/open-provenance-store';
import { silentLogger } from '../../src/logger';
import { createTestDatabase } from '../helpers/postgres';
import { provenanceStoreContract } from './provenance-store.contract';

// The server backend: the machine's PostgreSQL server (15 in CI), a fresh database per run.
provenanceStoreContract('PostgreSQL server', async () => {
  const db = await createTestDatabase();
  const opened = await openProvenanceStore({ databaseUrl: db.url, dataDir: '/nonexistent', poolSize: 4, log: silentLogger });
  const pool = new pg.Pool({ connectionString: db.url, max: 1 });
  return {
    store: opened.store,
    count: async (t) => Number((await pool.query(`SELECT count(*) FROM ${t}`)).rows[0].count),
    close: async () => {
      await pool.end();
      await opened.close();
      await db.drop();
    },
  };
});
