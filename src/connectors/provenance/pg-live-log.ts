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
