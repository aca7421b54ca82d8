import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { main } from '../../src/cli';
import { migrate, MIGRATIONS_DIR, StoreVersionError } from '../../src/connectors/provenance/migrate';
import { silentLogger } from '../../src/logger';
import { PROVML_VERSION } from '../../src/provml-version';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { TextSink } from '../helpers/text-sink';

// Store version safety: a newer store is refused untouched, a killed migration leaves the previous
// version (and the next start finishes it), and concurrent start-ups migrate once.

// `node --import tsx`, not the tsx CLI: that runs the script in a child process a SIGKILL would miss.
const TSX = ['--import', 'tsx'];
const CHILD = path.join(__dirname, '../helpers/migrate-child.ts');

interface Child {
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }>;
  kill(signal: NodeJS.Signals): void;
}

function migrateInChild(url: string, dir?: string): Child {
  const child = spawn(process.execPath, [...TSX, CHILD, url, ...(dir ? [dir] : [])], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  return {
    done: new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal, out, err }))),
    kill: (signal) => child.kill(signal),
  };
}

async function migrationDir(files: Record<string, string>): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'provml-migrations-'));
  for (const [name, sql] of Object.entries(files)) await fs.writeFile(path.join(dir, name), sql);
  return dir;
}

const tableExists = async (pool: pg.Pool, name: string) =>
  (await pool.query('SELECT to_regclass($1) AS t', [name])).rows[0].t !== null;
const appliedRows = async (pool: pg.Pool) =>
  (await pool.query<{ name: string }>('SELECT name FROM schema_migration ORDER BY name')).rows.map((r) => r.name);

describe('store version safety', () => {
  let db: TestDatabase;
  let pool: pg.Pool;
  beforeEach(async () => {
    db = await createTestDatabase('provml_version');
    pool = new pg.Pool({ connectionString: db.url, max: 2 });
    // An idle connection ended by the DROP DATABASE … WITH (FORCE) of afterEach is no failure.
    pool.on('error', () => undefined);
  });
  afterEach(async () => {
    await pool?.end();
    await db?.drop();
  });

  it('refuses a store migrated by a newer provml, naming the unknown migrations, and changes nothing', async () => {
    const dir = await migrationDir({ '001_a.sql': 'CREATE TABLE a (x int)', '002_b.sql': 'CREATE TABLE b (x int)' });
    await migrate(pool, silentLogger, dir);
    // What a newer provml leaves: our 002 undone never happened here; its own 003 and 004 applied.
    await pool.query(`DELETE FROM schema_migration WHERE name = '002_b.sql'; DROP TABLE b`);
    await pool.query(`INSERT INTO schema_migration (name) VALUES ('004_future.sql'), ('003_future.sql')`);

    const err = await migrate(pool, silentLogger, dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreVersionError);
    const e = err as StoreVersionError;
    expect(e.code).toBe('STORE_NEWER_THAN_PROVML');
    expect(e.unknownMigrations).toEqual(['003_future.sql', '004_future.sql']);
    expect(e.message).toContain('003_future.sql, 004_future.sql');
    expect(e.message).toContain(`provml ${PROVML_VERSION}`);
    // Not "half-migrated": the migration this version would have added did not run.
    expect(await tableExists(pool, 'b')).toBe(false);
    expect(await appliedRows(pool)).toEqual(['001_a.sql', '003_future.sql', '004_future.sql']);
  });

  it('`provml migrate` and `provml serve` refuse a newer store of the real migrations, exit 1 with the message', async () => {
    await migrate(pool, silentLogger);
    await pool.query(`INSERT INTO schema_migration (name) VALUES ('999_from_a_newer_provml.sql')`);
    const out = new TextSink();
    const err = await main(['migrate'], { out, err: new TextSink(), env: { ...process.env, PROVML_DATABASE_URL: db.url } }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StoreVersionError);
    expect(out.text).toBe('');

    // `provml serve` as a process (the build in dist/): refused before it listens, with one clear line.
    const child = spawn(process.execPath, [path.join(__dirname, '../../bin/provml.js'), 'serve'], {
      env: { ...process.env, PROVML_DATABASE_URL: db.url, PORT: '0', HOST: '127.0.0.1', PROVML_LOG_LEVEL: 'error' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let text = '';
    child.stdout.on('data', (d) => (text += d));
    child.stderr.on('data', (d) => (text += d));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    expect(text).toContain('999_from_a_newer_provml.sql');
    expect(text).toContain(`provml ${PROVML_VERSION} does not know`);
    expect(text).not.toContain('GraphQL at');
  }, 120_000);

  it('a migration killed mid-way leaves the previous version, and the next start finishes it', async () => {
    const dir = await migrationDir({
      '001_a.sql': 'CREATE TABLE a (x int)',
      // A long migration: a table, rows, then a wait the test kills the process in.
      '002_slow.sql': 'CREATE TABLE b (x int); INSERT INTO b VALUES (1), (2); SELECT pg_sleep(3);',
    });
    const child = migrateInChild(db.url, dir);
    // Wait until the migration is running (its sleep shows in pg_stat_activity), then SIGKILL.
    for (let i = 0; ; i++) {
      const busy = await pool.query(
        `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'provml-migrate-child' AND query LIKE '%pg_sleep(3)%'`,
      );
      if (busy.rowCount) break;
      if (i > 600) throw new Error(`the migration never started:\n${(await child.done).err}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill('SIGKILL');
    expect((await child.done).signal).toBe('SIGKILL');
    // Its backend finishes the sleep, finds the client gone and rolls back; the next start waits
    // for the migration lock the dead one's session held, then applies 002 itself.
    const next = await migrate(pool, silentLogger, dir);
    expect(next).toEqual(['002_slow.sql']);
    expect(await appliedRows(pool)).toEqual(['001_a.sql', '002_slow.sql']);
    // Exactly one copy of 002's rows: the killed run's never committed.
    expect((await pool.query('SELECT count(*)::int AS n FROM b')).rows[0].n).toBe(2);
  }, 60_000);

  it('the killed run left nothing of its migration behind before the next start (each migration atomic)', async () => {
    const dir = await migrationDir({
      '001_a.sql': 'CREATE TABLE a (x int)',
      '002_slow.sql': 'CREATE TABLE b (x int); SELECT pg_sleep(2);',
    });
    const child = migrateInChild(db.url, dir);
    for (let i = 0; ; i++) {
      const busy = await pool.query(
        `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'provml-migrate-child' AND query LIKE '%pg_sleep(2)%'`,
      );
      if (busy.rowCount) break;
      if (i > 600) throw new Error(`the migration never started:\n${(await child.done).err}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill('SIGKILL');
    await child.done;
    // Wait for the orphaned backend to end (it notices the closed socket after its sleep).
    for (let i = 0; ; i++) {
      const left = await pool.query(
        `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'provml-migrate-child'`,
      );
      if (!left.rowCount) break;
      if (i > 600) throw new Error('the session of the killed process never ended');
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(await appliedRows(pool)).toEqual(['001_a.sql']);
    expect(await tableExists(pool, 'b')).toBe(false);
  }, 60_000);

  it('two processes starting at once on a fresh store: each migration applied exactly once, both succeed', async () => {
    const [one, two] = [migrateInChild(db.url), migrateInChild(db.url)];
    const [r1, r2] = await Promise.all([one.done, two.done]);
    expect([r1.code, r2.code, r1.err, r2.err]).toEqual([0, 0, '', '']);
    const lists = [r1, r2].map((r) => JSON.parse(r.out.trim().split('\n').at(-1)!) as string[]);
    const all = (await fs.readdir(MIGRATIONS_DIR)).filter((f) => /^\d+_.*\.sql$/.test(f)).sort();
    // One of them applied everything, the other waited on the lock and found nothing to do.
    expect([...lists[0], ...lists[1]].sort()).toEqual(all);
    expect(lists.some((l) => l.length === 0)).toBe(true);
    expect(await appliedRows(pool)).toEqual(all);
  }, 120_000);
});
