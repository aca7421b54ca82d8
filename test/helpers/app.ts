import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ApolloServer } from '@apollo/server';
import type { GraphQLSchema } from 'graphql';
import { loadConfig, type ProvmlConfig } from '../../src/config';
import { createContext, type AppDeps, type RequestContext } from '../../src/context';
import { openProvenanceStore, type OpenedStore } from '../../src/connectors/provenance/open-provenance-store';
import type { StoreRegistry } from '../../src/connectors/store-registry';
import { loadDemo } from '../../src/demo/load-demo';
import { SpecCatalog } from '../../src/ingest/spec-catalog';
import { silentLogger } from '../../src/logger';
import { createApollo } from '../../src/server';
import { createTestDatabase, type TestDatabase } from './postgres';

export interface TestApp {
  deps: AppDeps;
  apollo: ApolloServer<RequestContext>;
  /** Runs one operation as a client would, through Apollo's request pipeline. */
  run<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
  ): Promise<{
    data?: T;
    errors?: Array<{ message: string; path?: readonly (string | number)[]; extensions?: Record<string, unknown> }>;
  }>;
  close(): Promise<void>;
}

export interface TestAppOptions {
  /** The users' stores; without one, the gateway's store fields find no store. */
  registry?: StoreRegistry;
  /** A gateway schema other than the default (remote GraphQL stores). */
  schema?: GraphQLSchema;
  /** Load the demo lifecycle first. */
  demo?: boolean;
}

/** The schema and resolvers over a real provenance store (a fresh database on the server). */
export async function createTestApp(overrides: Record<string, string> = {}, options: TestAppOptions = {}): Promise<TestApp> {
  const db: TestDatabase = await createTestDatabase();
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'provml-app-'));
  const config: ProvmlConfig = loadConfig({
    PROVML_DATABASE_URL: db.url,
    PROVML_DATA_DIR: dataDir,
    PROVML_DEMO: '0',
    ...overrides,
  });
  const opened: OpenedStore = await openProvenanceStore({ databaseUrl: db.url, dataDir, poolSize: 4, log: silentLogger });
  const deps: AppDeps = {
    config,
    store: opened.store,
    catalog: new SpecCatalog(opened.store),
    log: silentLogger,
    dataStores: options.registry ? options.registry.kinds() : new Map([['fs', 'fs']]),
    registry: options.registry,
  };
  try {
    if (options.demo) {
      const r = await loadDemo(deps);
      if (r.rejected) throw new Error(`demo rejected ${r.rejected} events`);
    }
  } catch (err) {
    await opened.close();
    await db.drop();
    throw err;
  }
  const apollo = createApollo(config, silentLogger, options.schema);
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
