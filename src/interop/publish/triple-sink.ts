import type { SparqlStreamClient } from '../../connectors/knowledge/load-sparql-http-client';
import { createSparqlClient } from '../../connectors/knowledge/load-sparql-http-client';
import type { StoreRegistry } from '../../connectors/store-registry';

/** Where published PROV-O goes: a SPARQL 1.1 Update endpoint (Virtuoso, Fuseki, GraphDB, Oxigraph server). */
export interface TripleSink {
  readonly id: string;
  /** Runs one SPARQL Update request; rejects when the store refuses it or cannot be reached. */
  update(sparqlUpdate: string): Promise<void>;
}

/** A sink over sparql-http-client (its client is made by the caller and passed in). */
export class SparqlUpdateSink implements TripleSink {
  constructor(
    readonly id: string,
    private readonly client: SparqlStreamClient,
  ) {}

  update(sparqlUpdate: string): Promise<void> {
    // POST with the update as a form field: the way every SPARQL 1.1 server accepts it.
    return this.client.query.update(sparqlUpdate, { operation: 'postUrlencoded' });
  }
}

/**
 * The sink for knowledge store `storeId` of the registry: its `endpoint` (or `options.updateUrl`)
 * with the credentials its entry names in `secretsFromEnv` (user, password), looked up in `env`,
 * which the caller passes (the process environment at start-up). Throws naming what is wrong.
 */
export function publishSinkFor(
  registry: StoreRegistry,
  storeId: string,
  env: Readonly<Record<string, string | undefined>>,
  timeoutMs = 30_000,
): TripleSink {
  const entry = registry.entryOf(storeId);
  if (!entry) throw new Error(`PROVML_PUBLISH_STORE: no store ${JSON.stringify(storeId)} in the store registry`);
  if (entry.kind !== 'sparql' || !entry.endpoint) {
    throw new Error(
      `PROVML_PUBLISH_STORE: store ${storeId} must be a SPARQL server (kind sparql with an endpoint), not ${entry.kind}${entry.endpoint ? '' : ' without an endpoint'}`,
    );
  }
  const secret = (field: string) => (entry.secretsFromEnv[field] ? env[entry.secretsFromEnv[field]] : undefined);
  const options = entry.options as { updateUrl?: string };
  const client = createSparqlClient({
    endpointUrl: entry.endpoint,
    updateUrl: options.updateUrl ?? entry.endpoint,
    user: secret('user'),
    password: secret('password'),
    requestTimeoutMs: timeoutMs,
  });
  return new SparqlUpdateSink(storeId, client);
}
