import type { Pool } from 'pg';

/** A run waiting to be published to a triple store (table publish_outbox, migration 004). */
export interface PublishJob {
  runId: string;
  /** Failed attempts so far. */
  attempts: number;
  /** This claim's fence: only its holder may complete or fail the job (migration 008). */
  leaseToken: string;
}

/**
 * Claims up to `limit` due jobs by leasing them for `leaseMs`: several server replicas never
 * publish the same run at once, and a publisher that dies leaves its jobs due again later.
 */
export async function claimPublishJobs(pool: Pool, limit: number, leaseMs: number): Promise<PublishJob[]> {
  const res = await pool.query<{ run_id: string; attempts: number; lease_token: string }>(
    `UPDATE publish_outbox o SET next_attempt_at = now() + make_interval(secs => $2::double precision / 1000),
       lease_token = gen_random_uuid()
     WHERE o.run_id IN (
       SELECT run_id FROM publish_outbox WHERE state = 'PENDING' AND next_attempt_at <= now()
       ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED)
     RETURNING o.run_id, o.attempts, o.lease_token::text`,
    [limit, leaseMs],
  );
  return res.rows.map((r) => ({ runId: r.run_id, attempts: r.attempts, leaseToken: r.lease_token }));
}

/**
 * True while `job`'s claim is the current one, and its lease is extended by `leaseMs`: asked
 * before writing to the triple store, so a publisher whose lease passed on writes nothing.
 */
export async function holdPublishLease(pool: Pool, job: PublishJob, leaseMs: number): Promise<boolean> {
  const res = await pool.query(
    `UPDATE publish_outbox SET next_attempt_at = now() + make_interval(secs => $3::double precision / 1000)
     WHERE run_id = $1 AND lease_token = $2::uuid AND state = 'PENDING'`,
    [job.runId, job.leaseToken, leaseMs],
  );
  return res.rowCount === 1;
}

/** Marks the run published; false (nothing written) when `job`'s lease passed to another publisher. */
export async function completePublishJob(pool: Pool, job: PublishJob): Promise<boolean> {
  const res = await pool.query(
    `UPDATE publish_outbox SET state = 'DONE', published_at = now(), last_error = NULL, lease_token = NULL
     WHERE run_id = $1 AND lease_token = $2::uuid AND state = 'PENDING'`,
    [job.runId, job.leaseToken],
  );
  return res.rowCount === 1;
}

/** Records a failed attempt; the job is due again after `retryInMs`. False when the lease passed on. */
export async function failPublishJob(pool: Pool, job: PublishJob, error: string, retryInMs: number): Promise<boolean> {
  const res = await pool.query(
    `UPDATE publish_outbox SET attempts = attempts + 1, last_error = $3, lease_token = NULL,
       next_attempt_at = now() + make_interval(secs => $4::double precision / 1000)
     WHERE run_id = $1 AND lease_token = $2::uuid AND state = 'PENDING'`,
    [job.runId, job.leaseToken, error.slice(0, 2000), retryInMs],
  );
  return res.rowCount === 1;
}

/** Counts by state, for status pages and tests. */
export async function publishOutboxCounts(pool: Pool): Promise<{ pending: number; done: number }> {
  const res = await pool.query<{ state: string; n: string }>(
    'SELECT state, count(*)::text AS n FROM publish_outbox GROUP BY state',
  );
  const by = new Map(res.rows.map((r) => [r.state, Number(r.n)]));
  return { pending: by.get('PENDING') ?? 0, done: by.get('DONE') ?? 0 };
}
