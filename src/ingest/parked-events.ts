import type { ParkInput, ParkedRow, ParkedSettlement, ParkedSummary } from '../connectors/provenance/pg-parked-events';
import type { ProvenanceStore } from '../connectors/provenance/provenance-store';
import type { Logger } from '../logger';
import { parseEvent, type IngestEvent } from './events';
import { liveChangesOf, type StreamHead } from './live-changes';
import { resolveBatch, type WaitingEvent } from './resolve-batch';
import type { SpecCatalog } from './spec-catalog';
import { writeBatch } from './write-batch';

/**
 * Parked events (docs/ingest.md, "Parked events"): an event that names a run or task not stored
 * yet waits in table parked_event instead of being rejected, and lands once its run or task does.
 * Ingest parks; the release worker of each replica writes what can be written, one replica at a
 * time (an advisory lock), each pass one transaction that claims the events' ids, writes them and
 * deletes their rows: exactly once, whichever replica the begin reached.
 */

/** What ingest needs of the parked-event worker. */
export interface Parking {
  /** Events were parked, or runs or tasks begun while some may wait: release what can be, now. */
  nudge(): void;
  /** Whether events may be waiting (any replica's, as of this replica's latest count or park). */
  mayHaveParked(): boolean;
}

/** Limits past which parked events are reported (never dropped): /readyz, /metrics, the log. */
export interface ParkingLimits {
  /** Events waiting at once. */
  maxEvents: number;
  /** Age of the oldest waiting event (seconds). */
  maxAgeSeconds: number;
}

export interface ParkedState extends ParkedSummary {
  /** Which limit the waiting events are past, if any ('count', 'age'). */
  overLimit: Array<'count' | 'age'>;
}

export function overLimits(s: ParkedSummary, limits: ParkingLimits): Array<'count' | 'age'> {
  const over: Array<'count' | 'age'> = [];
  if (s.parked > limits.maxEvents) over.push('count');
  if (s.oldestAgeSeconds !== null && s.oldestAgeSeconds > limits.maxAgeSeconds) over.push('age');
  return over;
}

/**
 * The waiting events of a batch as parked rows. An event with no `time` gets its arrival: the
 * time it would have had, had its run been there (ingest's `now`).
 */
export function toParked(raw: readonly unknown[], waiting: readonly WaitingEvent[], now: Date): ParkInput[] {
  return waiting.map((w) => {
    const sent = raw[w.index] as Record<string, unknown>;
    const event = sent.time === undefined ? { ...sent, time: now.toISOString() } : sent;
    return { eventId: w.event.id, event, waits: w.waits };
  });
}

export interface ReleaseDeps {
  store: ProvenanceStore;
  catalog: SpecCatalog;
  /** After COMMIT, with the live streams a pass advanced (subscriptions). */
  onCommitted?: (heads: StreamHead[]) => void;
  /** After COMMIT, what a pass wrote, found stored and rejected (the server's ingest metrics). */
  observer?: ParkedReleaseObserver;
}

/** Told what each release pass did: released events are ingest's accepted events, counted late. */
export interface ParkedReleaseObserver {
  parkedReleased(result: { accepted: number; duplicates: number; issues: ReadonlyArray<{ code: string }> }): void;
}

export interface ReleaseOutcome {
  /** Events written by the pass. */
  released: number;
  /** Released rows whose event id was stored already (a resend landed first). */
  duplicates: number;
  rejected: number;
  /** False: another replica holds the release lock (it releases these too). */
  ran: boolean;
  /** Rows the pass took (a full page: run another pass). */
  taken: number;
}

const PASS_LIMIT = 1000;

/**
 * One release pass, one transaction: takes parked events whose run or task is stored, in arrival
 * order, resolves them as one batch (a task's begin before its end), claims their ids, writes
 * the new ones, and settles every row (deleted, waiting for something else, or rejected).
 */
export async function releasePass(deps: ReleaseDeps, limit = PASS_LIMIT): Promise<ReleaseOutcome> {
  const result = await deps.store.transaction(async (tx) => {
    const rows = await tx.takeReleasableParked(limit);
    if (rows === null)
      return { ran: false, taken: 0, released: 0, duplicates: 0, rejected: 0, issues: [], heads: [], created: [] };
    const parsed: Array<{ index: number; event: IngestEvent; row: ParkedRow }> = [];
    const settlement: ParkedSettlement = { released: [], waiting: [], rejected: [], rejectedTasks: [] };
    rows.forEach((row, index) => {
      const p = parseEvent(row.event, index);
      // Parsed when it was parked; a change of the event model since could refuse it now.
      if ('issue' in p) settlement.rejected.push({ eventId: row.eventId, issue: p.issue });
      else parsed.push({ index, event: p.event, row });
    });
    const resolved = await resolveBatch(parsed, deps.store, deps.catalog, true);
    for (const w of resolved.waiting) settlement.waiting.push({ eventId: w.event.id, waits: w.waits });
    for (const i of resolved.issues) {
      settlement.rejected.push({ eventId: rows[i.index].eventId, issue: i });
      const e = parsed.find((p) => p.index === i.index)?.event;
      if (e?.type === 'taskBegin') settlement.rejectedTasks.push(e.task);
    }
    const dup = await tx.claimEventIds(resolved.accepted.map((r) => r.event.id));
    const fresh = resolved.accepted.filter((r) => !dup.has(r.event.id));
    // `now` is unused: every parked event carries its time (toParked).
    const created = await writeBatch(tx, fresh, resolved.runIds, new Date());
    settlement.released.push(...resolved.accepted.map((r) => r.event.id));
    // Events waiting for a task rejected now are rejected with it in SQL: counted like the rest.
    const withTheirTask = await tx.settleParked(settlement);
    const heads = await tx.appendLiveChanges(liveChangesOf(fresh, new Date()));
    const issues: Array<{ code: string }> = [...settlement.rejected.map((r) => r.issue), ...withTheirTask];
    return {
      ran: true,
      taken: rows.length,
      released: fresh.length,
      duplicates: dup.size,
      rejected: issues.length,
      issues,
      heads,
      created,
    };
  });
  deps.catalog.addAttributes(result.created);
  if (result.heads.length) deps.onCommitted?.(result.heads);
  if (result.released || result.duplicates || result.rejected)
    deps.observer?.parkedReleased({ accepted: result.released, duplicates: result.duplicates, issues: result.issues });
  return {
    ran: result.ran,
    taken: result.taken,
    released: result.released,
    duplicates: result.duplicates,
    rejected: result.rejected,
  };
}

/** Passes until one takes less than a page (a task's end waits for its begin's pass). */
export async function releaseAll(deps: ReleaseDeps, limit = PASS_LIMIT): Promise<ReleaseOutcome> {
  const total: ReleaseOutcome = { released: 0, duplicates: 0, rejected: 0, ran: false, taken: 0 };
  for (;;) {
    const pass = await releasePass(deps, limit);
    total.ran ||= pass.ran;
    total.released += pass.released;
    total.duplicates += pass.duplicates;
    total.rejected += pass.rejected;
    total.taken += pass.taken;
    // Another pass while this one wrote something: what it wrote may release more (a task's end
    // waits for the begin this pass wrote).
    if (!pass.ran || pass.taken === 0 || pass.released + pass.duplicates === 0) return total;
  }
}

export interface ParkedWorkerOptions {
  /** How often the table is looked at when nothing nudged (ms): a begin on another replica. */
  intervalMs: number;
  limits: ParkingLimits;
}

export interface ParkedWorker extends Parking {
  /** Releases now, and then until nothing more lands; resolves once done. */
  releaseNow(): Promise<ReleaseOutcome>;
  /** The latest count (for /readyz, /metrics); null before the first poll. */
  state(): ParkedState | null;
  lastPollError(): string | null;
  stop(): Promise<void>;
}

/**
 * The release worker of one replica: polls the parked table every `intervalMs` (a count when
 * nothing waits), releases at once when nudged (events parked here, runs or tasks begun here),
 * and reports what waits past the limits. One unref'd timer; stop() waits for a pass in progress.
 */
export function startParkedWorker(deps: ReleaseDeps & { log: Logger }, options: ParkedWorkerOptions): ParkedWorker {
  let latest: ParkedState | null = null;
  let pollError: string | null = null;
  let running: Promise<ReleaseOutcome> | null = null;
  let again = false;
  let stopped = false;
  let warnedOver = '';
  // Parked by this replica since the last count: a begin is worth a nudge before the next poll.
  let parkedHere = false;

  const count = async () => {
    const s = await deps.store.parkedSummary();
    const over = overLimits(s, options.limits);
    latest = { ...s, overLimit: over };
    parkedHere = false;
    const key = over.join(',');
    if (key && key !== warnedOver) {
      deps.log.warn('parked events past their limit: kept, waiting for their run or task (provml parked)', {
        parked: s.parked,
        oldestAgeSeconds: s.oldestAgeSeconds,
        over: key,
        maxEvents: options.limits.maxEvents,
        maxAgeSeconds: options.limits.maxAgeSeconds,
      });
    }
    warnedOver = key;
  };

  const run = async (): Promise<ReleaseOutcome> => {
    let total: ReleaseOutcome = { released: 0, duplicates: 0, rejected: 0, ran: false, taken: 0 };
    try {
      do {
        again = false;
        const r = await releaseAll(deps);
        total = {
          released: total.released + r.released,
          duplicates: total.duplicates + r.duplicates,
          rejected: total.rejected + r.rejected,
          ran: total.ran || r.ran,
          taken: total.taken + r.taken,
        };
        if (r.released || r.rejected)
          deps.log.info('parked events released', { released: r.released, rejected: r.rejected, duplicates: r.duplicates });
      } while (again && !stopped);
      await count();
      pollError = null;
    } catch (err) {
      pollError = err instanceof Error ? err.message.split('\n')[0] : String(err);
      deps.log.warn('parked events not released (retried at the next poll)', { error: pollError });
    }
    return total;
  };

  const releaseNow = (): Promise<ReleaseOutcome> => {
    if (running) {
      // A nudge during a pass: one more round after it, so nothing that landed meanwhile waits a poll.
      again = true;
      return running;
    }
    running = run().finally(() => {
      running = null;
    });
    return running;
  };

  const tick = async () => {
    if (stopped) return;
    try {
      if (latest === null || latest.parked > 0 || parkedHere) await releaseNow();
      else {
        await count();
        pollError = null;
        if (latest!.parked > 0) await releaseNow();
      }
    } catch (err) {
      pollError = err instanceof Error ? err.message.split('\n')[0] : String(err);
    }
  };
  const timer = setInterval(() => void tick(), options.intervalMs);
  timer.unref();
  void tick();

  return {
    nudge() {
      parkedHere = true;
      if (!stopped) void releaseNow();
    },
    mayHaveParked: () => parkedHere || latest === null || latest.parked > 0,
    releaseNow,
    state: () => latest,
    lastPollError: () => pollError,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
