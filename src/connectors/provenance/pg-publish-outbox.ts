import type { Pool } from 'pg';

/** A run waiting to be published to a triple store (table publish_outbox, migration 004). */
export interface PublishJob {
  runId: string;
  /** Failed attempts so far. */
  attempts: number;
}

/**
 * Claims up to `limit` due jobs by leasing them for `leaseMs`: several server replicas never
 * publish the same run at once, and a publisher that dies leaves its jobs due again later.
 */
export async function claimPublishJobs(pool: Pool, limit: number, leaseMs: number): Promise<PublishJob[]> {
  const res = await pool.query<{ run_id: string; attempts: number }>(
    `UPDATE publish_outbox o SET next_attempt_at = now() + make_interval(secs => $2::double precision / 1000)
     WHERE o.run_id IN (
       SELECT run_id FROM publish_outbox WHERE state = 'PENDING' AND next_attempt_at <= now()
       ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED)
     RETURNING o.run_id, o.attempts`,
    [limit, leaseMs],
  );
  return res.rows.map((r) => ({ runId: r.run_id, attempts: r.attempts }));
}

export async function completePublishJob(pool: Pool, runId: string): Promise<void> {
  await pool.query(`UPDATE publish_outbox SET state = 'DONE', published_at = now(), last_error = NULL WHERE run_id = $1`, [
    runId,
  ]);
}

/** Records a failed attempt; the job is due again after `retryInMs`. */
export async function failPublishJob(pool: Pool, runId: string, error: string, retryInMs: number): Promise<void> {
  await pool.query(
    `UPDATE publish_outbox SET attempts = attempts + 1, last_error = $2,
       next_attempt_at = now() + make_interval(secs => $3::double precision / 1000)
     WHERE run_id = $1 AND state = 'PENDING'`,
    [runId, error.slice(0, 2000), retryInMs],
  );
}

/** Counts by state, for status pages and tests. */
export async function publishOutboxCounts(pool: Pool): Promise<{ pending: number; done: number }> {
  const res = await pool.query<{ state: string; n: string }>(
    'SELECT state, count(*)::text AS n FROM publish_outbox GROUP BY state',
  );
  const by = new Map(res.rows.map((r) => [r.state, Number(r.n)]));
  return { pending: by.get('PENDING') ?? 0, done: by.get('DONE') ?? 0 };
}
