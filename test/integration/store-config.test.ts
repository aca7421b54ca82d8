import { PutObjectCommand } from '@aws-sdk/client-s3';
import path from 'node:path';
import { createStore, parseStoreEntry, StoreConfigError, type CreatedStore } from '../../src/connectors/store-config';
import { startS3rver, type S3rverServer } from '../helpers/s3rver';

const examples = path.join(__dirname, '../../examples/stores');
const SGY = 'http://ibm.com/netherlands.sgy';

describe('createStore', () => {
  let s3: S3rverServer;
  const made: CreatedStore[] = [];
  beforeAll(async () => {
    s3 = await startS3rver(['seismic']);
    await s3.client.send(new PutObjectCommand({ Bucket: 'seismic', Key: 'netherlands.sgy', Body: Buffer.alloc(3600) }));
  });
  afterAll(async () => {
    await Promise.all(made.map((m) => m.close()));
    await s3?.stop();
  });
  const build = async (...args: Parameters<typeof createStore>) => {
    const store = await createStore(...args);
    made.push(store);
    return store;
  };

  it('builds the embedded backends from the demo files, relative to the config folder', async () => {
    const kg = await build(
      { id: 'kg', kind: 'sparql', options: { files: ['knowledge/netherlands.ttl'] } },
      {},
      { baseDir: examples },
    );
    expect(kg.kind === 'sparql' && kg.backend).toBe('oxigraph');
    const [d] = kg.kind === 'sparql' ? await kg.knowledge.describe([SGY]) : [];
    expect(d).toMatchObject({ uri: SGY });

    const docs = await build({ id: 'docs', kind: 'mongodb', options: { directory: 'documents' } }, {}, { baseDir: examples });
    const [doc] = docs.kind === 'mongodb' ? await docs.documents.findByUris(['/data/netherlands.sgy']) : [];
    expect(doc).toMatchObject({ properties: { field: 'F3 block' } });

    const fs = await build(
      { id: 'files', kind: 'fs', options: { root: 'documents', paths: 'rooted' } },
      {},
      { baseDir: examples },
    );
    const [meta] = fs.kind === 'fs' ? await fs.objects.stat(['/netherlands.geojson']) : [];
    expect(meta).toMatchObject({ contentType: 'application/geo+json' });
  });

  it('builds server backends, taking secrets only from the env map it is given', async () => {
    const entry = {
      id: 'objects',
      kind: 's3' as const,
      endpoint: s3.endpoint,
      options: { bucket: 'seismic' },
      secretsFromEnv: { accessKeyId: 'TEST_S3_KEY', secretAccessKey: 'TEST_S3_SECRET' },
    };
    const store = await build(entry, { TEST_S3_KEY: 'S3RVER', TEST_S3_SECRET: 'S3RVER' });
    const [meta] = store.kind === 's3' ? await store.objects.stat(['s3://seismic/netherlands.sgy']) : [];
    expect(meta).toMatchObject({ size: 3600 });

    const kg = await build({ id: 'kg-remote', kind: 'sparql', endpoint: 'http://127.0.0.1:1/sparql' }, {});
    expect(kg.kind === 'sparql' && kg.backend).toBe('sparql-http');
    const mongo = await build(
      {
        id: 'docs-remote',
        kind: 'mongodb',
        endpoint: 'mongodb://127.0.0.1:1',
        options: { database: 'geo', collection: 'cubes' },
      },
      {},
    );
    expect(mongo.kind === 'mongodb' && mongo.backend).toBe('mongodb');
    const gql = await build(
      {
        id: 'wells',
        kind: 'graphql',
        endpoint: 'http://127.0.0.1:1/graphql',
        options: { mergeKey: 'uri' },
        secretsFromEnv: { authorization: 'WELLS_TOKEN' },
      },
      { WELLS_TOKEN: 'Bearer t' },
    );
    expect(gql).toMatchObject({ kind: 'graphql', headers: { authorization: 'Bearer t' }, options: { mergeKey: 'uri' } });
  });

  it('reports every problem of an entry together, naming fields and variables, never secret values', async () => {
    const err = await createStore(
      {
        id: 'objects',
        kind: 's3',
        options: { region: 5, bucket: 'b' },
        secretsFromEnv: { accessKeyId: 'MISSING_KEY', password: 'SOME_VAR' },
      },
      { SOME_VAR: 'hunter2' },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreConfigError);
    const issues = (err as StoreConfigError).issues.join('\n');
    expect(issues).toMatch(/options\.region/);
    expect(issues).toMatch(/secretsFromEnv\.accessKeyId: environment variable MISSING_KEY is not set/);
    expect(issues).toMatch(/secretsFromEnv\.password: not a secret of a s3 store/);
    expect(issues).not.toMatch(/hunter2/);

    expect(() => parseStoreEntry({ id: '1bad', kind: 'ftp', extra: true })).toThrow(StoreConfigError);
    await expect(
      createStore({ id: 'kg', kind: 'sparql', endpoint: 'http://x/sparql', options: { files: ['a.ttl'] } }, {}),
    ).rejects.toThrow(/either endpoint/);
    await expect(createStore({ id: 'kg', kind: 'sparql', endpoint: 'ftp://x' }, {})).rejects.toThrow(/endpoint: must be an http/);
    await expect(
      createStore({ id: 'docs', kind: 'mongodb', options: { directory: 'd', keyField: '$where' } }, {}, { baseDir: examples }),
    ).rejects.toThrow(/options\.keyField/);
  });
});
