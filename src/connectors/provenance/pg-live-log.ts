import type { Pool, PoolClient } from 'pg';
import type { LiveChangeInput, LivePayload, StreamHead } from '../../ingest/live-changes';

/** One committed change of a live stream, as read back for subscribers. */
export interface LiveChangeRow {
  stream: string;
  seq: number;
  payload: LivePayload;
}

/**
 * Appends one change per stream inside the ingest transaction. The counter row of each stream
 * stays locked until COMMIT: a second commit of the same stream waits here, so seq follows commit
 * order. Streams are locked in code-unit order, after every other row of the batch, so this adds
 * no deadlock between batches (and a deadlock elsewhere re-runs the whole transaction anyway).
 */
export async function appendLiveChanges(client: PoolClient, unsorted: readonly LiveChangeInput[]): Promise<StreamHead[]> {
  if (!unsorted.length) return [];
  const changes = [...unsorted].sort((a, b) => (a.stream < b.stream ? -1 : a.stream > b.stream ? 1 : 0));
  const res = await client.query<{ stream: string; seq: string }>(
    `INSERT INTO live_stream (stream, seq) SELECT unnest($1::text[]), 1
     ON CONFLICT (stream) DO UPDATE SET seq = live_stream.seq + 1
     RETURNING stream, seq`,
    [changes.map((c) => c.stream)],
  );
  const seqOf = new Map(res.rows.map((r) => [r.stream, Number(r.seq)]));
  const heads = changes.map((c) => ({ stream: c.stream, seq: seqOf.get(c.stream)! }));
  await client.query(
    `INSERT INTO live_change (stream, seq, payload)
     SELECT * FROM unnest($1::text[], $2::bigint[], $3::json[])`,
    [heads.map((h) => h.stream), heads.map((h) => h.seq), changes.map((c) => JSON.stringify(c.payload))],
  );
  return heads;
}

/** Changes of one stream after `afterSeq`, oldest first, at most `limit`. */
export async function liveChangesAfter(pool: Pool, stream: string, afterSeq: number, limit: number): Promise<LiveChangeRow[]> {
  const res = await pool.query<{ seq: string; payload: LivePayload }>(
    `SELECT seq, payload FROM live_change WHERE stream = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
    [stream, afterSeq, limit],
  );
  return res.rows.map((r) => ({ stream, seq: Number(r.seq), payload: r.payload }));
}

/** The newest seq of a stream (0 when it has none yet). */
export async function liveHead(pool: Pool, stream: string): Promise<number> {
  const res = await pool.query<{ seq: string }>(`SELECT seq FROM live_stream WHERE stream = $1`, [stream]);
  return res.rows.length ? Number(res.rows[0].seq) : 0;
}

/** The newest seq of a stream and the oldest one the log still holds (null: none held). */
export async function liveBounds(pool: Pool, stream: string): Promise<{ head: number; oldest: number | null }> {
  const res = await pool.query<{ head: string | null; oldest: string | null }>(
    `SELECT (SELECT seq FROM live_stream WHERE stream = $1) AS head,
            (SELECT min(seq) FROM live_change WHERE stream = $1) AS oldest`,
    [stream],
  );
  const r = res.rows[0];
  return { head: r.head === null ? 0 : Number(r.head), oldest: r.oldest === null ? null : Number(r.oldest) };
}

// One pruner at a time across replicas: a transaction-scoped advisory lock, released at COMMIT
// or when the holder's connection dies (so a replica that stalls or crashes holds nothing).
const PRUNE_LOCK = 0x70726f76; // 'prov'

/**
 * Deletes up to about `limit` changes committed more than `retentionMs` ago. Only ever a prefix
 * of each stream: up to the newest old seq of the stream, so that the log of a stream stays a
 * gap-free suffix (`committed_at` is the transaction's start, not its commit, so an older seq may
 * carry a later time; deleting by time alone could leave a hole). Returns the rows deleted, or
 * null when another replica is pruning.
 */
export async function pruneLiveChanges(pool: Pool, retentionMs: number, limit: number): Promise<number | null> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const lock = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS ok', [PRUNE_LOCK]);
    if (!lock.rows[0].ok) {
      await client.query('COMMIT');
      return null;
    }
    const res = await client.query(
      `DELETE FROM live_change c
       USING (SELECT stream, max(seq) AS upto
                FROM (SELECT stream, seq FROM live_change
                       WHERE committed_at < now() - make_interval(secs => $1::float8 / 1000)
                       ORDER BY committed_at LIMIT $2) old
               GROUP BY stream) o
       WHERE c.stream = o.stream AND c.seq <= o.upto`,
      [retentionMs, limit],
    );
    await client.query('COMMIT');
    return res.rowCount ?? 0;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
