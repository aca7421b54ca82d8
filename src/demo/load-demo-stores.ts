import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { isDeepStrictEqual } from 'node:util';
import { MongoClient } from 'mongodb';
import { constants as fsConstants } from 'node:fs';
import { copyFile, mkdir, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import oxigraph from 'oxigraph';
import type { StoreEntry } from '../connectors/store-config';
import { EXAMPLES_STORES_DIR, type StoreRegistry } from '../connectors/store-registry';
import type { Logger } from '../logger';

/**
 * Loads the demo's domain data (examples/stores) into the SERVER backends of a registry, so the
 * demo lifecycle's references resolve there as they do on the embedded stores: the Turtle into a
 * SPARQL endpoint (SPARQL Update INSERT DATA, into options.graphs[0] when given), the GeoJSON
 * features into MongoDB (upsert by id, 2dsphere index), the demo files into S3 (PutObject, keys
 * from the store's uriMap) or under an fs root. Embedded stores already read examples/stores and
 * are skipped. Idempotent: a second run changes nothing.
 *
 * The stores are the user's: an object, file or document already there under a demo key is never
 * overwritten. The same content counts as loaded; a different one is kept as it is, with a
 * warning naming it (the demo's references to it then resolve to the user's data). SPARQL
 * INSERT DATA only adds triples, so a graph keeps whatever it held.
 */
export interface DemoStoreLoad {
  store: string;
  kind: string;
  /** Demo items in the store after the load: written now, or there already with the same content. */
  loaded: number;
  what: string;
  /** Keys of the user's items that differ from the demo's: left untouched, not overwritten. */
  kept: string[];
}

/** One demo item that the store already holds with other content: the user's, so kept. */
function keep(kept: string[], storeId: string, key: string, log: Logger | undefined): void {
  kept.push(key);
  log?.warn('provml demo: the store already holds a different item under a demo key; kept it, not overwritten', {
    store: storeId,
    key,
  });
}

type Env = Readonly<Record<string, string | undefined>>;

const secret = (entry: StoreEntry, field: string, env: Env) => {
  const name = entry.secretsFromEnv[field];
  return name ? env[name] : undefined;
};

async function demoFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  for (const d of await readdir(root, { withFileTypes: true, recursive: true })) {
    if (d.isFile()) out.push('/' + path.relative(root, path.join(d.parentPath, d.name)).split(path.sep).join('/'));
  }
  return out.sort();
}

async function loadSparql(entry: StoreEntry, env: Env, dir: string): Promise<number> {
  const store = new oxigraph.Store();
  store.load(await readFile(path.join(dir, 'knowledge/netherlands.ttl'), 'utf8'), { format: 'text/turtle' });
  const triples = store.dump({ format: 'application/n-triples', from_graph_name: oxigraph.defaultGraph() });
  const graph = (entry.options.graphs as string[] | undefined)?.[0];
  const update = graph ? `INSERT DATA { GRAPH <${graph}> {\n${triples}} }` : `INSERT DATA {\n${triples}}`;
  const user = secret(entry, 'user', env);
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (user) headers.authorization = 'Basic ' + Buffer.from(`${user}:${secret(entry, 'password', env) ?? ''}`).toString('base64');
  const url = (entry.options.updateUrl as string | undefined) ?? entry.endpoint!;
  const res = await fetch(url, {
    method: 'POST',
    headers,
    body: new URLSearchParams({ update }).toString(),
    signal: AbortSignal.timeout(entry.timeoutMs),
  });
  if (!res.ok) throw new Error(`store ${entry.id}: SPARQL update failed with HTTP ${res.status}`);
  return store.size;
}

async function loadMongo(entry: StoreEntry, env: Env, dir: string, kept: string[], log?: Logger): Promise<number> {
  const url = secret(entry, 'url', env) ?? entry.endpoint!;
  const client = new MongoClient(url, { serverSelectionTimeoutMS: entry.timeoutMs });
  try {
    const collection = client
      .db(entry.options.database as string)
      .collection<{ _id: string }>(entry.options.collection as string);
    const geometryField = (entry.options.geometryField as string | undefined) ?? 'geometry';
    let n = 0;
    for (const f of (await readdir(path.join(dir, 'documents'))).filter((f) => /\.(geo)?json$/.test(f)).sort()) {
      const doc = JSON.parse(await readFile(path.join(dir, 'documents', f), 'utf8')) as {
        id?: string;
        type?: string;
        features?: unknown[];
      };
      const features = (doc.type === 'FeatureCollection' ? doc.features! : [doc]) as Array<{ id?: string }>;
      for (const [i, feature] of features.entries()) {
        const id = feature.id ?? `${f}#${i}`;
        const doc = { ...feature, _id: id };
        // Insert only where the id is free (an upsert that only sets on insert; the _id comes
        // from the filter): never a replace.
        const fields: Record<string, unknown> = { ...feature };
        delete fields._id;
        const r = await collection.updateOne({ _id: id }, { $setOnInsert: fields }, { upsert: true });
        if (r.upsertedCount === 0) {
          const existing = await collection.findOne({ _id: id });
          if (!isDeepStrictEqual(canonical(existing), canonical(doc))) {
            keep(kept, entry.id, id, log);
            continue;
          }
        }
        n++;
      }
    }
    await collection.createIndex({ [geometryField]: '2dsphere' });
    return n;
  } finally {
    await client.close();
  }
}

/** A document as plain JSON with its keys sorted: what a comparison of two documents looks at. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    );
  return value;
}

/** The object's bytes, or null when the key holds none. */
async function s3Bytes(client: S3Client, bucket: string, key: string): Promise<Buffer | null> {
  try {
    const res = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return Buffer.from(await res.Body!.transformToByteArray());
  } catch (err) {
    const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
    if (e.name === 'NoSuchKey' || e.name === 'NotFound' || e.$metadata?.httpStatusCode === 404) return null;
    throw err;
  }
}

async function loadS3(
  entry: StoreEntry,
  env: Env,
  dir: string,
  registry: StoreRegistry,
  kept: string[],
  log?: Logger,
): Promise<number> {
  const accessKeyId = secret(entry, 'accessKeyId', env);
  const client = new S3Client({
    endpoint: entry.endpoint,
    region: (entry.options.region as string | undefined) ?? 'us-east-1',
    forcePathStyle: (entry.options.forcePathStyle as boolean | undefined) ?? true,
    ...(accessKeyId
      ? {
          credentials: {
            accessKeyId,
            secretAccessKey: secret(entry, 'secretAccessKey', env) ?? '',
            sessionToken: secret(entry, 'sessionToken', env),
          },
        }
      : {}),
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  try {
    const files = await demoFiles(path.join(dir, 'objects'));
    let n = 0;
    for (const uri of files) {
      const key = registry.keyFor(entry.id, uri);
      const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(key);
      if (!m) throw new Error(`store ${entry.id}: uriMap must turn ${uri} into s3://bucket/key (got ${key})`);
      const body = await readFile(path.join(dir, 'objects', uri));
      const existing = await s3Bytes(client, m[1], m[2]);
      if (existing !== null) {
        if (existing.equals(body)) n++;
        else keep(kept, entry.id, key, log);
        continue;
      }
      const put = (ifNoneMatch: boolean) =>
        client.send(
          new PutObjectCommand({
            Bucket: m[1],
            Key: m[2],
            Body: body,
            Metadata: { 'provml-demo': 'true' },
            // S3 itself refuses a key written since the check (412), where the server supports it.
            ...(ifNoneMatch ? { IfNoneMatch: '*' } : {}),
          }),
        );
      try {
        await put(true);
      } catch (err) {
        const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
        if (e.$metadata?.httpStatusCode === 412) {
          keep(kept, entry.id, key, log);
          continue;
        }
        if (e.$metadata?.httpStatusCode !== 501 && e.name !== 'NotImplemented') throw err;
        await put(false); // an S3-compatible server without conditional writes
      }
      n++;
    }
    return n;
  } finally {
    client.destroy();
  }
}

async function loadFs(entry: StoreEntry, dir: string, registry: StoreRegistry, kept: string[], log?: Logger): Promise<number> {
  const root = path.resolve(registry.baseDir, entry.options.root as string);
  const from = path.join(dir, 'objects');
  if (root === path.resolve(from)) return 0;
  const files = await demoFiles(from);
  let n = 0;
  for (const uri of files) {
    const target = path.join(root, registry.keyFor(entry.id, uri));
    await mkdir(path.dirname(target), { recursive: true });
    // COPYFILE_EXCL: a file already there (or written meanwhile) is never replaced.
    const copied = await copyFile(path.join(from, uri), target, fsConstants.COPYFILE_EXCL).then(
      () => true,
      (err: NodeJS.ErrnoException) => {
        if (err.code !== 'EEXIST') throw err;
        return false;
      },
    );
    if (!copied && !(await readFile(target)).equals(await readFile(path.join(from, uri)))) {
      keep(kept, entry.id, target, log);
      continue;
    }
    n++;
  }
  return n;
}

export async function loadDemoStores(
  registry: StoreRegistry,
  options: { env: Env; log?: Logger; examplesDir?: string },
): Promise<DemoStoreLoad[]> {
  const dir = options.examplesDir ?? EXAMPLES_STORES_DIR;
  const out: DemoStoreLoad[] = [];
  for (const store of registry.stores) {
    const entry = registry.entryOf(store.id)!;
    let r: DemoStoreLoad | null = null;
    const kept: string[] = [];
    const log = options.log;
    const base = { store: store.id, kind: store.kind, kept };
    if (store.kind === 'sparql' && store.backend === 'sparql-http')
      r = { ...base, loaded: await loadSparql(entry, options.env, dir), what: 'triples' };
    else if (store.kind === 'mongodb' && store.backend === 'mongodb')
      r = { ...base, loaded: await loadMongo(entry, options.env, dir, kept, log), what: 'documents' };
    else if (store.kind === 's3')
      r = { ...base, loaded: await loadS3(entry, options.env, dir, registry, kept, log), what: 'objects' };
    else if (store.kind === 'fs') r = { ...base, loaded: await loadFs(entry, dir, registry, kept, log), what: 'files' };
    if (r) {
      options.log?.info('demo data loaded', { ...r });
      out.push(r);
    }
  }
  return out;
}
