import type { Pool, PoolClient } from 'pg';

/** What a parked event waits for: a run (workflow execution) or a task not stored yet. */
export interface ParkedWait {
  kind: 'run' | 'task';
  id: string;
}

/** One event to park (table parked_event, migration 016). */
export interface ParkInput {
  eventId: string;
  /** The event as sent (with `time` filled in at arrival when it had none). */
  event: unknown;
  waits: ParkedWait;
}

/** A parked event the worker took to write (its row locked by the worker's transaction). */
export interface ParkedRow {
  eventId: string;
  seq: string;
  event: unknown;
  waits: ParkedWait;
  parkedAt: Date;
}

/** A parked event as the admin view lists it. */
export interface ParkedListing extends ParkedRow {
  status: 'PARKED' | 'REJECTED';
  issue: { code: string; field: string; message: string } | null;
}

export interface ParkedSummary {
  /** Events waiting (status PARKED). */
  parked: number;
  /** Events whose parent landed and that still did not fit (status REJECTED), kept for an operator. */
  rejected: number;
  /** Age of the oldest waiting event (seconds); null when none waits. */
  oldestAgeSeconds: number | null;
}

/** How parked events were settled by one release pass (inside its transaction). */
export interface ParkedSettlement {
  /** Written (or found stored already): their rows go. */
  released: string[];
  /** Still waiting, now for something else (a task whose begin is parked itself). */
  waiting: Array<{ eventId: string; waits: ParkedWait }>;
  rejected: Array<{ eventId: string; issue: { code: string; field: string; message: string } }>;
  /** Tasks whose parked begin was rejected: the events waiting for them are rejected too (nothing would release them). */
  rejectedTasks: string[];
}

// One release pass at a time across replicas: two passes would split a task's events between
// them (SKIP LOCKED), and the later one would find its begin not yet committed.
const RELEASE_LOCK = "hashtext('provml:parked_event:release')";

/**
 * Parks events; an event id parked already keeps its first row (a resend while it waits).
 * Returns how many rows this call wrote.
 */
export async function parkEvents(pool: Pool, rows: readonly ParkInput[]): Promise<number> {
  if (!rows.length) return 0;
  // Ordinality keeps the batch's order in seq (bigserial is drawn in row order of the SELECT).
  const res = await pool.query(
    `INSERT INTO parked_event (event_id, event, waits_kind, waits_for)
     SELECT e->>'eventId', (e->'event')::jsonb, e->>'kind', e->>'waitsFor'
     FROM json_array_elements($1::json) WITH ORDINALITY AS a(e, n)
     ORDER BY n
     ON CONFLICT (event_id) DO NOTHING`,
    [JSON.stringify(rows.map((r) => ({ eventId: r.eventId, event: r.event, kind: r.waits.kind, waitsFor: r.waits.id })))],
  );
  return res.rowCount ?? 0;
}

/** A parked_event row as both reads select it. */
interface RawParked {
  event_id: string;
  seq: string;
  event: unknown;
  waits_kind: 'run' | 'task';
  waits_for: string;
  parked_at: Date;
}

const toParkedRow = (r: RawParked): ParkedRow => ({
  eventId: r.event_id,
  seq: r.seq,
  event: r.event,
  waits: { kind: r.waits_kind, id: r.waits_for },
  parkedAt: r.parked_at,
});

/**
 * Takes the release lock for this transaction (false: another replica is releasing now) and
 * locks up to `limit` parked events whose run or task is stored, in arrival order.
 */
export async function takeReleasable(client: PoolClient, limit: number): Promise<ParkedRow[] | null> {
  const lock = await client.query<{ ok: boolean }>(`SELECT pg_try_advisory_xact_lock(${RELEASE_LOCK}) AS ok`);
  if (!lock.rows[0]?.ok) return null;
  const res = await client.query<RawParked>(
    `SELECT p.event_id, p.seq::text, p.event, p.waits_kind, p.waits_for, p.parked_at
     FROM parked_event p
     WHERE p.status = 'PARKED' AND CASE p.waits_kind
       WHEN 'run' THEN EXISTS (SELECT 1 FROM workflow_execution w WHERE w.id = p.waits_for)
       ELSE EXISTS (SELECT 1 FROM task_execution t WHERE t.id = p.waits_for) END
     ORDER BY p.seq
     LIMIT $1
     FOR UPDATE OF p`,
    [limit],
  );
  return res.rows.map(toParkedRow);
}

/** One event rejected in SQL with its task: the pass never read it, and counts it from this. */
export interface CascadeRejected {
  eventId: string;
  code: string;
}

/**
 * Settles a release pass's rows. Returns the events waiting for a rejected task that were
 * rejected with it here (they count as rejected, as the pass's own issues do).
 */
export async function settleParked(client: PoolClient, s: ParkedSettlement): Promise<CascadeRejected[]> {
  if (s.released.length) await client.query(`DELETE FROM parked_event WHERE event_id = ANY($1::text[])`, [s.released]);
  if (s.waiting.length) {
    await client.query(
      `UPDATE parked_event p SET waits_kind = u.kind, waits_for = u."waitsFor"
       FROM json_to_recordset($1::json) AS u("eventId" text, kind text, "waitsFor" text) WHERE p.event_id = u."eventId"`,
      [JSON.stringify(s.waiting.map((w) => ({ eventId: w.eventId, kind: w.waits.kind, waitsFor: w.waits.id })))],
    );
  }
  if (s.rejected.length) {
    await client.query(
      `UPDATE parked_event p SET status = 'REJECTED', issue = u.issue
       FROM json_to_recordset($1::json) AS u("eventId" text, issue jsonb) WHERE p.event_id = u."eventId"`,
      [JSON.stringify(s.rejected)],
    );
  }
  if (!s.rejectedTasks.length) return [];
  const cascade = await client.query<CascadeRejected>(
    `UPDATE parked_event SET status = 'REJECTED',
       issue = jsonb_build_object('code', 'BAD_USER_INPUT', 'field', 'task',
         'message', format('task "%s" was rejected once its run landed (its taskBegin is kept, rejected)', waits_for))
     WHERE status = 'PARKED' AND waits_kind = 'task' AND waits_for = ANY($1::text[])
     RETURNING event_id AS "eventId", issue->>'code' AS code`,
    [s.rejectedTasks],
  );
  return cascade.rows;
}

export async function parkedSummary(pool: Pool): Promise<ParkedSummary> {
  const res = await pool.query<{ parked: string; rejected: string; oldest: number | null }>(
    `SELECT count(*) FILTER (WHERE status = 'PARKED') AS parked, count(*) FILTER (WHERE status = 'REJECTED') AS rejected,
       extract(epoch FROM now() - min(parked_at) FILTER (WHERE status = 'PARKED'))::float8 AS oldest
     FROM parked_event`,
  );
  const r = res.rows[0];
  return {
    parked: Number(r.parked),
    rejected: Number(r.rejected),
    oldestAgeSeconds: r.oldest === null ? null : Math.floor(r.oldest),
  };
}

/** Parked events, oldest first (the admin view: `provml parked`, GraphQL `parkedEvents`). */
export async function listParked(pool: Pool, limit: number): Promise<ParkedListing[]> {
  const res = await pool.query<RawParked & { status: 'PARKED' | 'REJECTED'; issue: ParkedListing['issue'] }>(
    `SELECT event_id, seq::text, event, waits_kind, waits_for, parked_at, status, issue FROM parked_event ORDER BY seq LIMIT $1`,
    [limit],
  );
  return res.rows.map((r) => ({ ...toParkedRow(r), status: r.status, issue: r.issue }));
}

/**
 * Which parked events to delete (`provml parked delete`, GraphQL `deleteParkedEvents`): every
 * given part must match (at least one is given). A run's events are those that wait for it, name
 * it, or wait for a task whose parked begin names it (a taskEnd names its task only).
 */
export interface ParkedDeleteFilter {
  run?: string;
  /** Parked at least this many seconds ago. */
  olderThanSeconds?: number;
  eventIds?: string[];
}

export interface ParkedDeletion {
  /** Rows the filter matched (all deleted unless a dry run). */
  matched: number;
  deleted: number;
  /** The matched events, oldest first, at most `limit`. */
  events: ParkedListing[];
}

function deleteWhere(f: ParkedDeleteFilter): { sql: string; params: unknown[] } {
  const parts: string[] = [];
  const params: unknown[] = [];
  if (f.run !== undefined) {
    params.push(f.run);
    const r = `$${params.length}`;
    parts.push(
      `((p.waits_kind = 'run' AND p.waits_for = ${r}) OR p.event->>'run' = ${r} OR (p.waits_kind = 'task' AND p.waits_for IN (` +
        `SELECT b.event->>'task' FROM parked_event b WHERE b.event->>'type' = 'taskBegin' AND b.event->>'run' = ${r})))`,
    );
  }
  if (f.olderThanSeconds !== undefined) {
    params.push(f.olderThanSeconds);
    parts.push(`p.parked_at <= now() - make_interval(secs => $${params.length})`);
  }
  if (f.eventIds !== undefined) {
    params.push(f.eventIds);
    parts.push(`p.event_id = ANY($${params.length}::text[])`);
  }
  // A filter with no part would be every row: the callers refuse it first, this guards them.
  if (!parts.length) throw new Error('a parked-event deletion needs a filter');
  return { sql: parts.join(' AND '), params };
}

/**
 * Deletes the parked events a filter matches (waiting or rejected), or with `apply` false only
 * lists them. One transaction; a row a release pass holds is waited for, and one it released
 * (written) is gone and not counted: a deletion never undoes a write.
 */
export async function deleteParked(pool: Pool, f: ParkedDeleteFilter, apply: boolean, limit: number): Promise<ParkedDeletion> {
  const { sql, params } = deleteWhere(f);
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const rows = await client.query<RawParked & { status: 'PARKED' | 'REJECTED'; issue: ParkedListing['issue'] }>(
      `SELECT p.event_id, p.seq::text, p.event, p.waits_kind, p.waits_for, p.parked_at, p.status, p.issue
       FROM parked_event p WHERE ${sql} ORDER BY p.seq FOR UPDATE OF p`,
      params,
    );
    let deleted = 0;
    if (apply && rows.rows.length) {
      const res = await client.query(`DELETE FROM parked_event WHERE event_id = ANY($1::text[])`, [
        rows.rows.map((r) => r.event_id),
      ]);
      deleted = res.rowCount ?? 0;
    }
    await client.query('COMMIT');
    return {
      matched: rows.rows.length,
      deleted,
      events: rows.rows.slice(0, limit).map((r) => ({ ...toParkedRow(r), status: r.status, issue: r.issue })),
    };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
