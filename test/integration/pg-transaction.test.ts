import pg from 'pg';
import { withTransaction } from '../../src/connectors/provenance/pg-transaction';
import { StoreConflictError } from '../../src/errors';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';

/**
 * Two transactions that lock two rows in opposite order, each waiting until the other holds its
 * first row: PostgreSQL must break the deadlock by failing one of them (40P01).
 */
function crossedPair(pool: pg.Pool, retry: { attempts: number; baseDelayMs: number }) {
  const calls = { a: 0, b: 0 };
  let bothHoldFirst: () => void;
  const firstLocks = new Promise<void>((resolve) => {
    let held = 0;
    bothHoldFirst = () => {
      if (++held === 2) resolve();
    };
  });
  const run = (name: 'a' | 'b', first: number, second: number) =>
    withTransaction(
      pool,
      async (c) => {
        calls[name]++;
        await c.query('UPDATE counter SET n = n + 1 WHERE id = $1', [first]);
        if (calls[name] === 1) {
          bothHoldFirst();
          await firstLocks;
        }
        await c.query('UPDATE counter SET n = n + 1 WHERE id = $1', [second]);
        return name;
      },
      retry,
    );
  return { calls, results: Promise.allSettled([run('a', 1, 2), run('b', 2, 1)]) };
}

describe('withTransaction (PostgreSQL)', () => {
  let db: TestDatabase;
  let pool: pg.Pool;
  beforeAll(async () => {
    db = await createTestDatabase();
    // The deadlock check runs after this wait; short keeps the test fast (new sessions only).
    const admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    await admin.query(`ALTER DATABASE ${new URL(db.url).pathname.slice(1)} SET deadlock_timeout = '100ms'`);
    await admin.end();
    pool = new pg.Pool({ connectionString: db.url, max: 4 });
    await pool.query('CREATE TABLE counter (id int PRIMARY KEY, n int NOT NULL)');
  });
  beforeEach(async () => {
    await pool.query('TRUNCATE counter');
    await pool.query('INSERT INTO counter VALUES (1, 0), (2, 0)');
  });
  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });

  it('runs a transaction again after a deadlock, and both commit', async () => {
    const { calls, results } = crossedPair(pool, { attempts: 3, baseDelayMs: 5 });
    const settled = await results;
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled']);
    // One of the two was chosen as the victim and ran twice.
    expect(calls.a + calls.b).toBe(3);
    const rows = await pool.query<{ n: number }>('SELECT n FROM counter ORDER BY id');
    // Each committed transaction added one to each row; the victim's first attempt left nothing.
    expect(rows.rows.map((r) => r.n)).toEqual([2, 2]);
  });

  it('answers a typed, retryable STORE_CONFLICT once the attempts are spent, having written nothing', async () => {
    const { results } = crossedPair(pool, { attempts: 1, baseDelayMs: 5 });
    const settled = await results;
    const failed = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected');
    expect(failed).toHaveLength(1);
    expect(failed[0].reason).toBeInstanceOf(StoreConflictError);
    expect((failed[0].reason as StoreConflictError).extensions).toMatchObject({
      code: 'STORE_CONFLICT',
      retryable: true,
      sqlState: '40P01',
    });
    const rows = await pool.query<{ n: number }>('SELECT n FROM counter ORDER BY id');
    expect(rows.rows.map((r) => r.n)).toEqual([1, 1]);
  });

  it('does not retry other errors', async () => {
    let calls = 0;
    await expect(
      withTransaction(pool, async (c) => {
        calls++;
        await c.query('SELECT 1/0');
      }),
    ).rejects.toMatchObject({ code: '22012' });
    expect(calls).toBe(1);
  });
});
