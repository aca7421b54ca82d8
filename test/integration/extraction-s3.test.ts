/**
 * Extraction at ingest from a real S3 server (s3rver on loopback) through the registry's s3
 * store: ranged reads of the headers only; a missing object fails its job with a typed error
 * after its retries, never the batch.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import fs from 'node:fs';
import path from 'node:path';
import { EXAMPLES_STORES_DIR, openRegistry, type StoreRegistry } from '../../src/connectors/store-registry';
import { parseWorkflowSpec, specHash } from '../../src/ingest/workflow-spec';
import { startS3rver, S3RVER_CREDENTIALS, type S3rverServer } from '../helpers/s3rver';
import { CURATION_SPEC, createExtractionApp, curationEvents, type ExtractionApp } from './extraction-app';

const SGY = fs.readFileSync(path.join(EXAMPLES_STORES_DIR, 'objects/data/netherlands.sgy'));
type Named = { name: string; value: unknown };

describe('extraction at ingest from S3 (s3rver)', () => {
  let s3: S3rverServer;
  let registry: StoreRegistry;
  let app: ExtractionApp;
  const requests: Array<{ range?: string }> = [];

  beforeAll(async () => {
    s3 = await startS3rver(['seismic']);
    await s3.client.send(new PutObjectCommand({ Bucket: 'seismic', Key: 'f3/netherlands.sgy', Body: SGY }));
    registry = await openRegistry(
      {
        stores: [
          {
            id: 's3',
            kind: 's3',
            endpoint: s3.endpoint,
            options: { bucket: 'seismic' },
            secretsFromEnv: { accessKeyId: 'T_S3_KEY', secretAccessKey: 'T_S3_SECRET' },
          },
        ],
      },
      { env: { T_S3_KEY: S3RVER_CREDENTIALS.accessKeyId, T_S3_SECRET: S3RVER_CREDENTIALS.secretAccessKey }, baseDir: __dirname },
    );
    // Count the GETs the store sends (the SDK's middleware sees every real request).
    const store = registry.get('s3');
    if (store?.kind !== 's3') throw new Error('no s3 store');
    const client = (store.objects as unknown as { client: { middlewareStack: { add: (...a: unknown[]) => void } } }).client;
    client.middlewareStack.add(
      (next: (a: unknown) => Promise<unknown>) => async (args: { input?: { Range?: string }; request?: unknown }) => {
        if (args.input && 'Range' in args.input) requests.push({ range: args.input.Range });
        return next(args);
      },
      { step: 'initialize' },
    );
    app = await createExtractionApp(registry);
    const spec = parseWorkflowSpec(CURATION_SPEC);
    await app.deps.store.registerWorkflow(spec, specHash(spec));
  });
  afterAll(async () => {
    await app?.close();
    await registry?.close();
    await s3?.stop();
  });

  it('reads the headers with ranged GETs and records what they cost', async () => {
    await app.ingest(
      curationEvents('s1', [
        { $ref: 's3://seismic/f3/netherlands.sgy', store: 's3', extract: { fast: true } },
        { $ref: 's3://seismic/f3/missing.sgy', store: 's3', extract: true },
      ]),
    );
    const worker = app.startWorker({ maxAttempts: 2, backoffMs: 20 });
    await worker.drain();
    // The missing object's retry is due after its backoff: drain once more.
    await new Promise((r) => setTimeout(r, 100));
    await worker.drain();
    await worker.stop();

    type Res = {
      dataReference: {
        extraction: {
          status: string;
          attempts: number;
          bytesRead: string;
          error: { code: string; message: string } | null;
          characteristics: Named[] | null;
        };
      };
    };
    const ok = await app.run<Res>(
      `{ dataReference(uri: "s3://seismic/f3/netherlands.sgy") { extraction { status attempts bytesRead error { code message } characteristics { name value } } } }`,
    );
    expect(ok.errors).toBeUndefined();
    const job = ok.data!.dataReference.extraction;
    expect(job).toMatchObject({ status: 'DONE', attempts: 1, error: null });
    const c = Object.fromEntries(job.characteristics!.map((x) => [x.name, x.value]));
    expect(c).toMatchObject({ inline_range: [100, 750], crossline_range: [300, 1250], trace_count: 280, crs: 'EPSG:23031' });
    // Fast mode samples trace headers: far fewer bytes than the file, all through ranged GETs.
    expect(Number(job.bytesRead)).toBe(c.bytes_read);
    expect(Number(job.bytesRead)).toBeLessThan(SGY.length / 2);
    expect(requests.length).toBeGreaterThan(0);
    expect(requests.every((r) => /^bytes=\d+-\d+$/.test(r.range ?? ''))).toBe(true);

    const missing = await app.run<Res>(
      `{ dataReference(uri: "s3://seismic/f3/missing.sgy") { extraction { status attempts error { code message } } } }`,
    );
    expect(missing.data!.dataReference.extraction).toMatchObject({
      status: 'FAILED',
      attempts: 2,
      error: { code: 'UNREADABLE' },
    });
    expect(missing.data!.dataReference.extraction.error!.message).toContain('s3://seismic/f3/missing.sgy');
  });
});
