import type { RdfJsTermLike } from './rdf-terms';

/**
 * The slice of sparql-http-client's StreamClient that SparqlKnowledgeStore uses; tests and
 * other clients can satisfy it too.
 */
export interface SparqlStreamClient {
  query: {
    select(query: string, options?: SparqlRequestOptions): SparqlObjectStream<Record<string, RdfJsTermLike>>;
    ask(query: string, options?: SparqlRequestOptions): Promise<boolean>;
    construct(query: string, options?: SparqlRequestOptions): SparqlObjectStream<RdfJsQuadLike>;
    update(query: string, options?: SparqlRequestOptions): Promise<void>;
  };
}
export interface SparqlRequestOptions {
  operation?: 'get' | 'postUrlencoded' | 'postDirect';
  headers?: Record<string, string>;
}
export interface SparqlObjectStream<T> extends AsyncIterable<T> {
  destroy(error?: Error): void;
}
export interface RdfJsQuadLike {
  subject: RdfJsTermLike;
  predicate: RdfJsTermLike;
  object: RdfJsTermLike;
}

export interface SparqlClientOptions {
  endpointUrl: string;
  updateUrl?: string;
  user?: string;
  password?: string;
  /** Aborts each HTTP request after this many ms, so a timed-out call frees its socket. */
  requestTimeoutMs?: number;
}

type FetchLike = (url: string | URL, init?: Record<string, unknown>) => Promise<unknown>;
interface SparqlHttpClientModule {
  StreamClient: new (options: Record<string, unknown>) => SparqlStreamClient & { fetch: FetchLike };
}

/**
 * sparql-http-client 3 is ESM-only. Node ≥ 20.19 can `require()` it, but jest's module sandbox
 * cannot, so it is loaded through Node's own loader (`process.getBuiltinModule`), which behaves
 * the same in the server and in tests. Objects it makes come from another realm in jest: match
 * its errors by shape, never with `instanceof`.
 */
export function loadSparqlHttpClient(): SparqlHttpClientModule {
  const nodeModule = process.getBuiltinModule('node:module') as typeof import('node:module');
  return nodeModule.createRequire(__filename)('sparql-http-client') as SparqlHttpClientModule;
}

/** Builds a StreamClient whose requests abort after `requestTimeoutMs`. */
export function createSparqlClient(options: SparqlClientOptions): SparqlStreamClient {
  const { StreamClient } = loadSparqlHttpClient();
  const client = new StreamClient({
    endpointUrl: options.endpointUrl,
    updateUrl: options.updateUrl,
    user: options.user,
    password: options.password,
  });
  const timeoutMs = options.requestTimeoutMs;
  if (timeoutMs) {
    const inner = client.fetch;
    client.fetch = (url, init) => inner(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  }
  return client;
}
