import type { AppDeps } from './context';
import type { StoreRegistry } from './connectors/store-registry';
import { DEFAULT_PUBLISH_GRAPH, startPublisher } from './interop/publish/publish-worker';
import { publishSinkFor } from './interop/publish/triple-sink';
import { startExtractionWorker } from './ingest/extraction/extraction-worker';
import { startLivePruner } from './live/live-pruner';

/** The server's background work, started after the store is ready and stopped before it closes. */
export interface BackgroundWorkers {
  /** Each worker by name, whether it still runs, and why its last poll failed (for /readyz). */
  status(): Array<{ name: string; running: boolean; error: string | null }>;
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
    status: () => polls.map((p) => ({ name: p.name, running, error: p.lastPollError() })),
    stop: async () => {
      running = false;
      for (const stop of stops.reverse()) await stop();
    },
  };
}
