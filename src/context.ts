import type { ProvmlConfig } from './config';
import { createProvenanceLoaders, type ProvenanceLoaders } from './connectors/provenance/provenance.loaders';
import type { ProvenanceStore } from './connectors/provenance/provenance-store';
import { createStoreLoaders, type StoreLoaders } from './connectors/store.loaders';
import { StoreRegistry } from './connectors/store-registry';
import type { SpecCatalog } from './ingest/spec-catalog';
import type { Logger } from './logger';
import type { ServerMetrics } from './ops/server-metrics';
import type { LiveHub } from './live/live-hub';

/** What lives as long as the server: store, spec cache, configuration. */
export interface AppDeps {
  config: ProvmlConfig;
  store: ProvenanceStore;
  catalog: SpecCatalog;
  log: Logger;
  /** Data store instances known from the store registry (id -> kind). */
  dataStores: Map<string, string>;
  /** The users' stores the gateway reads (knowledge, documents, objects, remote GraphQL); absent: none. */
  registry?: StoreRegistry;
  /** Prometheus metrics of the running server; absent in tools and tests that need none. */
  metrics?: ServerMetrics;
  /** Live subscriptions' fan-out; its `published` is the ingest path's after-commit callback. */
  live?: LiveHub;
}

/** What one GraphQL operation sees: the long-lived deps plus fresh loaders. */
export interface RequestContext extends AppDeps {
  loaders: ProvenanceLoaders;
  /** Per-request loaders over the registry's stores. */
  storeLoaders: StoreLoaders;
  /** The WebSocket connection of a subscription (absent over HTTP). */
  connection?: { drop(code: number, reason: string): void };
}

const EMPTY_REGISTRY = new StoreRegistry([]);

export function createContext(deps: AppDeps): RequestContext {
  return {
    ...deps,
    loaders: createProvenanceLoaders(deps.store),
    storeLoaders: createStoreLoaders(deps.registry ?? EMPTY_REGISTRY),
  };
}
