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
  const inFlight = new Map<string, { reader: RangeReader | null; done: Promise<void> }>();
  let polling: Promise<number> | null = null;
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
      throw new ExtractError('UNREADABLE', `store "${job.store}" is not an object store of the registry (fs or s3)`, {
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
    const events = extractionEvents(job, await version, c.characteristics, startedAt, new Date());
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
    await deps.store.completeExtractionJob(job.id, {
      bytesRead: result.bytesRead,
      characteristics: c.characteristics,
      resultRunId: extractionRunId(job.id),
      note,
    });
    return { note, runId: extractionRunId(job.id) };
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
      await deps.store.failExtractionJob(job.id, failure, retryInMs).catch((e2: unknown) => {
        // The provenance store itself is down: the lease runs out and the job is claimed again.
        log.warn('could not record the failure', { job: job.id, error: e2 instanceof Error ? e2.message : String(e2) });
      });
    } finally {
      finished++;
    }
  }

  async function poll(): Promise<number> {
    const free = concurrency - inFlight.size;
    if (stopped || free <= 0) return 0;
    const jobs = await deps.store.claimExtractionJobs(free, leaseMs);
    for (const job of jobs) {
      const slot: { reader: RangeReader | null; done: Promise<void> } = { reader: null, done: Promise.resolve() };
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
      .catch((err: unknown) => {
        log.warn('extraction poll failed', { error: err instanceof Error ? err.message : String(err) });
        return 0;
      })
      .finally(() => (polling = null));
    return polling;
  }

  async function renew(): Promise<void> {
    const progress = [...inFlight.entries()].map(([id, s]) => ({ id, bytesRead: s.reader?.bytesRead ?? 0 }));
    await deps.store.renewExtractionLeases(progress, leaseMs).catch((err: unknown) => {
      log.warn('extraction lease renewal failed', { error: err instanceof Error ? err.message : String(err) });
    });
  }

  const timer = setInterval(() => void kick(), options.intervalMs ?? 1000);
  timer.unref();
  const renewer = setInterval(() => void renew(), Math.max(50, Math.floor(leaseMs / 3)));
  renewer.unref();
  void kick();

  return {
    kick,
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
