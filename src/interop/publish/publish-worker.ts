import type { ProvenanceStore } from '../../connectors/provenance/provenance-store';
import { NotFoundError } from '../../errors';
import type { Logger } from '../../logger';
import { provRecords } from '../export-source';
import { assertGraphIri, insertDataUpdates } from './sparql-insert-writer';
import type { TripleSink } from './triple-sink';

/** The graph used when PROVML_PUBLISH_GRAPH is not set. */
export const DEFAULT_PUBLISH_GRAPH = 'https://w3id.org/provml/graph/provenance';

/** Options of the publisher (docs/interop.md, "Publishing to a triple store"). */
export interface PublishOptions {
  sink: TripleSink;
  /** Named graph the runs are inserted into. */
  graph: string;
  /** How often the outbox is polled (ms); default 2000. */
  intervalMs?: number;
  /** Runs claimed per poll; default 10. */
  batchSize?: number;
  /** How long a claimed run is leased before another publisher may take it (ms); default 5 min. */
  leaseMs?: number;
  /** First retry delay after a failure (ms), doubled per failed attempt up to maxBackoffMs; default 5 s. */
  backoffMs?: number;
  /** Longest retry delay (ms); default 10 min. */
  maxBackoffMs?: number;
  /** Longest SPARQL Update request text (characters); default 256 000. */
  maxRequestChars?: number;
}

export interface Publisher {
  /** Publishes what is due now; resolves with the number of runs published. Exposed for tests and tools. */
  tick(): Promise<number>;
  /** Why the last poll of the outbox failed; null when it succeeded (for /readyz). */
  lastPollError(): string | null;
  stop(): Promise<void>;
}

/** Delay before attempt `attempts + 1`: exponential with ±20 % jitter, so replicas spread out. */
export function backoffDelay(attempts: number, baseMs: number, maxMs: number, random = Math.random): number {
  const d = Math.min(maxMs, baseMs * 2 ** Math.min(attempts, 30));
  return Math.round(d * (0.8 + 0.4 * random()));
}

/**
 * Drains the publish outbox: every ended run (the migration's trigger enqueues it in the
 * transaction that ends it) is written as PROV-O into the named graph of a triple store. Ingest
 * never waits on this: a failed publish is retried with backoff, a store that is down costs only
 * the delay. A single unref'd timer, one tick at a time; stop() waits for the tick in progress.
 */
export function startPublisher(deps: { store: ProvenanceStore; log: Logger }, options: PublishOptions): Publisher {
  const graph = assertGraphIri(options.graph);
  const log = deps.log.child({ source: 'publish', store: options.sink.id });
  const intervalMs = options.intervalMs ?? 2000;
  const base = options.backoffMs ?? 5000;
  const max = options.maxBackoffMs ?? 600_000;
  const leaseMs = options.leaseMs ?? 300_000;
  let running: Promise<number> | null = null;
  let stopped = false;
  let pollError: string | null = null;

  async function publishRun(runId: string): Promise<void> {
    for await (const update of insertDataUpdates(
      provRecords(deps.store, { kind: 'run', runId }),
      graph,
      options.maxRequestChars,
    )) {
      await options.sink.update(update);
    }
  }

  async function tick(): Promise<number> {
    const jobs = await deps.store.claimPublishJobs(options.batchSize ?? 10, leaseMs);
    let published = 0;
    for (const job of jobs) {
      if (stopped) break;
      try {
        // Fenced: a publisher that stalled past its lease writes nothing to the triple store.
        if (!(await deps.store.holdPublishLease(job, leaseMs))) {
          log.warn('publish skipped: lease lost', { run: job.runId });
          continue;
        }
        await publishRun(job.runId);
        if (!(await deps.store.completePublishJob(job))) {
          log.warn('publish completion refused: lease lost', { run: job.runId });
          continue;
        }
        published++;
        log.debug('published run', { run: job.runId, graph });
      } catch (err) {
        if (err instanceof NotFoundError) {
          await deps.store.completePublishJob(job);
          continue;
        }
        const message = err instanceof Error ? err.message : String(err);
        const delay = backoffDelay(job.attempts, base, max);
        log.warn('publish failed; will retry', { run: job.runId, attempt: job.attempts + 1, retryInMs: delay, error: message });
        if (!(await deps.store.failPublishJob(job, message, delay)))
          log.warn('publish failure refused: lease lost', { run: job.runId });
      }
    }
    return published;
  }

  const runTick = (): Promise<number> => {
    running ??= tick()
      .then((n) => ((pollError = null), n))
      .catch((err: unknown) => {
        pollError = err instanceof Error ? err.message.split('\n')[0] : String(err);
        // The provenance store itself failed (down, timeout): try again at the next poll.
        log.warn('publish poll failed', { error: err instanceof Error ? err.message : String(err) });
        return 0;
      })
      .finally(() => (running = null));
    return running;
  };
  const timer = setInterval(() => void runTick(), intervalMs);
  timer.unref();
  return {
    tick: runTick,
    lastPollError: () => pollError,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
