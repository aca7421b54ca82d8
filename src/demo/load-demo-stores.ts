import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { MongoClient } from 'mongodb';
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
 */
export interface DemoStoreLoad {
  store: string;
  kind: string;
  loaded: number;
  what: string;
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

async function loadMongo(entry: StoreEntry, env: Env, dir: string): Promise<number> {
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
        await collection.replaceOne({ _id: id }, { ...feature, _id: id }, { upsert: true });
        n++;
      }
    }
    await collection.createIndex({ [geometryField]: '2dsphere' });
    return n;
  } finally {
    await client.close();
  }
}

async function loadS3(entry: StoreEntry, env: Env, dir: string, registry: StoreRegistry): Promise<number> {
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
    for (const uri of files) {
      const key = registry.keyFor(entry.id, uri);
      const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(key);
      if (!m) throw new Error(`store ${entry.id}: uriMap must turn ${uri} into s3://bucket/key (got ${key})`);
      await client.send(
        new PutObjectCommand({
          Bucket: m[1],
          Key: m[2],
          Body: await readFile(path.join(dir, 'objects', uri)),
          Metadata: { 'provml-demo': 'true' },
        }),
      );
    }
    return files.length;
  } finally {
    client.destroy();
  }
}

async function loadFs(entry: StoreEntry, dir: string, registry: StoreRegistry): Promise<number> {
  const root = path.resolve(registry.baseDir, entry.options.root as string);
  const from = path.join(dir, 'objects');
  if (root === path.resolve(from)) return 0;
  const files = await demoFiles(from);
  for (const uri of files) {
    const target = path.join(root, registry.keyFor(entry.id, uri));
    await mkdir(path.dirname(target), { recursive: true });
    await copyFile(path.join(from, uri), target);
  }
  return files.length;
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
    if (store.kind === 'sparql' && store.backend === 'sparql-http')
      r = { store: store.id, kind: store.kind, loaded: await loadSparql(entry, options.env, dir), what: 'triples' };
    else if (store.kind === 'mongodb' && store.backend === 'mongodb')
      r = { store: store.id, kind: store.kind, loaded: await loadMongo(entry, options.env, dir), what: 'documents' };
    else if (store.kind === 's3')
      r = { store: store.id, kind: store.kind, loaded: await loadS3(entry, options.env, dir, registry), what: 'objects' };
    else if (store.kind === 'fs')
      r = { store: store.id, kind: store.kind, loaded: await loadFs(entry, dir, registry), what: 'files' };
    if (r) {
      options.log?.info('demo data loaded', { ...r });
      out.push(r);
    }
  }
  return out;
}
