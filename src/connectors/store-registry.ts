import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { Logger } from '../logger';
import { DEFAULT_TIMEOUT_MS, observeStoreCalls, type StoreCallObserver } from './store-call';
import {
  createStore,
  parseStoreEntry,
  StoreConfigError,
  type CreatedStore,
  type StoreEntry,
  type StoreEntryInput,
} from './store-config';

/**
 * The store registry: every PROV-ML DataStoreInstance the server can read, built once at
 * start-up from `provml.config.json|yaml` (PROVML_CONFIG) or, without one, from the embedded
 * demo stores under examples/stores.
 *
 * The file is `{ "stores": [entry, ...] }`: each entry is a store-config entry (see
 * store-config.ts) plus one gateway field, `uriMap`, that rewrites a data reference's URI into the
 * store's own key by prefix, e.g. `{ "/data/": "http://ibm.com/" }` turns `/data/netherlands.sgy`
 * into the knowledge-graph IRI `http://ibm.com/netherlands.sgy`.
 */
export type StoreKind = CreatedStore['kind'];

/** What the gateway reads from a kind: the three connector roles and remote GraphQL. */
export type StoreRole = 'knowledge' | 'documents' | 'objects' | 'graphql';

export const ROLE_OF_KIND = {
  sparql: 'knowledge',
  mongodb: 'documents',
  s3: 'objects',
  fs: 'objects',
  graphql: 'graphql',
} as const satisfies Record<StoreKind, StoreRole>;

const UriMapSchema = z.record(z.string().min(1), z.string().min(1));
const RegistryFileSchema = z.object({ stores: z.array(z.unknown()).max(256) }).strict();

export interface RegistryEntryInput extends StoreEntryInput {
  uriMap?: Record<string, string>;
}

export interface RegistryFile {
  stores: RegistryEntryInput[];
}

/** Every problem of the registry file at once, naming the store and field. */
export class StoreRegistryError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`store registry ${file}:\n  ${problems.join('\n  ')}`);
    this.name = 'StoreRegistryError';
  }
}

export class StoreRegistry {
  private readonly byId: Map<string, CreatedStore>;

  constructor(
    readonly stores: readonly CreatedStore[],
    private readonly uriMaps: ReadonlyMap<string, ReadonlyArray<[string, string]>> = new Map(),
    /** Where the registry came from: a file path, or `demo`. */
    readonly source = 'inline',
    private readonly entries: ReadonlyMap<string, StoreEntry> = new Map(),
    /** Folder that relative paths of the entries are taken from. */
    readonly baseDir = process.cwd(),
  ) {
    this.byId = new Map(stores.map((s) => [s.id, s]));
  }

  get(id: string): CreatedStore | undefined {
    return this.byId.get(id);
  }

  /** Stores that play `role`, in config order (the order the gateway consults them). */
  withRole<R extends StoreRole>(role: R): Array<Extract<CreatedStore, { kind: KindsOf<R> }>> {
    return this.stores.filter((s) => (ROLE_OF_KIND[s.kind] as StoreRole) === role) as Array<
      Extract<CreatedStore, { kind: KindsOf<R> }>
    >;
  }

  /** The store's own key for a reference URI: the longest matching `uriMap` prefix is rewritten. */
  keyFor(storeId: string, uri: string): string {
    let best: [string, string] | undefined;
    for (const pair of this.uriMaps.get(storeId) ?? []) {
      if (uri.startsWith(pair[0]) && (!best || pair[0].length > best[0].length)) best = pair;
    }
    return best ? best[1] + uri.slice(best[0].length) : uri;
  }

  /**
   * keyFor's inverse: the reference URIs whose key in `storeId` is `key` (a key with no mapped
   * prefix stands for itself; several prefixes may give one key). Used to walk from what a store
   * found (a document's key) back to the data references of the provenance store.
   */
  urisFor(storeId: string, key: string): string[] {
    const out = new Set<string>();
    if (this.keyFor(storeId, key) === key) out.add(key);
    for (const [uriPrefix, keyPrefix] of this.uriMaps.get(storeId) ?? []) {
      if (!key.startsWith(keyPrefix)) continue;
      const uri = uriPrefix + key.slice(keyPrefix.length);
      if (this.keyFor(storeId, uri) === key) out.add(uri);
    }
    return [...out];
  }

  /** The per-call deadline configured for a store (ms). */
  timeoutOf(id: string): number {
    return this.entries.get(id)?.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /** The validated config entry of a store (secrets are only named there, never held). */
  entryOf(id: string): StoreEntry | undefined {
    return this.entries.get(id);
  }

  /** id -> kind, for PROV-ML DataStoreInstance (AppDeps.dataStores). */
  kinds(): Map<string, string> {
    return new Map(this.stores.map((s) => [s.id, s.kind]));
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.stores.map((s) => s.close()));
  }
}

/** The store with its connector's calls reported to `observer` (graphql descriptors have none). */
function observed(store: CreatedStore, observer: StoreCallObserver): CreatedStore {
  switch (store.kind) {
    case 'sparql':
      return { ...store, knowledge: observeStoreCalls(store.id, store.knowledge, observer) };
    case 'mongodb':
      return { ...store, documents: observeStoreCalls(store.id, store.documents, observer) };
    case 's3':
    case 'fs':
      return { ...store, objects: observeStoreCalls(store.id, store.objects, observer) };
    default:
      return store;
  }
}

type KindsOf<R extends StoreRole> = { [K in StoreKind]: (typeof ROLE_OF_KIND)[K] extends R ? K : never }[StoreKind];

/** The repository's examples/stores folder (from src/connectors or dist/connectors alike). */
export const EXAMPLES_STORES_DIR = path.resolve(__dirname, '../../examples/stores');

/**
 * The embedded demo registry: Oxigraph over the demo Turtle, the GeoJSON directory and the file
 * system store `fs` that the demo lifecycle's references name (`/data/netherlands.sgy`, ...).
 */
export function demoRegistryFile(): RegistryFile {
  return {
    stores: [
      {
        id: 'fs',
        kind: 'fs',
        options: { root: 'objects', paths: 'rooted' },
        description: 'demo files: raw SEG-Y, HDF5 sets, models',
      },
      {
        id: 'knowledge',
        kind: 'sparql',
        options: { files: ['knowledge/netherlands.ttl'] },
        uriMap: { '/data/': 'http://ibm.com/' },
        description: 'demo knowledge graph (embedded Oxigraph)',
      },
      {
        id: 'documents',
        kind: 'mongodb',
        options: { directory: 'documents' },
        description: 'demo GeoJSON polygons (file directory)',
      },
    ],
  };
}

/** Parses a registry file's text (JSON, or YAML for .yaml/.yml). */
export function parseRegistryText(text: string, file: string): RegistryFile {
  let raw: unknown;
  try {
    raw = /\.ya?ml$/i.test(file) ? parseYaml(text) : JSON.parse(text);
  } catch (err) {
    throw new StoreRegistryError(file, [
      `not valid ${/\.ya?ml$/i.test(file) ? 'YAML' : 'JSON'}: ${(err as Error).message.split('\n')[0]}`,
    ]);
  }
  const parsed = RegistryFileSchema.safeParse(raw);
  if (!parsed.success)
    throw new StoreRegistryError(
      file,
      parsed.error.issues.map((i) => `${i.path.join('.') || '(file)'}: ${i.message}`),
    );
  return { stores: parsed.data.stores as RegistryEntryInput[] };
}

export interface LoadRegistryOptions {
  /** provml.config.json|yaml; absent: the embedded demo registry. */
  configPath?: string;
  /** Where secretsFromEnv names are looked up (the process environment, passed in by the caller). */
  env: Readonly<Record<string, string | undefined>>;
  log?: Logger;
  /** Told of every call to a store's connector (latency, errors): the server's metrics. */
  observe?: StoreCallObserver;
}

/** Reads, validates and opens every store of the registry; all problems are reported together. */
export async function loadStoreRegistry(options: LoadRegistryOptions): Promise<StoreRegistry> {
  const file = options.configPath ? path.resolve(options.configPath) : 'demo';
  const registry = options.configPath
    ? parseRegistryText(
        await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
          throw new StoreRegistryError(file, [`cannot read: ${err.code ?? err.message}`]);
        }),
        file,
      )
    : demoRegistryFile();
  const baseDir = options.configPath ? path.dirname(file) : EXAMPLES_STORES_DIR;
  return openRegistry(registry, { env: options.env, baseDir, log: options.log, source: file, observe: options.observe });
}

/** Opens the stores of an already parsed registry (tests build these in code). */
export async function openRegistry(
  registry: RegistryFile,
  options: {
    env: Readonly<Record<string, string | undefined>>;
    baseDir: string;
    log?: Logger;
    source?: string;
    observe?: StoreCallObserver;
  },
): Promise<StoreRegistry> {
  const source = options.source ?? 'inline';
  const problems: string[] = [];
  const seen = new Set<string>();
  const uriMaps = new Map<string, Array<[string, string]>>();
  const parsedEntries = new Map<string, StoreEntry>();
  const entries: StoreEntryInput[] = [];
  registry.stores.forEach((raw, i) => {
    const { uriMap, ...entry } = (raw ?? {}) as RegistryEntryInput;
    try {
      const parsed = parseStoreEntry(entry);
      if (seen.has(parsed.id)) problems.push(`stores[${i}].id: duplicate store id ${parsed.id}`);
      seen.add(parsed.id);
      parsedEntries.set(parsed.id, parsed);
      const map = UriMapSchema.safeParse(uriMap ?? {});
      if (!map.success) problems.push(`store ${parsed.id}: uriMap: must map URI prefixes to key prefixes (strings)`);
      else uriMaps.set(parsed.id, Object.entries(map.data));
      entries.push(entry);
    } catch (err) {
      problems.push(err instanceof StoreConfigError ? err.message : String(err));
    }
  });
  const opened: CreatedStore[] = [];
  if (problems.length === 0) {
    for (const entry of entries) {
      const log = options.log?.child({ source: entry.id });
      try {
        const created = await createStore(entry, options.env, {
          baseDir: options.baseDir,
          log: log ? (l, m, f) => log[l](m, f) : undefined,
        });
        opened.push(options.observe ? observed(created, options.observe) : created);
      } catch (err) {
        problems.push(err instanceof StoreConfigError ? err.message : `store ${entry.id}: ${(err as Error).message}`);
      }
    }
  }
  if (problems.length) {
    await Promise.allSettled(opened.map((s) => s.close()));
    throw new StoreRegistryError(source, problems);
  }
  options.log?.info('store registry', { source, stores: opened.map((s) => `${s.id}:${s.kind}/${s.backend}`) });
  return new StoreRegistry(opened, uriMaps, source, parsedEntries, options.baseDir);
}
