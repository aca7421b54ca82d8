import type { DocumentStore } from '../../connectors/documents/document-store';
import type { ExtractionJobRow } from '../../connectors/provenance/pg-extraction-jobs';
import type { ProvenanceStore } from '../../connectors/provenance/provenance-store';
import type { StoreRegistry } from '../../connectors/store-registry';
import type { Logger } from '../../logger';
import { backoffDelay } from '../../interop/publish/publish-worker';
import { ingestBatch } from '../ingest-batch';
import type { SpecCatalog } from '../spec-catalog';
import { extract } from '../extractors/extract';
import { ExtractError } from '../extractors/extract-error';
import { ObjectStoreRangeReader } from '../extractors/object-store-range-reader';
import type { RangeReader } from '../extractors/range-reader';
import { characterise } from './characteristics';
import { BadExtractOptionsError, parseExtractRequest } from './extract-request';
import { ensureExtractionWorkflow, extractionEvents, extractionRunId } from './extraction-workflow';

export interface ExtractionWorkerDeps {
  store: ProvenanceStore;
  catalog: SpecCatalog;
  /** Where the referenced files are read (object stores) and footprints written (document stores). */
  registry?: StoreRegistry;
  log: Logger;
}

/** Options of the extraction worker (docs/extract.md, "At ingest"). */
export interface ExtractionWorkerOptions {
  /** Jobs extracted at once; default 2. */
  concurrency?: number;
  /** How often the job table is polled (ms); default 1000. */
  intervalMs?: number;
  /** How long a claimed job is leased (ms), renewed every third of it while it runs; default 60 s. */
  leaseMs?: number;
  /** Attempts for failures that may pass (a store down or timing out); default 3. */
  maxAttempts?: number;
  /** First retry delay (ms), doubled per attempt; default 5 s. */
  backoffMs?: number;
  /**
   * Document store that receives footprints when a request names none: default the first
   * document store of the registry that can be written; null: never write footprints.
   */
  documentStore?: string | null;
}

export interface ExtractionWorker {
  /** Runs every job due now to its end (including jobs that become due meanwhile); resolves with how many ended. */
  drain(): Promise<number>;
  /** Polls now rather than at the next interval. */
  kick(): Promise<number>;
  /** Why the last poll of the job table failed; null when it succeeded (for /readyz). */
  lastPollError(): string | null;
  stop(): Promise<void>;
}

/** A typed store outage (src/errors.ts): worth another attempt later. */
const isStoreOutage = (err: unknown) => {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'STORE_UNAVAILABLE' || code === 'STORE_TIMEOUT';
};

/** A failure that may pass on its own: the file could not be read (store down, timeout), a store outage. */
const isTransient = (err: unknown) => (err instanceof ExtractError && err.code === 'UNREADABLE') || isStoreOutage(err);

interface Outcome {
  note: string | null;
  runId: string;
}

/** This worker's lease on a job passed to another worker (it stalled past the lease): write nothing. */
class LeaseLostError extends Error {}

/** What the worker holds of a job in progress. */
interface Slot {
  reader: RangeReader | null;
  done: Promise<void>;
}

/**
 * Drains the extraction jobs that ingest enqueued (the migration's trigger writes them in the
 * batch's transaction): reads each file's headers through the registry's object store, records
 * the characteristics on the job and as a provml-extraction run in provenance, and writes the
 * footprint to a document store. At most `concurrency` jobs at once; a failure is recorded on
 * its job and never reaches ingest. One unref'd timer; stop() waits for the jobs in progress.
 */
export function startExtractionWorker(deps: ExtractionWorkerDeps, options: ExtractionWorkerOptions = {}): ExtractionWorker {
  const log = deps.log.child({ source: 'extraction' });
  const concurrency = Math.max(1, options.concurrency ?? 2);
  const leaseMs = options.leaseMs ?? 60_000;
  const maxAttempts = options.maxAttempts ?? 3;
  const backoffMs = options.backoffMs ?? 5000;
  const inFlight = new Map<string, Slot & { leaseToken: string }>();
  let polling: Promise<number> | null = null;
  let pollError: string | null = null;
  let stopped = false;
  let version: Promise<number> | null = null;
  let finished = 0;

  function documentStoreFor(requested: string | null): DocumentStore | null {
    const id = requested ?? options.documentStore;
    if (id === null) return null;
    const stores = deps.registry?.withRole('documents') ?? [];
    if (id !== undefined) return stores.find((s) => s.id === id)?.documents ?? null;
    return stores.find((s) => typeof s.documents.upsert === 'function')?.documents ?? null;
  }

  async function extractJob(job: ExtractionJobRow, slot: { reader: RangeReader | null }): Promise<Outcome> {
    const request = parseExtractRequest(job.options);
    const created = deps.registry?.get(job.store);
    if (!created || (created.kind !== 'fs' && created.kind !== 's3')) {
      // Only configured stores are read; naming another is no outage, so it is not retried.
      throw new ExtractError('FORBIDDEN_LOCATION', `store "${job.store}" is not an object store of the registry (fs or s3)`, {
        source: job.uri,
      });
    }
    const maxRange = deps.registry?.entryOf(job.store)?.options.maxRangeBytes;
    const reader = new ObjectStoreRangeReader(
      created.objects,
      deps.registry!.keyFor(job.store, job.uri),
      typeof maxRange === 'number' ? maxRange : undefined,
    );
    slot.reader = reader;
    const startedAt = new Date();
    const result = await extract(reader, request.extract).finally(() => reader.close());
    const c = characterise(result, request.crs);

    // Provenance first: the characteristics are the result, the document is a copy for spatial queries.
    version ??= ensureExtractionWorkflow(deps.store).catch((err: unknown) => {
      version = null;
      throw err;
    });
    const workflowVersion = await version;
    // Fenced: a worker that stalled past its lease writes no run, no footprint and no result.
    await holdLease(job, reader.bytesRead);
    const events = extractionEvents(job, workflowVersion, c.characteristics, startedAt, new Date());
    const ingest = await ingestBatch(events, { store: deps.store, catalog: deps.catalog, maxBatchEvents: events.length });
    if (ingest.rejected) throw new Error(`extraction events rejected: ${ingest.issues[0].field}: ${ingest.issues[0].message}`);

    let note = request.writeFootprint ? c.footprintNote : null;
    if (request.writeFootprint && c.footprint) {
      const documents = documentStoreFor(request.documentStore);
      if (!documents?.upsert) note = 'no writable document store: footprint not stored';
      else {
        try {
          await documents.upsert({ uri: job.uri, geometry: c.footprint, properties: c.footprintProperties });
        } catch (err) {
          // An outage is retried with the job; a store that refuses the write (read-only
          // directory) leaves the characteristics in place and says why on the job.
          if (isStoreOutage(err)) throw err;
          note = `footprint not stored in ${documents.id}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`;
        }
      }
    }
    const done = await deps.store.completeExtractionJob(lease(job), {
      bytesRead: result.bytesRead,
      characteristics: c.characteristics,
      resultRunId: extractionRunId(job.id),
      note,
    });
    if (!done) throw new LeaseLostError('the job was taken over before its result was recorded');
    return { note, runId: extractionRunId(job.id) };
  }

  const lease = (job: ExtractionJobRow) => ({ id: job.id, leaseToken: job.leaseToken ?? '' });

  /** Renews the job's lease now; throws LeaseLostError when it passed to another worker. */
  async function holdLease(job: ExtractionJobRow, bytesRead: number): Promise<void> {
    const held = await deps.store.renewExtractionLeases([{ ...lease(job), bytesRead }], leaseMs);
    if (!held.has(job.id)) throw new LeaseLostError('the lease ran out and another worker took the job');
  }

  async function runJob(job: ExtractionJobRow, slot: { reader: RangeReader | null }): Promise<void> {
    try {
      const out = await extractJob(job, slot);
      log.info('extracted', {
        job: job.id,
        uri: job.uri,
        store: job.store,
        bytesRead: slot.reader?.bytesRead,
        run: out.runId,
        note: out.note ?? undefined,
      });
    } catch (err) {
      if (err instanceof LeaseLostError) {
        log.warn('extraction result refused: lease lost', {
          job: job.id,
          uri: job.uri,
          attempt: job.attempts,
          reason: err.message,
        });
        return;
      }
      const bytesRead = slot.reader?.bytesRead ?? null;
      const e = err as { code?: unknown; offset?: unknown; field?: unknown; message?: unknown };
      const failure = {
        code:
          err instanceof ExtractError || err instanceof BadExtractOptionsError
            ? String(e.code)
            : typeof e.code === 'string'
              ? e.code
              : 'INTERNAL',
        message: err instanceof Error ? err.message.split('\n')[0] : String(err),
        offset: typeof e.offset === 'number' ? e.offset : null,
        field: typeof e.field === 'string' ? e.field : null,
        bytesRead,
      };
      // Store errors (document store or provenance down) may pass too; a wrong file never does.
      const transient = isTransient(err) || failure.code === 'INTERNAL';
      const retryInMs = transient && job.attempts < maxAttempts ? backoffDelay(job.attempts - 1, backoffMs, 600_000) : null;
      log.warn(retryInMs === null ? 'extraction failed' : 'extraction failed; will retry', {
        job: job.id,
        uri: job.uri,
        code: failure.code,
        error: failure.message,
        retryInMs,
      });
      const recorded = await deps.store.failExtractionJob(lease(job), failure, retryInMs).catch((e2: unknown) => {
        // The provenance store itself is down: the lease runs out and the job is claimed again.
        log.warn('could not record the failure', { job: job.id, error: e2 instanceof Error ? e2.message : String(e2) });
        return true;
      });
      if (!recorded) log.warn('extraction failure refused: lease lost', { job: job.id, uri: job.uri, attempt: job.attempts });
    } finally {
      finished++;
    }
  }

  async function poll(): Promise<number> {
    const free = concurrency - inFlight.size;
    if (stopped || free <= 0) return 0;
    const jobs = await deps.store.claimExtractionJobs(free, leaseMs);
    for (const job of jobs) {
      const slot: Slot & { leaseToken: string } = { reader: null, done: Promise.resolve(), leaseToken: job.leaseToken ?? '' };
      slot.done = runJob(job, slot).finally(() => {
        inFlight.delete(job.id);
        // A slot is free: take the next job at once rather than at the next interval.
        if (!stopped) void kick();
      });
      inFlight.set(job.id, slot);
    }
    return jobs.length;
  }

  /** Starts a poll unless one is running; resolves with the jobs it claimed. */
  function kick(): Promise<number> {
    polling ??= poll()
      .then((n) => ((pollError = null), n))
      .catch((err: unknown) => {
        pollError = err instanceof Error ? err.message.split('\n')[0] : String(err);
        log.warn('extraction poll failed', { error: err instanceof Error ? err.message : String(err) });
        return 0;
      })
      .finally(() => (polling = null));
    return polling;
  }

  async function renew(): Promise<void> {
    const progress = [...inFlight.entries()].map(([id, s]) => ({
      id,
      leaseToken: s.leaseToken,
      bytesRead: s.reader?.bytesRead ?? 0,
    }));
    const held = await deps.store.renewExtractionLeases(progress, leaseMs).catch((err: unknown) => {
      log.warn('extraction lease renewal failed', { error: err instanceof Error ? err.message : String(err) });
      return null;
    });
    // The job goes on (it may be nearly done) but will write nothing: holdLease refuses it.
    for (const p of held ? progress : []) if (!held!.has(p.id)) log.warn('extraction lease lost', { job: p.id });
  }

  const timer = setInterval(() => void kick(), options.intervalMs ?? 1000);
  timer.unref();
  const renewer = setInterval(() => void renew(), Math.max(50, Math.floor(leaseMs / 3)));
  renewer.unref();
  void kick();

  return {
    kick,
    lastPollError: () => pollError,
    async drain() {
      const before = finished;
      for (;;) {
        // A poll that began before the caller's commit may have missed its jobs: wait it out.
        await polling;
        const claimed = await kick();
        if (claimed === 0 && inFlight.size === 0) break;
        if (inFlight.size) await Promise.race([...inFlight.values()].map((s) => s.done));
      }
      return finished - before;
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      clearInterval(renewer);
      await polling;
      await Promise.allSettled([...inFlight.values()].map((s) => s.done));
    },
  };
}
