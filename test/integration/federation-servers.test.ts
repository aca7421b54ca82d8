import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import fs from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import S3rver from 's3rver';
import { EXAMPLES_STORES_DIR, openRegistry, type RegistryFile, type StoreRegistry } from '../../src/connectors/store-registry';
import { DEMO } from '../../src/demo/demo-events';
import { loadDemoStores } from '../../src/demo/load-demo-stores';
import { countStoreCalls, createFederationApp, readExample, type FederationApp, type GqlResult } from '../gateway/federation-app';
import { mongoAvailability, startMongo, type MongoTestServer } from '../helpers/mongodb';
import { S3RVER_CREDENTIALS } from '../helpers/s3rver';
import { startVirtuoso, virtuosoAvailable, type VirtuosoServer } from '../helpers/virtuoso';

// The gateway over the SERVER backends: a real Virtuoso (SPARQL over HTTP) and a real S3 server
// (s3rver), loaded by the same code as `provml demo`; MongoDB where one can be reached, else the
// GeoJSON directory. Then the stores are stopped under the gateway, one at a time.
const BUCKET = 'provml-demo';
const GRAPH = 'http://provml.dev/graph/demo';
const mongo = mongoAvailability();
if (mongo.kind === 'none')
  console.warn(`federation-servers: MongoDB part runs on the GeoJSON directory instead: ${mongo.reason}`);

type Q6 = {
  dataReference: {
    wasDerivedFrom: Array<{
      uri: string;
      object: { size: string } | null;
      knowledge: { basin: string; field: string; wells: string[] } | null;
      document: { geometry: { type: string } } | null;
    }>;
  };
};

async function startS3(dir: string, port = 0): Promise<{ server: S3rver; port: number }> {
  const server = new S3rver({
    address: '127.0.0.1',
    port,
    silent: true,
    directory: dir,
    configureBuckets: [{ name: BUCKET, configs: [] }],
  });
  const address = (await server.run()) as AddressInfo;
  return { server, port: address.port };
}

const haveVirtuoso = virtuosoAvailable();

describe('federation over Virtuoso and s3rver', () => {
  let virtuoso: VirtuosoServer;
  let s3: { server: S3rver; port: number };
  let s3dir: string;
  let mongoServer: MongoTestServer | undefined;
  let registry: StoreRegistry;
  let app: FederationApp;
  let skip = false;

  beforeAll(async () => {
    if (!(await haveVirtuoso)) {
      skip = true;
      console.warn('federation-servers: SKIPPED, virtuoso-t is not installed (apt-get install -y virtuoso-opensource)');
      return;
    }
    virtuoso = await startVirtuoso();
    s3dir = await mkdtemp(path.join(os.tmpdir(), 'provml-fed-s3-'));
    s3 = await startS3(s3dir);
    if (mongo.kind !== 'none') mongoServer = await startMongo(mongo);
    const file: RegistryFile = {
      stores: [
        {
          id: 'knowledge',
          kind: 'sparql',
          endpoint: virtuoso.sparqlUrl,
          options: { graphs: [GRAPH] },
          timeoutMs: 1500,
          uriMap: { '/data/': 'http://ibm.com/' },
        },
        mongoServer
          ? {
              id: 'documents',
              kind: 'mongodb',
              options: { database: mongoServer.dbName, collection: 'cubes' },
              secretsFromEnv: { url: 'TEST_MONGO_URL' },
              timeoutMs: 3000,
            }
          : { id: 'documents', kind: 'mongodb', options: { directory: 'documents' } },
        {
          id: 'fs',
          kind: 's3',
          endpoint: `http://127.0.0.1:${s3.port}`,
          options: { bucket: BUCKET },
          timeoutMs: 1500,
          secretsFromEnv: { accessKeyId: 'TEST_S3_KEY', secretAccessKey: 'TEST_S3_SECRET' },
          uriMap: { '/': `s3://${BUCKET}/` },
        },
      ],
    };
    const env = {
      TEST_S3_KEY: S3RVER_CREDENTIALS.accessKeyId,
      TEST_S3_SECRET: S3RVER_CREDENTIALS.secretAccessKey,
      TEST_MONGO_URL: mongoServer?.url,
    };
    registry = await openRegistry(file, { env, baseDir: EXAMPLES_STORES_DIR });
    const loads = await loadDemoStores(registry, { env });
    expect(loads.find((l) => l.store === 'fs')).toMatchObject({ loaded: 5, what: 'objects' });
    expect(loads.find((l) => l.store === 'knowledge')!.loaded).toBeGreaterThan(20);
    // Loading twice changes nothing (the demo command is idempotent).
    await loadDemoStores(registry, { env });
    app = await createFederationApp(registry);
  }, 240_000); // Virtuoso (up to 150 s on a loaded machine), s3rver, MongoDB, then the demo loaded twice
  afterAll(async () => {
    await app?.close();
    await registry?.close();
    await virtuoso?.stop();
    await s3?.server.close();
    await mongoServer?.stop();
    if (s3dir) await rm(s3dir, { recursive: true, force: true });
  });

  const q6 = async () => {
    const { query, variables } = await readExample('q6');
    return app.run<Q6>(query, variables);
  };
  const rawOf = (res: GqlResult<Q6>) => res.data!.dataReference.wasDerivedFrom[0];

  it('answers Q1, Q6 and the model card from the server stores', async () => {
    if (skip) return;
    const sgy = fs.statSync(path.join(EXAMPLES_STORES_DIR, 'objects/data/netherlands.sgy')).size;
    const res = await q6();
    expect(res.errors).toBeUndefined();
    const raw = rawOf(res);
    expect(raw.uri).toBe(DEMO.rawFile);
    expect(raw.object?.size).toBe(String(sgy));
    expect(raw.knowledge).toMatchObject({ basin: 'Southern North Sea', field: 'F3 block' });
    expect([...raw.knowledge!.wells].sort()).toEqual(['F02-1', 'F03-2', 'F03-4', 'F06-1']);
    expect(raw.document?.geometry.type).toBe('Polygon');

    const q1 = await readExample('q1');
    const r1 = await app.run<{
      model: {
        datasets: Array<{ dataReference: { wasDerivedFrom: Array<{ knowledge: { inlineMin: string; inlineMax: string } }> } }>;
      };
    }>(q1.query, q1.variables);
    expect(r1.errors).toBeUndefined();
    expect(r1.data!.model.datasets[0].dataReference.wasDerivedFrom[0].knowledge).toMatchObject({
      inlineMin: '100',
      inlineMax: '750',
    });

    const card = await readExample('model-card');
    const rc = await app.run<{ model: { reference: { object: { size: string; etag: string } } } }>(card.query, card.variables);
    expect(rc.errors).toBeUndefined();
    // The ETag is the server's own: compared with a HEAD made here, outside the gateway.
    const client = new S3Client({
      endpoint: `http://127.0.0.1:${s3.port}`,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: S3RVER_CREDENTIALS,
    });
    const head = await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'models/model188.hdf5' }));
    client.destroy();
    expect(rc.data!.model.reference.object.size).toBe(String(head.ContentLength));
    expect(rc.data!.model.reference.object.etag).toBe(head.ETag!.replace(/"/g, ''));
  });

  it('costs one connector call per store per level against the servers', async () => {
    if (skip) return;
    const counter = countStoreCalls(registry);
    const res = await app.run(
      `{ dataReferences(filter: { uriPrefix: "/input/" }) { nodes { object { size } wasDerivedFrom { object { size } knowledge { iri } document { id } } } } }`,
    );
    expect(res.errors).toBeUndefined();
    expect(Object.fromEntries(counter.calls)).toEqual({ fs: 2, knowledge: 1, documents: 1 });
  });

  it('answers the spatial question from the server document store (MongoDB $geoIntersects where reachable)', async () => {
    if (skip) return;
    const spatial = `query($g: JSON!) { modelsTrainedOnArea(geometry: $g) { reference { uri } } }`;
    const inF3 = {
      type: 'Polygon',
      coordinates: [
        [
          [4.7, 54.88],
          [4.75, 54.88],
          [4.75, 54.92],
          [4.7, 54.92],
          [4.7, 54.88],
        ],
      ],
    };
    const hit = await app.run<{ modelsTrainedOnArea: Array<{ reference: { uri: string } }> }>(spatial, { g: inF3 });
    expect(hit.errors).toBeUndefined();
    const uris = hit.data!.modelsTrainedOnArea.map((m) => m.reference.uri);
    expect(uris).toContain(DEMO.bestModel);
    // Every model of the demo's trainings (all used the F3 training set), as `models` lists them.
    const all = await app.run<{ models: { nodes: Array<{ reference: { uri: string } }> } }>(
      `{ models(first: 100) { nodes { reference { uri } } } }`,
    );
    expect([...uris].sort()).toEqual(all.data!.models.nodes.map((m) => m.reference.uri).sort());
    const miss = await app.run<{ modelsTrainedOnArea: unknown[] }>(spatial, { g: { type: 'Point', coordinates: [-60, 10] } });
    expect(miss.errors).toBeUndefined();
    expect(miss.data!.modelsTrainedOnArea).toEqual([]);
  });

  it('a stopped Virtuoso costs only the knowledge fields (STORE_TIMEOUT), and is used again once it resumes', async () => {
    if (skip) return;
    await virtuoso.signal('SIGSTOP');
    let res: GqlResult<Q6>;
    const started = Date.now();
    try {
      res = await q6();
    } finally {
      await virtuoso.signal('SIGCONT');
    }
    expect(Date.now() - started).toBeLessThan(5000);
    const raw = rawOf(res);
    expect(raw.knowledge).toBeNull();
    expect(raw.object?.size).toBeDefined();
    expect(raw.document?.geometry.type).toBe('Polygon');
    expect(res.errors).toHaveLength(1);
    expect(res.errors![0].path).toEqual(['dataReference', 'wasDerivedFrom', 0, 'knowledge']);
    expect(res.errors![0].extensions).toMatchObject({ code: 'STORE_TIMEOUT', store: 'knowledge' });

    const healed = await q6();
    expect(healed.errors).toBeUndefined();
    expect(rawOf(healed).knowledge?.basin).toBe('Southern North Sea');
  });

  it('a stopped S3 server costs only the object fields (STORE_UNAVAILABLE), and is used again once it is back', async () => {
    if (skip) return;
    await s3.server.close();
    const res = await q6();
    const raw = rawOf(res);
    expect(raw.object).toBeNull();
    expect(raw.knowledge?.basin).toBe('Southern North Sea');
    expect(res.errors).toHaveLength(1);
    expect(res.errors![0].path).toEqual(['dataReference', 'wasDerivedFrom', 0, 'object']);
    expect(res.errors![0].extensions).toMatchObject({ code: 'STORE_UNAVAILABLE', store: 'fs' });
    expect(JSON.stringify(res.errors)).not.toContain(S3RVER_CREDENTIALS.secretAccessKey + '@');

    s3 = await startS3(s3dir, s3.port); // same port and data directory: the store "comes back"
    const healed = await q6();
    expect(healed.errors).toBeUndefined();
    expect(rawOf(healed).object?.size).toBeDefined();
  });

  it('a killed Virtuoso gives STORE_UNAVAILABLE at the knowledge fields only', async () => {
    if (skip) return;
    await virtuoso.kill();
    const res = await q6();
    expect(rawOf(res).knowledge).toBeNull();
    expect(rawOf(res).object?.size).toBeDefined();
    expect(res.errors!.map((e) => [e.extensions?.code, e.extensions?.store])).toEqual([['STORE_UNAVAILABLE', 'knowledge']]);
  });
});
