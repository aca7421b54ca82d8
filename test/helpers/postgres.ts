import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * The machine's PostgreSQL server (CI starts it; see .ci/run). Each test file gets its own
 * database, dropped at the end, so suites can run in parallel.
 */
export const SERVER_URL = process.env.PROVML_TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/**
 * A fresh database; with `template`, a copy of that one (PostgreSQL's CREATE DATABASE ...
 * TEMPLATE: migrated and loaded once, copied per test in a fraction of the time). A template
 * must have no session open while it is copied.
 */
export async function createTestDatabase(prefix = 'provml_test', template?: TestDatabase): Promise<TestDatabase> {
  const name = `${prefix}_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: SERVER_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}${template ? ` TEMPLATE ${template.name}` : ''}`);
  } finally {
    await admin.end();
  }
  const url = new URL(SERVER_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: async () => {
      const c = new pg.Client({ connectionString: SERVER_URL });
      await c.connect();
      try {
        // pg's Pool#end() resolves once it has asked its clients to end, not once their backends
        // are gone. A FORCE drop in that window kills a backend that has not read its Terminate
        // yet; the client then gets a FATAL and the pool's 'error' (no listener after end) fails
        // the test file. Wait (bounded) for the database's other sessions to leave first.
        for (let waited = 0; waited < 3000; waited += 50) {
          const left = await c.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1', [name]);
          if (left.rows[0].n === 0) break;
          await new Promise((r) => setTimeout(r, 50));
        }
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}
