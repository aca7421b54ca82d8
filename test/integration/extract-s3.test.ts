/**
 * Extraction through the objects connector from a real S3 server (s3rver on loopback): the
 * same answers as segyio / h5py give for the same files, from ranged GETs of headers only.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { execFileSync } from 'child_process';
import { mkdtempSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { S3ObjectStore } from '../../src/connectors/objects/s3-object-store';
import { makeExtractCommand } from '../../src/commands/extract-command';
import { runCli } from '../helpers/run-cli';
import type { Hdf5Extract, SegyExtract } from '../../src/ingest/extractors/extract-result';
import { startS3rver, S3RVER_CREDENTIALS, type S3rverServer } from '../helpers/s3rver';
import { TextSink } from '../helpers/text-sink';

const BUCKET = 'raw';
const dir = mkdtempSync(join(tmpdir(), 'provml-extract-s3-'));
execFileSync('/usr/bin/python3', ['-W', 'ignore', join(__dirname, '../fixtures/make_segy_fixtures.py'), join(dir, 'segy')], {
  stdio: ['ignore', 'ignore', 'inherit'],
});
execFileSync('/usr/bin/python3', [join(__dirname, '../fixtures/make_hdf5_fixtures.py'), join(dir, 'hdf5')], {
  stdio: ['ignore', 'ignore', 'inherit'],
});
type View = {
  name: string;
  file: string;
  traceCount: number;
  inline: object;
  crossline: object;
  bbox: number[];
  footprint: object;
  extHeaders: number;
  fileSize: number;
  datasets?: unknown[];
};
const segy = JSON.parse(readFileSync(join(dir, 'segy', 'manifest.json'), 'utf8')) as { good: View[] };
const hdf5 = JSON.parse(readFileSync(join(dir, 'hdf5', 'manifest.json'), 'utf8')) as { good: View[] };

let s3: S3rverServer;
let store: S3ObjectStore;

beforeAll(async () => {
  s3 = await startS3rver([BUCKET]);
  store = new S3ObjectStore(s3.client, { id: 's3-test' });
  const files = [
    join(dir, 'segy', 'ibm_be_rev1.sgy'),
    join(dir, 'segy', 'int32_ext2_rotated.sgy'),
    join(dir, 'segy', 'truncated.sgy'),
    join(dir, 'hdf5', 'train.hdf5'),
  ];
  for (const f of files)
    await s3.client.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: `cubes/${f.split('/').pop()}`,
        Body: readFileSync(f),
      }),
    );
});

afterAll(async () => {
  await s3?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function cli(args: string[], withStore = true): Promise<{ code: number; out: string; err: string }> {
  const out = new TextSink();
  const err = new TextSink();
  const code = await runCli('extract', makeExtractCommand(withStore ? { objectStore: store } : {}), args, out, err);
  return { code, out: out.text, err: err.text };
}

describe('extract over S3', () => {
  test.each(['ibm_be_rev1', 'int32_ext2_rotated'])('%s: full and fast equal segyio, headers only', async (name) => {
    const want = segy.good.find((g) => g.name === name)!;
    const uri = `s3://${BUCKET}/cubes/${name}.sgy`;
    const full = await cli([uri, '--json']);
    expect(full.err).toBe('');
    const got = JSON.parse(full.out) as SegyExtract;
    expect(got).toMatchObject({
      source: uri,
      traceCount: want.traceCount,
      inline: want.inline,
      crossline: want.crossline,
      bbox: want.bbox,
      footprint: want.footprint,
      fileSize: want.fileSize,
      inferred: false,
    });
    expect(got.bytesRead).toBe(3600 + 3200 * want.extHeaders + 240 * (want.traceCount + 1));
    const fast = JSON.parse((await cli([uri, '--json', '--fast'])).out) as SegyExtract;
    expect(fast).toMatchObject({
      inline: want.inline,
      crossline: want.crossline,
      footprint: want.footprint,
      inferred: true,
    });
    expect(fast.bytesRead).toBeLessThan(got.bytesRead);
  });

  test('HDF5 from S3 equals h5py (copied whole: the HDF5 library reads synchronously)', async () => {
    const want = hdf5.good.find((g) => g.name === 'train')!;
    const res = await cli([`s3://${BUCKET}/cubes/train.hdf5`, '--json']);
    expect(res.err).toBe('');
    const got = JSON.parse(res.out) as Hdf5Extract;
    expect([...got.datasets].sort((a, b) => a.path.localeCompare(b.path))).toEqual(want.datasets);
    // The whole object, plus the first bytes read once to detect the format.
    expect(got.bytesRead).toBeGreaterThanOrEqual(want.fileSize);
    expect(got.bytesRead).toBeLessThanOrEqual(want.fileSize + 4096);
  });

  test('a truncated object and a missing one: one line each', async () => {
    const t = await cli([`s3://${BUCKET}/cubes/truncated.sgy`]);
    expect(t.code).toBe(1);
    expect(t.err).toMatch(/^provml extract: s3:\/\/raw\/cubes\/truncated\.sgy: TRUNCATED at byte \d+[^\n]*\n$/);
    const m = await cli([`s3://${BUCKET}/cubes/nope.sgy`]);
    expect(m.code).toBe(1);
    expect(m.err).toBe(`provml extract: s3://${BUCKET}/cubes/nope.sgy: UNREADABLE: no object at s3://${BUCKET}/cubes/nope.sgy\n`);
  });

  test('without an injected store the command builds one from the AWS environment', async () => {
    const keys = ['AWS_ENDPOINT_URL', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION'] as const;
    const saved = keys.map((k) => process.env[k]);
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: s3.endpoint,
      AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
      AWS_REGION: 'us-east-1',
    });
    try {
      const res = await cli([`s3://${BUCKET}/cubes/ibm_be_rev1.sgy`, '--json'], false);
      expect(res.err).toBe('');
      expect(JSON.parse(res.out)).toMatchObject({
        traceCount: segy.good[0].traceCount,
      });
    } finally {
      keys.forEach((k, i) => (saved[i] === undefined ? delete process.env[k] : (process.env[k] = saved[i])));
    }
  });
});
