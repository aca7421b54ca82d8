import type { ProvmlConfig } from './config';
import { OPEN_PRINCIPAL, type Principal } from './auth/scopes';
import type { ApiTokenStore } from './connectors/provenance/pg-api-tokens';
import type { StudyVisibility } from './connectors/provenance/pg-study-visibility';
import { StudyScope } from './auth/study-scope';
import { StudyScopedStore } from './auth/study-scoped-store';
import { createProvenanceLoaders, type ProvenanceLoaders } from './connectors/provenance/provenance.loaders';
import type { ProvenanceStore } from './connectors/provenance/provenance-store';
import { createStoreLoaders, type StoreLoaders } from './connectors/store.loaders';
import { StoreRegistry } from './connectors/store-registry';
import type { SpecCatalog } from './ingest/spec-catalog';
import type { Logger } from './logger';
import type { ServerMetrics } from './ops/server-metrics';
import type { LiveHub } from './live/live-hub';
import type { ParkedWorker } from './ingest/parked-events';

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
  /** Access tokens (the admin mutations); absent: token management is not offered. */
  tokens?: ApiTokenStore;
  /** Study membership of records; needed to serve study-limited tokens. */
  visibility?: StudyVisibility;
  /** The parked-event worker (docs/ingest.md); absent: events of unknown runs are rejected. */
  parking?: ParkedWorker;
}

/** What one GraphQL operation sees: the long-lived deps plus fresh loaders. */
export interface RequestContext extends AppDeps {
  loaders: ProvenanceLoaders;
  /** Per-request loaders over the registry's stores. */
  storeLoaders: StoreLoaders;
  /** The WebSocket connection of a subscription (absent over HTTP). */
  connection?: { drop(code: number, reason: string): void };
  /** Who asks, as the access gate admitted them (src/auth/access-gate.ts); open when access control is off. */
  principal: Principal;
  /**
   * The operation came in a POST body with no `\u` escape: no string of its variables can hold a
   * NUL or a lone surrogate, so ingest skips those checks (src/ingest/json-limits.ts).
   */
  bodyWithoutEscapes?: boolean;
}

const EMPTY_REGISTRY = new StoreRegistry([]);

/**
 * The deps a principal sees: for a study-limited token, the provenance store through the study
 * filter (src/auth/study-scoped-store.ts), so every read path of the request is limited at once.
 */
export function depsFor(deps: AppDeps, principal: Principal): AppDeps {
  if (!principal.studies) return deps;
  // Fail closed: without the membership look-ups a limited token would see nothing reliably.
  if (!deps.visibility) throw new Error('study-limited tokens need the study visibility connector');
  // Nor are its events parked: a parked event's run, and so its study, is not known yet.
  return {
    ...deps,
    store: new StudyScopedStore(deps.store, new StudyScope(principal.studies, deps.visibility)),
    parking: undefined,
  };
}

export function createContext(
  base: AppDeps,
  principal: Principal = OPEN_PRINCIPAL,
  request: Pick<RequestContext, 'bodyWithoutEscapes'> = {},
): RequestContext {
  const deps = depsFor(base, principal);
  return {
    ...deps,
    ...request,
    principal,
    loaders: createProvenanceLoaders(deps.store),
    storeLoaders: createStoreLoaders(deps.registry ?? EMPTY_REGISTRY),
  };
}
