import type { AppDeps } from './context';
import type { StoreRegistry } from './connectors/store-registry';
import { DEFAULT_PUBLISH_GRAPH, startPublisher } from './interop/publish/publish-worker';
import { publishSinkFor } from './interop/publish/triple-sink';
import { startExtractionWorker } from './ingest/extraction/extraction-worker';
import { startParkedWorker, type ParkedWorker } from './ingest/parked-events';
import { startLivePruner } from './live/live-pruner';

/** The server's background work, started after the store is ready and stopped before it closes. */
export interface BackgroundWorkers {
  /** Each worker by name, whether it still runs, and why its last poll failed (for /readyz). */
  status(): Array<{ name: string; running: boolean; error: string | null; info?: Record<string, unknown> }>;
  /** Releases parked events (docs/ingest.md): ingest parks through it, /readyz reports it. */
  parking: ParkedWorker;
  stop(): Promise<void>;
}

export function startBackgroundWorkers(
  deps: AppDeps,
  registry: StoreRegistry,
  env: Readonly<Record<string, string | undefined>>,
): BackgroundWorkers {
  const { config, log } = deps;
  const stops: Array<() => Promise<void>> = [];
  const polls: Array<{ name: string; lastPollError(): string | null }> = [];
  let running = true;
  // Events that named a run or task not stored yet: released when it lands, here or on any replica.
  const parking = startParkedWorker(
    {
      store: deps.store,
      catalog: deps.catalog,
      onCommitted: deps.live?.published,
      // Released events are accepted events: provml_ingest_events_total{outcome="accepted"}.
      observer: deps.metrics,
      log: log.child({ source: 'parked' }),
    },
    {
      intervalMs: config.parked.intervalMs,
      limits: { maxEvents: config.parked.maxEvents, maxAgeSeconds: config.parked.maxAgeSeconds },
    },
  );
  stops.push(() => parking.stop());
  // Extraction requested at ingest: jobs are rows, so a restart resumes what was pending.
  const extraction = startExtractionWorker(
    { store: deps.store, catalog: deps.catalog, registry, log: log.child({ source: 'extraction' }) },
    { concurrency: config.extractionConcurrency, documentStore: config.extractionDocumentStore ?? undefined },
  );
  stops.push(() => extraction.stop());
  polls.push({ name: 'extraction', lastPollError: extraction.lastPollError });
  if (config.publishStore) {
    // Validated here, at start-up: an unknown or non-SPARQL store id is a configuration error.
    const publisher = startPublisher(
      { store: deps.store, log },
      {
        sink: publishSinkFor(registry, config.publishStore, env),
        graph: config.publishGraph ?? DEFAULT_PUBLISH_GRAPH,
        intervalMs: config.publishIntervalMs,
      },
    );
    stops.push(() => publisher.stop());
    polls.push({ name: 'publish', lastPollError: publisher.lastPollError });
  }
  if (config.liveRetentionMs !== null) {
    const pruner = startLivePruner(
      { store: deps.store, log: log.child({ source: 'live-prune' }) },
      { retentionMs: config.liveRetentionMs, intervalMs: config.livePruneIntervalMs },
    );
    stops.push(() => pruner.stop());
    polls.push({ name: 'live-prune', lastPollError: pruner.lastPollError });
  }
  return {
    status: () => [
      ...polls.map((p) => ({ name: p.name, running, error: p.lastPollError() })),
      // Waiting past a limit is reported, not an outage: every replica shares the table, and
      // taking them all out of the load balancer would lose the begins the events wait for.
      { name: 'parked', running, error: parking.lastPollError(), info: parkedInfo(parking, config.parked) },
    ],
    parking,
    stop: async () => {
      running = false;
      for (const stop of stops.reverse()) await stop();
    },
  };
}

function parkedInfo(parking: ParkedWorker, limits: { maxEvents: number; maxAgeSeconds: number }): Record<string, unknown> {
  const s = parking.state();
  if (!s) return { parked: null };
  return {
    parked: s.parked,
    rejected: s.rejected,
    oldestAgeSeconds: s.oldestAgeSeconds,
    overLimit: s.overLimit,
    maxEvents: limits.maxEvents,
    maxAgeSeconds: limits.maxAgeSeconds,
  };
}
