import type { ProvmlConfig } from './config';
import { OPEN_PRINCIPAL, type Principal } from './auth/scopes';
import type { ApiTokenStore } from './connectors/provenance/pg-api-tokens';
import { createProvenanceLoaders, type ProvenanceLoaders } from './connectors/provenance/provenance.loaders';
import type { ProvenanceStore } from './connectors/provenance/provenance-store';
import { createStoreLoaders, type StoreLoaders } from './connectors/store.loaders';
import { StoreRegistry } from './connectors/store-registry';
import type { SpecCatalog } from './ingest/spec-catalog';
import type { Logger } from './logger';

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
  /** Access tokens (the admin mutations); absent: token management is not offered. */
  tokens?: ApiTokenStore;
}

/** What one GraphQL operation sees: the long-lived deps plus fresh loaders. */
export interface RequestContext extends AppDeps {
  loaders: ProvenanceLoaders;
  /** Per-request loaders over the registry's stores. */
  storeLoaders: StoreLoaders;
  /** Who asks, as the access gate admitted them (src/auth/access-gate.ts); open when access control is off. */
  principal: Principal;
}

const EMPTY_REGISTRY = new StoreRegistry([]);

export function createContext(deps: AppDeps, principal: Principal = OPEN_PRINCIPAL): RequestContext {
  return {
    ...deps,
    principal,
    loaders: createProvenanceLoaders(deps.store),
    storeLoaders: createStoreLoaders(deps.registry ?? EMPTY_REGISTRY),
  };
}
