import type { AppDeps } from './context';
import type { StoreRegistry } from './connectors/store-registry';
import { DEFAULT_PUBLISH_GRAPH, startPublisher } from './interop/publish/publish-worker';
import { publishSinkFor } from './interop/publish/triple-sink';
import { startExtractionWorker } from './ingest/extraction/extraction-worker';

/** The server's background work, started after the store is ready and stopped before it closes. */
export interface BackgroundWorkers {
  /** Each worker by name, and whether it still runs (for /readyz). */
  status(): Array<{ name: string; running: boolean }>;
  stop(): Promise<void>;
}

export function startBackgroundWorkers(
  deps: AppDeps,
  registry: StoreRegistry,
  env: Readonly<Record<string, string | undefined>>,
): BackgroundWorkers {
  const { config, log } = deps;
  const stops: Array<() => Promise<void>> = [];
  const names = ['extraction'];
  let running = true;
  // Extraction requested at ingest: jobs are rows, so a restart resumes what was pending.
  const extraction = startExtractionWorker(
    { store: deps.store, catalog: deps.catalog, registry, log: log.child({ source: 'extraction' }) },
    { concurrency: config.extractionConcurrency, documentStore: config.extractionDocumentStore ?? undefined },
  );
  stops.push(() => extraction.stop());
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
    names.push('publish');
  }
  return {
    status: () => names.map((name) => ({ name, running })),
    stop: async () => {
      running = false;
      for (const stop of stops.reverse()) await stop();
    },
  };
}
