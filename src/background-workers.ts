import type { AppDeps } from './context';
import type { StoreRegistry } from './connectors/store-registry';
import { DEFAULT_PUBLISH_GRAPH, startPublisher } from './interop/publish/publish-worker';
import { publishSinkFor } from './interop/publish/triple-sink';
import { startExtractionWorker } from './ingest/extraction/extraction-worker';

/** The server's background work, started after the store is ready and stopped before it closes. */
export interface BackgroundWorkers {
  stop(): Promise<void>;
}

export function startBackgroundWorkers(
  deps: AppDeps,
  registry: StoreRegistry,
  env: Readonly<Record<string, string | undefined>>,
): BackgroundWorkers {
  const { config, log } = deps;
  const stops: Array<() => Promise<void>> = [];
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
  }
  return {
    stop: async () => {
      for (const stop of stops.reverse()) await stop();
    },
  };
}
