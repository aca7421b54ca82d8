import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { EXAMPLES_STORES_DIR, openRegistry, type StoreRegistry } from '../../src/connectors/store-registry';
import { loadDemoStores } from '../../src/demo/load-demo-stores';
import { createLogger } from '../../src/logger';
import { mongoAvailability } from '../helpers/mongodb';
import { S3RVER_CREDENTIALS, startS3rver, type S3rverServer } from '../helpers/s3rver';

// `provml demo` into the user's own stores (a real file root, a real S3 server): an object the
// user has under a demo key is never overwritten; the same content counts as loaded.
const mongo = mongoAvailability();
if (mongo.kind === 'none') console.warn(`demo-user-stores: the MongoDB case is not run here: ${mongo.reason}`);

const OBJECTS = path.join(EXAMPLES_STORES_DIR, 'objects');
const BUCKET = 'users-bucket';

describe('provml demo never overwrites what the user has in their stores', () => {
  let s3: S3rverServer;
  let root: string;
  let registry: StoreRegistry;
  const warnings: Array<{ msg: string; key?: string }> = [];
  const log = createLogger('warn', {}, (line) => warnings.push(JSON.parse(line) as { msg: string; key?: string }));

  beforeAll(async () => {
    s3 = await startS3rver([BUCKET]);
    root = await fsp.mkdtemp(path.join(os.tmpdir(), 'provml-demo-root-'));
    registry = await openRegistry(
      {
        stores: [
          { id: 'files', kind: 'fs', options: { root } },
          {
            id: 'bucket',
            kind: 's3',
            endpoint: s3.endpoint,
            options: { bucket: BUCKET },
            timeoutMs: 3000,
            secretsFromEnv: { accessKeyId: 'K', secretAccessKey: 'S' },
            uriMap: { '/': `s3://${BUCKET}/` },
          },
        ],
      },
      { env: { K: S3RVER_CREDENTIALS.accessKeyId, S: S3RVER_CREDENTIALS.secretAccessKey }, baseDir: root },
    );
  });
  afterAll(async () => {
    await registry?.close();
    await s3?.stop();
    await fsp.rm(root, { recursive: true, force: true });
  });

  it('keeps a different same-key object (file root and S3), warns naming it, loads the rest', async () => {
    // The user's own data under two demo keys, and one identical copy of a demo file.
    await fsp.mkdir(path.join(root, 'input'), { recursive: true });
    await fsp.writeFile(path.join(root, 'input/train.hdf5'), 'the user training set');
    await fsp.mkdir(path.join(root, 'data'), { recursive: true });
    await fsp.copyFile(path.join(OBJECTS, 'data/netherlands.sgy'), path.join(root, 'data/netherlands.sgy'));
    await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'models/model188.hdf5', Body: 'the user model' }));

    const loads = await loadDemoStores(registry, {
      env: { K: S3RVER_CREDENTIALS.accessKeyId, S: S3RVER_CREDENTIALS.secretAccessKey },
      log,
    });
    const files = loads.find((l) => l.store === 'files')!;
    const bucket = loads.find((l) => l.store === 'bucket')!;
    expect(files).toMatchObject({ loaded: 4, kept: [path.join(root, 'input/train.hdf5')] });
    expect(bucket).toMatchObject({ loaded: 4, kept: ['s3://users-bucket/models/model188.hdf5'] });
    expect(fs.readFileSync(path.join(root, 'input/train.hdf5'), 'utf8')).toBe('the user training set');
    const model = await s3.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'models/model188.hdf5' }));
    expect(await model.Body!.transformToString()).toBe('the user model');
    // The rest is the demo's.
    expect(
      fs.readFileSync(path.join(root, 'input/test.hdf5')).equals(fs.readFileSync(path.join(OBJECTS, 'input/test.hdf5'))),
    ).toBe(true);
    const kept = warnings.filter((w) => w.msg.includes('kept it, not overwritten')).map((w) => w.key);
    expect(kept.sort()).toEqual([path.join(root, 'input/train.hdf5'), 's3://users-bucket/models/model188.hdf5'].sort());

    // A second run changes nothing and says the same.
    const again = await loadDemoStores(registry, {
      env: { K: S3RVER_CREDENTIALS.accessKeyId, S: S3RVER_CREDENTIALS.secretAccessKey },
    });
    expect(again.map((l) => [l.store, l.loaded, l.kept.length])).toEqual([
      ['files', 4, 1],
      ['bucket', 4, 1],
    ]);
    expect(fs.readFileSync(path.join(root, 'input/train.hdf5'), 'utf8')).toBe('the user training set');
  });
});
