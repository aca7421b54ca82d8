import type { Pool, QueryResultRow } from 'pg';
import { byKey, decodeCursor, toPage } from './pg-mappers';
import type { PageArgs } from './provenance-store';
import type { Page } from './rows';

/** Where an extraction job stands (table extraction_job, migration 006). */
export type ExtractionStatus = 'PENDING' | 'RUNNING' | 'DONE' | 'FAILED';
export const EXTRACTION_STATUSES: readonly ExtractionStatus[] = ['PENDING', 'RUNNING', 'DONE', 'FAILED'];

/** One extracted quantity: a PROV-ML DatasetCharacteristicValue (name and JSON value). */
export interface CharacteristicValue {
  name: string;
  value: unknown;
}

/** Why an attempt failed, and where in the file. */
export interface ExtractionFailure {
  code: string;
  message: string;
  offset: number | null;
  field: string | null;
}

export interface ExtractionJobRow {
  id: string;
  dataRefId: string;
  uri: string;
  store: string;
  /** The request's options as written (`extract: true` is `{}`); checked by the worker. */
  options: unknown;
  status: ExtractionStatus;
  attempts: number;
  /** The current claim's fence (RUNNING jobs): only its holder may renew, complete or fail the job. */
  leaseToken: string | null;
  bytesRead: number | null;
  characteristics: CharacteristicValue[] | null;
  resultRunId: string | null;
  /** What a DONE job could not do without failing (no CRS for a footprint, a read-only store). */
  note: string | null;
  error: ExtractionFailure | null;
  requestedAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

/** What a finished job records. */
export interface ExtractionOutcome {
  bytesRead: number;
  characteristics: CharacteristicValue[];
  resultRunId: string | null;
  note: string | null;
}

const COLS = `j.id::text, j.data_ref_id::text, d.uri, d.store, j.options, j.status, j.attempts, j.lease_token::text, j.bytes_read::text,
  j.characteristics, j.result_run_id, j.note, j.error_code, j.error_message, j.error_offset::text, j.error_field,
  j.requested_at, j.started_at, j.finished_at`;

const toJob = (r: QueryResultRow): ExtractionJobRow => ({
  id: r.id,
  dataRefId: r.data_ref_id,
  uri: r.uri,
  store: r.store,
  options: r.options,
  status: r.status,
  attempts: r.attempts,
  leaseToken: r.lease_token,
  bytesRead: r.bytes_read === null ? null : Number(r.bytes_read),
  characteristics: r.characteristics,
  resultRunId: r.result_run_id,
  note: r.note,
  error: r.error_code
    ? {
        code: r.error_code,
        message: r.error_message ?? '',
        offset: r.error_offset === null ? null : Number(r.error_offset),
        field: r.error_field,
      }
    : null,
  requestedAt: r.requested_at,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
});

const secs = (ms: number) => ms / 1000;

/**
 * Leases up to `limit` jobs: pending ones that are due, and running ones whose lease ran out
 * (their worker died or the server was killed). SKIP LOCKED keeps two replicas off one job.
 */
export async function claimExtractionJobs(pool: Pool, limit: number, leaseMs: number): Promise<ExtractionJobRow[]> {
  if (limit <= 0) return [];
  const res = await pool.query(
    `WITH due AS (
       SELECT id FROM extraction_job
       WHERE status IN ('PENDING', 'RUNNING') AND next_attempt_at <= now()
       ORDER BY next_attempt_at, id LIMIT $1 FOR UPDATE SKIP LOCKED),
     claimed AS (
       UPDATE extraction_job j SET status = 'RUNNING', attempts = j.attempts + 1, started_at = now(), lease_token = gen_random_uuid(),
         next_attempt_at = now() + make_interval(secs => $2::double precision)
       FROM due WHERE j.id = due.id RETURNING j.*)
     SELECT ${COLS} FROM claimed j JOIN data_reference d ON d.id = j.data_ref_id ORDER BY j.id`,
    [limit, secs(leaseMs)],
  );
  return res.rows.map(toJob);
}

/** A claim: the job and the lease token it was given. */
export interface ExtractionLease {
  id: string;
  leaseToken: string;
}

/**
 * Extends the leases of jobs still being read (so none is taken over) and records their
 * progress; returns the ids whose lease is still this worker's (the others passed on).
 */
export async function renewExtractionLeases(
  pool: Pool,
  progress: ReadonlyArray<ExtractionLease & { bytesRead: number }>,
  leaseMs: number,
): Promise<Set<string>> {
  if (!progress.length) return new Set();
  const res = await pool.query<{ id: string }>(
    `UPDATE extraction_job j SET next_attempt_at = now() + make_interval(secs => $4::double precision), bytes_read = p.bytes
     FROM unnest($1::bigint[], $2::uuid[], $3::bigint[]) AS p(id, token, bytes)
     WHERE j.id = p.id AND j.lease_token = p.token AND j.status = 'RUNNING'
     RETURNING j.id::text`,
    [progress.map((p) => p.id), progress.map((p) => p.leaseToken), progress.map((p) => p.bytesRead), secs(leaseMs)],
  );
  return new Set(res.rows.map((r) => r.id));
}

/** Records the result; false (nothing written) when the lease passed to another worker. */
export async function completeExtractionJob(pool: Pool, lease: ExtractionLease, result: ExtractionOutcome): Promise<boolean> {
  const res = await pool.query(
    `UPDATE extraction_job SET status = 'DONE', bytes_read = $3, characteristics = $4::jsonb, result_run_id = $5, note = $6,
       error_code = NULL, error_message = NULL, error_offset = NULL, error_field = NULL, finished_at = now(), lease_token = NULL
     WHERE id = $1 AND lease_token = $2::uuid AND status = 'RUNNING'`,
    [
      lease.id,
      lease.leaseToken,
      result.bytesRead,
      JSON.stringify(result.characteristics),
      result.resultRunId,
      result.note?.slice(0, 2000) ?? null,
    ],
  );
  return res.rowCount === 1;
}

/**
 * Records a failed attempt: final (FAILED) when `retryInMs` is null, otherwise the job is
 * PENDING again and due after `retryInMs` (a store that was down). False when the lease passed on.
 */
export async function failExtractionJob(
  pool: Pool,
  lease: ExtractionLease,
  failure: ExtractionFailure & { bytesRead: number | null },
  retryInMs: number | null,
): Promise<boolean> {
  const res = await pool.query(
    `UPDATE extraction_job SET
       status = CASE WHEN $8::double precision IS NULL THEN 'FAILED' ELSE 'PENDING' END,
       next_attempt_at = now() + make_interval(secs => coalesce($8::double precision, 0)),
       finished_at = CASE WHEN $8::double precision IS NULL THEN now() ELSE NULL END,
       error_code = $3, error_message = $4, error_offset = $5, error_field = $6, bytes_read = $7, lease_token = NULL
     WHERE id = $1 AND lease_token = $2::uuid AND status = 'RUNNING'`,
    [
      lease.id,
      lease.leaseToken,
      failure.code,
      failure.message.slice(0, 2000),
      failure.offset,
      failure.field,
      failure.bytesRead,
      retryInMs === null ? null : secs(retryInMs),
    ],
  );
  return res.rowCount === 1;
}

/** The latest requested job of each data reference, in key order (dataloader contract). */
export async function latestExtractionJobs(pool: Pool, dataRefIds: readonly string[]): Promise<Array<ExtractionJobRow | null>> {
  const res = await pool.query(
    `SELECT DISTINCT ON (j.data_ref_id) ${COLS}
     FROM extraction_job j JOIN data_reference d ON d.id = j.data_ref_id
     WHERE j.data_ref_id = ANY($1::bigint[]) ORDER BY j.data_ref_id, j.requested_at DESC, j.id DESC`,
    [dataRefIds],
  );
  return byKey(dataRefIds, res.rows.map(toJob), (j) => j.dataRefId);
}

/** Jobs in id order, optionally of one status (keyset pages). */
export async function extractionJobs(
  pool: Pool,
  filter: { status?: ExtractionStatus | null },
  page: PageArgs,
): Promise<Page<ExtractionJobRow>> {
  const res = await pool.query(
    `SELECT ${COLS} FROM extraction_job j JOIN data_reference d ON d.id = j.data_ref_id
     WHERE ($1::text IS NULL OR j.status = $1) AND ($2::bigint IS NULL OR j.id > $2)
     ORDER BY j.id LIMIT $3`,
    [filter.status ?? null, decodeCursor(page.after), page.first + 1],
  );
  return toPage(res.rows.map(toJob), page.first, (j) => j.id);
}

/** Jobs by status, every status present (for queue-depth metrics). */
export async function extractionJobCounts(pool: Pool): Promise<Record<ExtractionStatus, number>> {
  const res = await pool.query<{ status: ExtractionStatus; n: string }>(
    'SELECT status, count(*)::text AS n FROM extraction_job GROUP BY status',
  );
  const out = Object.fromEntries(EXTRACTION_STATUSES.map((s) => [s, 0])) as Record<ExtractionStatus, number>;
  for (const r of res.rows) out[r.status] = Number(r.n);
  return out;
}
