import type { Pool, PoolClient } from 'pg';
import { StoreConflictError } from '../../errors';

// SQLSTATE: deadlock_detected, serialization_failure. PostgreSQL rolled the transaction back,
// and running it again from the start is the documented answer to both.
const RETRYABLE = new Set(['40P01', '40001']);

export interface RetryOptions {
  /** Attempts in all, the first included. */
  attempts: number;
  /** Backoff before the second attempt (ms); doubled before each further one, with jitter. */
  baseDelayMs: number;
}

export const DEFAULT_RETRY: RetryOptions = { attempts: 5, baseDelayMs: 10 };

const sqlState = (err: unknown): string | undefined => {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
};

/**
 * Runs `fn` in one transaction on one pooled connection. A deadlock or serialization failure
 * runs it again after a short, growing, jittered pause (`fn` must only compute its result from
 * what it reads inside the transaction); when the attempts are spent, a typed, retryable
 * STORE_CONFLICT. Any other error rolls back and propagates as it is.
 */
export async function withTransaction<T>(
  pool: Pool,
  fn: (client: PoolClient) => Promise<T>,
  retry: RetryOptions = DEFAULT_RETRY,
): Promise<T> {
  const client = await pool.connect();
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        await client.query('BEGIN');
        const result = await fn(client);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        const state = sqlState(err);
        if (!state || !RETRYABLE.has(state)) throw err;
        if (attempt >= retry.attempts) throw new StoreConflictError('provenance', state, attempt);
        // Full jitter: two transactions that met once should not meet again at the same instant.
        const delay = retry.baseDelayMs * 2 ** (attempt - 1) * (0.5 + Math.random());
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  } finally {
    client.release();
  }
}
