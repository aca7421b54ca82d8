import pg from 'pg';
import { migrate, MIGRATIONS_DIR } from '../../src/connectors/provenance/migrate';
import { silentLogger } from '../../src/logger';

/**
 * One process migrating a store, as a starting server would: `tsx migrate-child.ts URL [DIR]`.
 * Prints `ready` once connected and, at the end, the JSON list of the migrations it applied.
 * Tests run several at once (the advisory lock) or kill one mid-migration (atomicity).
 */
async function main() {
  const [url, dir = MIGRATIONS_DIR] = process.argv.slice(2);
  // Named, so a test can tell this process's session from its own in pg_stat_activity.
  const pool = new pg.Pool({ connectionString: url, max: 1, application_name: 'provml-migrate-child' });
  try {
    await pool.query('SELECT 1');
    process.stdout.write('ready\n');
    const applied = await migrate(pool, silentLogger, dir);
    process.stdout.write(`${JSON.stringify(applied)}\n`);
  } finally {
    await pool.end();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
