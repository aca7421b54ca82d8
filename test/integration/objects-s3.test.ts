import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import net from 'node:net';
import { S3ObjectStore } from '../../src/connectors/objects/s3-object-store';
import { BadUserInputError, StoreTimeoutError, StoreUnavailableError } from '../../src/errors';
import { S3RVER_CREDENTIALS, startS3rver, type S3rverServer } from '../helpers/s3rver';
import { freePort } from '../helpers/virtuoso';
import { objectStoreContract } from './objects-store.contract';

const BUCKET = 'provml-objects';

objectStoreContract('S3 (s3rver)', async () => {
  const server = await startS3rver([BUCKET]);
  return {
    async put(key, body, options = {}) {
      await server.client.send(
        new PutObjectCommand({
          Bucket: BUCKET,
          Key: key,
          Body: body,
          ContentType: options.contentType,
          Metadata: options.metadata,
        }),
      );
      return `s3://${BUCKET}/${key}`;
    },
    uriFor: (key) => `s3://${BUCKET}/${key}`,
    create: (options) => new S3ObjectStore(server.client, { id: 'objects-s3', ...options }),
    keeps: { userMetadata: true, presign: true },
    stop: () => server.stop(),
  };
});

describe('S3ObjectStore confinement and failures', () => {
  let server: S3rverServer;
  beforeAll(async () => {
    server = await startS3rver([BUCKET, 'other-bucket']);
    await server.client.send(new PutObjectCommand({ Bucket: 'other-bucket', Key: 'x', Body: 'x' }));
    await server.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'models/m.hdf5', Body: 'm' }));
  });
  afterAll(() => server?.stop());

  const clientFor = (endpoint: string) =>
    new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: S3RVER_CREDENTIALS, maxAttempts: 1 });

  it('refuses other buckets and keys outside the prefix as path escapes', async () => {
    const store = new S3ObjectStore(server.client, { id: 's3', bucket: BUCKET, prefix: 'models/' });
    const out = await store.stat([
      `s3://other-bucket/x`,
      `s3://${BUCKET}/data/x`,
      `s3://${BUCKET}/models/m.hdf5`,
      's3://Bad_Bucket/x',
    ]);
    expect(out[0]).toMatchObject({ extensions: { code: 'FORBIDDEN_LOCATION', field: 'uri', reason: 'path-escape' } });
    expect(out[1]).toMatchObject({ extensions: { reason: 'path-escape' } });
    expect(out[2]).toMatchObject({ size: 1 });
    expect(out[3]).toBeInstanceOf(BadUserInputError);
  });

  it('gives StoreUnavailableError with the store id when nothing listens', async () => {
    const store = new S3ObjectStore(clientFor(`http://127.0.0.1:${await freePort()}`), { id: 's3-down', timeoutMs: 3000 });
    const [slot] = await store.stat([`s3://${BUCKET}/models/m.hdf5`]);
    expect(slot).toBeInstanceOf(StoreUnavailableError);
    expect((slot as StoreUnavailableError).extensions).toMatchObject({ store: 's3-down' });
    await expect(store.readRange(`s3://${BUCKET}/models/m.hdf5`, 0, 1)).rejects.toBeInstanceOf(StoreUnavailableError);
  });

  it('gives StoreTimeoutError when the server accepts but never answers', async () => {
    const sockets: net.Socket[] = [];
    const silent = net.createServer((s) => sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    try {
      const { port } = silent.address() as net.AddressInfo;
      const store = new S3ObjectStore(clientFor(`http://127.0.0.1:${port}`), { id: 's3-slow', timeoutMs: 500 });
      const started = Date.now();
      const [slot] = await store.stat([`s3://${BUCKET}/models/m.hdf5`]);
      expect(slot).toBeInstanceOf(StoreTimeoutError);
      expect((slot as StoreTimeoutError).extensions).toMatchObject({ store: 's3-slow', timeoutMs: 500 });
      expect(Date.now() - started).toBeLessThan(2500);
      await store.close();
    } finally {
      sockets.forEach((s) => s.destroy());
      await new Promise((r) => silent.close(r));
    }
  });
});
