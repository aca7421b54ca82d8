import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ApolloServer } from '@apollo/server';
import type { GraphQLSchema } from 'graphql';
import { loadConfig, type ProvmlConfig } from '../../src/config';
import { createContext, type AppDeps, type RequestContext } from '../../src/context';
import { openProvenanceStore, type OpenedStore } from '../../src/connectors/provenance/open-provenance-store';
import type { StoreRegistry } from '../../src/connectors/store-registry';
import {
  startExtractionWorker,
  type ExtractionWorker,
  type ExtractionWorkerOptions,
} from '../../src/ingest/extraction/extraction-worker';
import { SpecCatalog } from '../../src/ingest/spec-catalog';
import { silentLogger } from '../../src/logger';
import { defaultGatewaySchema } from '../../src/schema/stitch';
import { createApollo } from '../../src/server';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';

/** The server's gateway schema (it lists the extraction resolvers). */
export function extractionSchema(): GraphQLSchema {
  return defaultGatewaySchema();
}

type Gql<T> = { data?: T; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> };

/** Provenance on a fresh PostgreSQL database, a store registry, Apollo, and the extraction worker. */
export interface ExtractionApp {
  deps: AppDeps;
  db: TestDatabase;
  run<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>): Promise<Gql<T>>;
  /** Sends events through the ingest mutation; fails the test on any rejected event. */
  ingest(events: unknown[]): Promise<{ accepted: number; duplicates: number; rejected: number }>;
  startWorker(options?: ExtractionWorkerOptions): ExtractionWorker;
  /** Stops the worker and closes the store, then opens the same database again (a restart). */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function createExtractionApp(registry: StoreRegistry): Promise<ExtractionApp> {
  const db = await createTestDatabase('provml_extraction');
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'provml-extraction-'));
  const config: ProvmlConfig = loadConfig({ PROVML_DATABASE_URL: db.url, PROVML_DATA_DIR: dataDir, PROVML_DEMO: '0' });
  const open = () => openProvenanceStore({ databaseUrl: db.url, dataDir, poolSize: 6, log: silentLogger });
  let opened: OpenedStore = await open();
  const deps: AppDeps = {
    config,
    store: opened.store,
    catalog: new SpecCatalog(opened.store),
    log: silentLogger,
    dataStores: registry.kinds(),
    registry,
  };
  let apollo: ApolloServer<RequestContext> = createApollo(config, silentLogger, extractionSchema());
  await apollo.start();
  const workers: ExtractionWorker[] = [];
  const stopWorkers = async () => {
    for (const w of workers.splice(0)) await w.stop();
  };
  const app: ExtractionApp = {
    deps,
    db,
    async run(query, variables) {
      const res = await apollo.executeOperation({ query, variables }, { contextValue: createContext(deps) });
      if (res.body.kind !== 'single') throw new Error('unexpected incremental result');
      return res.body.singleResult as never;
    },
    async ingest(events) {
      type R = {
        ingest: { accepted: number; duplicates: number; rejected: number; issues: Array<{ field: string; message: string }> };
      };
      const res = await app.run<R>(
        `mutation($e: [JSON!]!) { ingest(events: $e) { accepted duplicates rejected issues { field message } } }`,
        { e: events },
      );
      if (res.errors) throw new Error(res.errors[0].message);
      const r = res.data!.ingest;
      if (r.rejected) throw new Error(`rejected: ${r.issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`);
      return r;
    },
    startWorker(options = {}) {
      const w = startExtractionWorker(
        { store: deps.store, catalog: deps.catalog, registry, log: silentLogger },
        { intervalMs: 100, backoffMs: 50, ...options },
      );
      workers.push(w);
      return w;
    },
    async restart() {
      await stopWorkers();
      await apollo.stop();
      await opened.close();
      opened = await open();
      deps.store = opened.store;
      deps.catalog = new SpecCatalog(opened.store);
      apollo = createApollo(config, silentLogger, extractionSchema());
      await apollo.start();
    },
    async close() {
      await stopWorkers();
      await apollo.stop();
      await opened.close();
      await db.drop();
      await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
  return app;
}

/** A data-curation workflow whose one task uses a file: what a curation job registers. */
export const CURATION_SPEC = {
  name: 'curation',
  kind: 'DATA',
  transformations: [{ name: 'ingest_raw', used: [{ name: 'raw', role: 'DATA_REFERENCE' }] }],
};

/** A run whose task uses each of `refs` (one task per reference). */
export function curationEvents(run: string, refs: unknown[]): unknown[] {
  return [
    { id: `${run}:b`, type: 'workflowBegin', run, workflow: 'curation' },
    ...refs.map((ref, i) => ({
      id: `${run}:t${i}`,
      type: 'taskBegin',
      task: `${run}.t${i}`,
      run,
      transformation: 'ingest_raw',
      used: { raw: ref },
    })),
    { id: `${run}:e`, type: 'workflowEnd', run },
  ];
}
