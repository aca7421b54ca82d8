import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ApolloServer } from '@apollo/server';
import { loadConfig, type ProvmlConfig } from '../../src/config';
import { createContext, type AppDeps, type RequestContext } from '../../src/context';
import { openProvenanceStore, type OpenedStore } from '../../src/connectors/provenance/open-provenance-store';
import type { CreatedStore } from '../../src/connectors/store-config';
import type { StoreRegistry } from '../../src/connectors/store-registry';
import { loadDemo } from '../../src/demo/load-demo';
import { SpecCatalog } from '../../src/ingest/spec-catalog';
import { silentLogger } from '../../src/logger';
import type { RemoteSubschema } from '../../src/resolvers/remote/remote.subschema';
import { createApollo } from '../../src/server';
import { buildGatewaySchema, buildSubschemaConfigs, defaultGatewaySchema } from '../../src/schema/stitch';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';

export type GqlError = { message: string; path?: ReadonlyArray<string | number>; extensions?: Record<string, unknown> };
export interface GqlResult<T> {
  data?: T | null;
  errors?: GqlError[];
}

/** The gateway (provenance on a fresh PostgreSQL database, plus a store registry) as Apollo runs it. */
export interface FederationApp {
  deps: AppDeps;
  apollo: ApolloServer<RequestContext>;
  run<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>): Promise<GqlResult<T>>;
  close(): Promise<void>;
}

export async function createFederationApp(
  registry: StoreRegistry,
  options: { remotes?: RemoteSubschema[]; demo?: boolean } = {},
): Promise<FederationApp> {
  const db: TestDatabase = await createTestDatabase('provml_fed');
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'provml-fed-'));
  const config: ProvmlConfig = loadConfig({ PROVML_DATABASE_URL: db.url, PROVML_DATA_DIR: dataDir, PROVML_DEMO: '0' });
  const opened: OpenedStore = await openProvenanceStore({ databaseUrl: db.url, dataDir, poolSize: 4, log: silentLogger });
  const deps: AppDeps = {
    config,
    store: opened.store,
    catalog: new SpecCatalog(opened.store),
    log: silentLogger,
    dataStores: registry.kinds(),
    registry,
  };
  if (options.demo !== false) {
    const r = await loadDemo(deps);
    if (r.rejected) throw new Error('demo rejected events');
  }
  const schema = options.remotes?.length
    ? buildGatewaySchema(buildSubschemaConfigs({ remotes: options.remotes }))
    : defaultGatewaySchema();
  const apollo = createApollo(config, silentLogger, schema);
  await apollo.start();
  return {
    deps,
    apollo,
    async run(query, variables) {
      const res = await apollo.executeOperation({ query, variables }, { contextValue: createContext(deps) });
      if (res.body.kind !== 'single') throw new Error('unexpected incremental result');
      return res.body.singleResult as never;
    },
    async close() {
      await apollo.stop();
      await opened.close();
      await db.drop();
      await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Counts connector calls (each is one round trip to its store; an S3 stat of n keys is n HEADs
 * under one call) by wrapping the real connectors' batch methods in place. Nothing is faked:
 * every call still reaches the store.
 */
export function countStoreCalls(registry: StoreRegistry): {
  calls: Map<string, number>;
  keys: Map<string, number>;
  reset(): void;
} {
  const calls = new Map<string, number>();
  const keys = new Map<string, number>();
  const bump = (id: string, n: number) => {
    calls.set(id, (calls.get(id) ?? 0) + 1);
    keys.set(id, (keys.get(id) ?? 0) + n);
  };
  for (const s of registry.stores as CreatedStore[]) {
    if (s.kind === 'sparql') {
      const orig = s.knowledge.describe.bind(s.knowledge);
      s.knowledge.describe = (uris) => (bump(s.id, uris.length), orig(uris));
    } else if (s.kind === 'mongodb') {
      const orig = s.documents.findByUris.bind(s.documents);
      s.documents.findByUris = (uris) => (bump(s.id, uris.length), orig(uris));
    } else if (s.kind === 's3' || s.kind === 'fs') {
      const orig = s.objects.stat.bind(s.objects);
      s.objects.stat = (uris) => (bump(s.id, uris.length), orig(uris));
    }
  }
  return { calls, keys, reset: () => (calls.clear(), keys.clear()) };
}

export async function readExample(name: string): Promise<{ query: string; variables: Record<string, unknown> }> {
  const dir = path.join(__dirname, '../../examples/queries');
  return {
    query: await fs.readFile(path.join(dir, `${name}.graphql`), 'utf8'),
    variables: JSON.parse(await fs.readFile(path.join(dir, `${name}.json`), 'utf8')) as Record<string, unknown>,
  };
}
