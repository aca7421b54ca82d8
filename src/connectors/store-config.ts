import { S3Client } from '@aws-sdk/client-s3';
import { MongoClient } from 'mongodb';
import path from 'node:path';
import { z } from 'zod';
import { FileDocumentStore } from './documents/file-document-store';
import { MongoDocumentStore } from './documents/mongo-document-store';
import type { DocumentStore } from './documents/document-store';
import type { KnowledgeStore } from './knowledge/knowledge-store';
import { createSparqlClient } from './knowledge/load-sparql-http-client';
import { loadOxigraphStore, OxigraphKnowledgeStore } from './knowledge/oxigraph-knowledge-store';
import { SparqlKnowledgeStore } from './knowledge/sparql-knowledge-store';
import { FsObjectStore } from './objects/fs-object-store';
import type { ObjectStore } from './objects/object-store';
import { S3ObjectStore } from './objects/s3-object-store';
import { DEFAULT_TIMEOUT_MS, type StoreLog } from './store-call';

/**
 * One store of the registry (PROV-ML DataStoreInstance), as written in provml.config.json.
 * Secrets never sit in the file: `secretsFromEnv` names, per secret field, the environment
 * variable that holds it, and `createStore` is the only code that reads that env map.
 */
export const StoreEntrySchema = z
  .object({
    id: z.string().regex(/^[A-Za-z][A-Za-z0-9_.-]{0,63}$/, 'must start with a letter: letters, digits, _ . - (64 at most)'),
    kind: z.enum(['sparql', 'mongodb', 's3', 'fs', 'graphql']),
    endpoint: z.string().min(1).optional(),
    options: z.record(z.string(), z.unknown()).default({}),
    secretsFromEnv: z
      .record(z.string(), z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'must be an environment variable name'))
      .default({}),
    timeoutMs: z.number().int().min(1).max(600_000).default(DEFAULT_TIMEOUT_MS),
    description: z.string().optional(),
  })
  .strict();
export type StoreEntry = z.infer<typeof StoreEntrySchema>;
export type StoreEntryInput = z.input<typeof StoreEntrySchema>;

const httpUrl = z.string().regex(/^https?:\/\/\S+$/, 'must be an http:// or https:// URL');
// Dotted names only: a configured field can never be a MongoDB operator.
const fieldPath = z.string().regex(/^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z_][A-Za-z0-9_-]*)*$/, 'must be a dotted field path');
const paths = z.array(z.string().min(1)).min(1);
const OPTIONS = {
  sparql: z
    .object({
      files: paths.optional(),
      updateUrl: httpUrl.optional(),
      graphs: z.array(httpUrl).optional(),
      rowCap: z.number().int().min(1).max(1_000_000).optional(),
    })
    .strict(),
  mongodb: z
    .object({
      directory: z.string().min(1).optional(),
      // Directory only: how often every file is listed again (ms); see FileDocumentStoreOptions.
      fullScanMs: z.number().int().min(0).max(3_600_000).optional(),
      database: z
        .string()
        .regex(/^[^/\\. "$]{1,63}$/)
        .optional(),
      collection: z
        .string()
        .regex(/^[^$\0]{1,120}$/)
        .optional(),
      keyField: fieldPath.optional(),
      geometryField: fieldPath.optional(),
    })
    .strict(),
  s3: z
    .object({
      region: z.string().default('us-east-1'),
      forcePathStyle: z.boolean().default(true),
      bucket: z.string().optional(),
      prefix: z.string().optional(),
      maxRangeBytes: z.number().int().min(1).optional(),
    })
    .strict(),
  fs: z
    .object({
      root: z.string().min(1),
      paths: z.enum(['host', 'rooted']).default('host'),
      maxRangeBytes: z.number().int().min(1).optional(),
    })
    .strict(),
  graphql: z.record(z.string(), z.unknown()),
};
const SECRET_FIELDS: Record<StoreEntry['kind'], string[]> = {
  sparql: ['user', 'password'],
  mongodb: ['url', 'username', 'password'],
  s3: ['accessKeyId', 'secretAccessKey', 'sessionToken'],
  fs: [],
  graphql: ['authorization'],
};

/** Every problem of a store entry at once, each naming its field; never a secret's value. */
export class StoreConfigError extends Error {
  constructor(
    readonly storeId: string,
    readonly issues: string[],
  ) {
    super(`store ${storeId}: ${issues.join('; ')}`);
    this.name = 'StoreConfigError';
  }
}

export type CreatedStore =
  | { id: string; kind: 'sparql'; backend: 'sparql-http' | 'oxigraph'; knowledge: KnowledgeStore; close(): Promise<void> }
  | { id: string; kind: 'mongodb'; backend: 'mongodb' | 'files'; documents: DocumentStore; close(): Promise<void> }
  | { id: string; kind: 's3' | 'fs'; backend: 's3' | 'fs'; objects: ObjectStore; close(): Promise<void> }
  | {
      id: string;
      kind: 'graphql';
      backend: 'graphql';
      endpoint: string;
      /** Authorization header from secretsFromEnv.authorization, if any. */
      headers: Record<string, string>;
      /** The entry's options (merge keys and the like), for the gateway to read. */
      options: Record<string, unknown>;
      close(): Promise<void>;
    };

export interface CreateStoreContext {
  /** Relative paths (files, directory, root) are taken from here: the config file's folder. */
  baseDir?: string;
  log?: StoreLog;
}

/** Parses one raw entry, throwing StoreConfigError with every issue. */
export function parseStoreEntry(raw: unknown): StoreEntry {
  const parsed = StoreEntrySchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const id =
    raw && typeof raw === 'object' && typeof (raw as { id?: unknown }).id === 'string' ? (raw as { id: string }).id : '?';
  throw new StoreConfigError(
    id,
    parsed.error.issues.map((i) => `${i.path.join('.') || '(entry)'}: ${i.message}`),
  );
}

/**
 * Builds the backend an entry asks for: sparql with an endpoint → SparqlKnowledgeStore, with
 * `options.files` → Oxigraph; mongodb with an endpoint → MongoDocumentStore, with
 * `options.directory` → FileDocumentStore; s3 → S3ObjectStore; fs → FsObjectStore; graphql →
 * a descriptor for the gateway. Clients connect lazily: a store that is down at start-up
 * costs only its own fields later.
 */
export async function createStore(
  input: StoreEntryInput | StoreEntry,
  env: Readonly<Record<string, string | undefined>>,
  context: CreateStoreContext = {},
): Promise<CreatedStore> {
  const entry = parseStoreEntry(input);
  const { id, kind, timeoutMs } = entry;
  const issues: string[] = [];
  const options = OPTIONS[kind].safeParse(entry.options);
  if (!options.success) issues.push(...options.error.issues.map((i) => `options.${i.path.join('.')}: ${i.message}`));
  const secrets: Record<string, string> = {};
  for (const [field, name] of Object.entries(entry.secretsFromEnv)) {
    if (!SECRET_FIELDS[kind].includes(field)) {
      issues.push(`secretsFromEnv.${field}: not a secret of a ${kind} store (${SECRET_FIELDS[kind].join(', ') || 'none'})`);
    } else if (!env[name]) {
      issues.push(`secretsFromEnv.${field}: environment variable ${name} is not set`);
    } else {
      secrets[field] = env[name]!;
    }
  }
  if (issues.length > 0 || !options.success) throw new StoreConfigError(id, issues);
  const base = context.baseDir ?? process.cwd();
  const resolve = (p: string) => path.resolve(base, p);
  const common = { id, timeoutMs, log: context.log };
  const need = (ok: boolean, issue: string) => {
    if (!ok) throw new StoreConfigError(id, [issue]);
  };

  switch (kind) {
    case 'sparql': {
      const o = options.data as z.infer<typeof OPTIONS.sparql>;
      need(
        !!entry.endpoint !== !!o.files,
        'give either endpoint (a SPARQL server) or options.files (embedded Oxigraph), not both or neither',
      );
      if (o.files) {
        const knowledge = new OxigraphKnowledgeStore(await loadOxigraphStore(o.files.map(resolve)), {
          ...common,
          rowCap: o.rowCap,
        });
        return { id, kind, backend: 'oxigraph', knowledge, close: () => knowledge.close() };
      }
      need(httpUrl.safeParse(entry.endpoint).success, 'endpoint: must be an http:// or https:// URL');
      const client = createSparqlClient({
        endpointUrl: entry.endpoint!,
        updateUrl: o.updateUrl,
        user: secrets.user,
        password: secrets.password,
        requestTimeoutMs: timeoutMs,
      });
      const knowledge = new SparqlKnowledgeStore(client, { ...common, rowCap: o.rowCap, graphs: o.graphs });
      return { id, kind, backend: 'sparql-http', knowledge, close: () => knowledge.close() };
    }
    case 'mongodb': {
      const o = options.data as z.infer<typeof OPTIONS.mongodb>;
      const url = secrets.url ?? entry.endpoint;
      need(
        !!url !== !!o.directory,
        'give either endpoint / secretsFromEnv.url (MongoDB) or options.directory (embedded files), not both or neither',
      );
      const shape = { keyField: o.keyField, geometryField: o.geometryField };
      if (o.directory) {
        const documents = await FileDocumentStore.fromDirectory(resolve(o.directory), {
          ...common,
          ...shape,
          fullScanMs: o.fullScanMs,
        });
        return { id, kind, backend: 'files', documents, close: () => documents.close() };
      }
      need(/^mongodb(\+srv)?:\/\//.test(url!), 'endpoint: must be a mongodb:// or mongodb+srv:// URL');
      need(!!o.database && !!o.collection, 'options.database and options.collection are required for a MongoDB endpoint');
      const client = new MongoClient(url!, {
        serverSelectionTimeoutMS: timeoutMs,
        connectTimeoutMS: timeoutMs,
        ...(secrets.username ? { auth: { username: secrets.username, password: secrets.password } } : {}),
      });
      const documents = new MongoDocumentStore(client.db(o.database).collection(o.collection!), { ...common, ...shape });
      return {
        id,
        kind,
        backend: 'mongodb',
        documents,
        close: async () => {
          await documents.close();
          await client.close();
        },
      };
    }
    case 's3': {
      const o = options.data as z.infer<typeof OPTIONS.s3>;
      need(!entry.endpoint || httpUrl.safeParse(entry.endpoint).success, 'endpoint: must be an http:// or https:// URL');
      need(
        !!secrets.accessKeyId === !!secrets.secretAccessKey,
        'secretsFromEnv: give both accessKeyId and secretAccessKey, or neither',
      );
      const client = new S3Client({
        endpoint: entry.endpoint,
        region: o.region,
        forcePathStyle: o.forcePathStyle,
        // Without secrets, the SDK's own credential chain applies (instance roles and the like).
        ...(secrets.accessKeyId
          ? {
              credentials: {
                accessKeyId: secrets.accessKeyId,
                secretAccessKey: secrets.secretAccessKey,
                sessionToken: secrets.sessionToken,
              },
            }
          : {}),
        // Many S3-compatible servers predate the SDK's default CRC32 checksums.
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
        maxAttempts: 2,
        requestHandler: { connectionTimeout: timeoutMs, requestTimeout: timeoutMs },
      });
      const objects = new S3ObjectStore(client, {
        ...common,
        bucket: o.bucket,
        prefix: o.prefix,
        maxRangeBytes: o.maxRangeBytes,
      });
      return { id, kind, backend: 's3', objects, close: () => objects.close() };
    }
    case 'fs': {
      const o = options.data as z.infer<typeof OPTIONS.fs>;
      const objects = new FsObjectStore({ ...common, root: resolve(o.root), paths: o.paths, maxRangeBytes: o.maxRangeBytes });
      return { id, kind, backend: 'fs', objects, close: () => objects.close() };
    }
    case 'graphql': {
      need(
        !!entry.endpoint && httpUrl.safeParse(entry.endpoint).success,
        'endpoint: a graphql store needs an http:// or https:// endpoint',
      );
      const headers: Record<string, string> = secrets.authorization ? { authorization: secrets.authorization } : {};
      return { id, kind, backend: 'graphql', endpoint: entry.endpoint!, headers, options: entry.options, close: async () => {} };
    }
  }
}
