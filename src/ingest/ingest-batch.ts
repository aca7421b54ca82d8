import { FastPathConflict, type ProvenanceStore } from '../connectors/provenance/provenance-store';
import type { AttributeRow } from '../connectors/provenance/rows';
import { LimitExceededError } from '../errors';
import { parseEvent, type EventIssue, type IngestEvent } from './events';
import { resolveBatch, type ResolvedEvent } from './resolve-batch';
import type { SpecCatalog } from './spec-catalog';
import { mapBatch, writeBatch, writeFreshBatch } from './write-batch';
import { liveChangesOf, type StreamHead } from './live-changes';
import { toParked, type Parking } from './parked-events';
import type { ParkedWait } from '../connectors/provenance/pg-parked-events';

/** An event of the batch that waits for its run or task (parked, not rejected: docs/ingest.md). */
export interface ParkedNote {
  index: number;
  eventId: string;
  waitsFor: ParkedWait;
}

export interface IngestResult {
  accepted: number;
  duplicates: number;
  rejected: number;
  /** Events parked: stored durably, written once their run or task lands (not to be resent). */
  parked: number;
  duplicateIds: string[];
  issues: EventIssue[];
  parkedEvents: ParkedNote[];
}

/** Told of each batch's outcome and time (the server's metrics). */
export interface IngestObserver {
  ingestDone(result: IngestResult, seconds: number): void;
  /** The batch failed whole (too large, store down): `code` is its error's code. */
  ingestFailed(code: string, events: number, seconds: number): void;
}

export interface IngestDeps {
  store: ProvenanceStore;
  catalog: SpecCatalog;
  maxBatchEvents: number;
  observer?: IngestObserver;
  /**
   * Called once the batch's transaction has committed, with the live streams it advanced (for
   * subscriptions); never before COMMIT, never for a rolled-back attempt.
   */
  onCommitted?: (heads: StreamHead[]) => void;
  /**
   * The parked-event worker: with it, an event whose run or task is not stored yet is parked
   * and written when that lands; without it (imports, study-limited tokens), it is rejected.
   */
  parking?: Parking;
  /**
   * The events were read from a POST body with no `\u` escape, so none of their strings holds
   * a NUL or a lone surrogate (see findJsonProblem) and those checks are skipped. Absent: checked.
   */
  stringsChecked?: boolean;
}

/**
 * The fast path first (all new: one statement), the careful path when the store refuses it (a
 * resend, a task begun again, a concurrent writer): claims ids one by one, writes the rest.
 */
async function writeAccepted(
  accepted: ResolvedEvent[],
  runIds: Set<string>,
  deps: IngestDeps,
  now: Date,
): Promise<{ dup: Set<string>; created: AttributeRow[]; heads: StreamHead[] }> {
  try {
    // The live log's changes go in the same atomic write as the rows (published after COMMIT).
    const { created, heads } = await writeFreshBatch(deps.store, mapBatch(accepted, runIds, now), liveChangesOf(accepted, now));
    deps.catalog.executions.addBegun(accepted);
    return { dup: new Set(), created, heads };
  } catch (err) {
    if (!(err instanceof FastPathConflict)) throw err;
  }
  // Re-run whole on a deadlock: everything the attempt learns comes from its own reads.
  return deps.store.transaction(async (tx) => {
    const dup = await tx.claimEventIds(accepted.map((r) => r.event.id));
    const fresh = accepted.filter((r) => !dup.has(r.event.id));
    const created = await writeBatch(tx, fresh, runIds, now);
    // Last in the transaction: the live log's per-stream lock is held only until COMMIT.
    const heads = await tx.appendLiveChanges(liveChangesOf(fresh, now));
    return { dup, created, heads };
  });
}

const begins = (events: readonly ResolvedEvent[]) =>
  events.some((r) => r.event.type === 'workflowBegin' || r.event.type === 'taskBegin');

/**
 * The write path: validate each event → resolve its references against the prospective spec →
 * claim event ids (idempotency) and write the rest in one transaction → report per event.
 */
export async function ingestBatch(raw: readonly unknown[], deps: IngestDeps, now = new Date()): Promise<IngestResult> {
  if (!deps.observer) return ingestBatchNow(raw, deps, now);
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  try {
    const result = await ingestBatchNow(raw, deps, now);
    deps.observer.ingestDone(result, seconds());
    return result;
  } catch (err) {
    const code = (err as { extensions?: { code?: unknown } } | null)?.extensions?.code;
    deps.observer.ingestFailed(typeof code === 'string' ? code : 'INTERNAL_SERVER_ERROR', raw.length, seconds());
    throw err;
  }
}

async function ingestBatchNow(raw: readonly unknown[], deps: IngestDeps, now: Date): Promise<IngestResult> {
  if (raw.length > deps.maxBatchEvents) {
    throw new LimitExceededError('events per batch', deps.maxBatchEvents, raw.length);
  }
  const issues: EventIssue[] = [];
  const parsed: Array<{ index: number; event: IngestEvent }> = [];
  const duplicateIds: string[] = [];
  const seen = new Set<string>();
  const options = { stringsChecked: deps.stringsChecked === true };
  raw.forEach((r, index) => {
    const p = parseEvent(r, index, options);
    if ('issue' in p) {
      issues.push(p.issue);
    } else if (seen.has(p.event.id)) {
      // The same id twice in one batch: the second is a resend, like one across batches.
      duplicateIds.push(p.event.id);
    } else {
      seen.add(p.event.id);
      parsed.push({ index, event: p.event });
    }
  });

  const resolved = await resolveBatch(parsed, deps.store, deps.catalog, deps.parking !== undefined);
  issues.push(...resolved.issues);
  let accepted = 0;
  if (resolved.accepted.length) {
    const { dup, created, heads } = await writeAccepted(resolved.accepted, resolved.runIds, deps, now);
    if (heads.length) deps.onCommitted?.(heads);
    duplicateIds.push(...resolved.accepted.filter((r) => dup.has(r.event.id)).map((r) => r.event.id));
    accepted = resolved.accepted.length - dup.size;
    deps.catalog.addAttributes(created);
  }
  const parkedEvents: ParkedNote[] = [];
  // Only when the resolve step found a missing run or task: the all-new batch pays nothing here.
  if (resolved.waiting.length && deps.parking) {
    await deps.store.parkEvents(toParked(raw, resolved.waiting, now));
    for (const w of resolved.waiting) parkedEvents.push({ index: w.index, eventId: w.event.id, waitsFor: w.waits });
    // What it waits for may have landed since the resolve step read the store (a concurrent batch).
    deps.parking.nudge();
  } else if (deps.parking?.mayHaveParked() && begins(resolved.accepted)) {
    deps.parking.nudge();
  }
  issues.sort((a, b) => a.index - b.index);
  return {
    accepted,
    duplicates: duplicateIds.length,
    rejected: issues.length,
    parked: parkedEvents.length,
    duplicateIds,
    issues,
    parkedEvents,
  };
}
