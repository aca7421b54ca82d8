import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readMetricFile } from '../../src/interop/metric-files';
import { bytesCodec } from '../../src/interop/zarr/codecs';

/*
 * Zarr metric stores as yProv4ML writes them, made at test time by make_zarr_fixtures.py: format 2
 * by zarr-python 2.13 itself (Debian python3-zarr, python3-numcodecs), one store per compressor
 * numcodecs has, each compared value by value with what zarr-python reads back; format 3 written
 * by that script after the v3 spec with numcodecs' frames (zarr 2.13 cannot write format 3).
 */
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'provml-zarr-'));
execFileSync('/usr/bin/python3', [path.join(__dirname, '../fixtures/yprov4ml/make_zarr_fixtures.py'), dir], {
  stdio: ['ignore', 'ignore', 'inherit'],
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

type Num = number | 'NaN' | 'Infinity' | '-Infinity';
interface Expected {
  format?: 'zarr-v2' | 'zarr-v3';
  attributes?: Record<string, string>;
  epochs?: number[];
  values?: Num[];
  timestamps?: number[];
  valuesType?: string;
  unreadable?: string;
}
const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as Record<string, Expected>;
const readable = Object.entries(manifest).filter(([, e]) => !e.unreadable);
const refused = Object.entries(manifest).filter(([, e]) => e.unreadable);
const num = (v: Num): number => (v === 'NaN' ? NaN : v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : v);

describe('Zarr metric stores (yProv4ML save_to_zarr)', () => {
  it('has the stores the fixture script promises', () => {
    expect(readable.filter(([, e]) => e.format === 'zarr-v2').length).toBeGreaterThanOrEqual(25);
    expect(readable.filter(([, e]) => e.format === 'zarr-v3').length).toBeGreaterThanOrEqual(8);
    expect(refused.length).toBeGreaterThanOrEqual(4);
  });

  it.each(readable)('%s: every epoch, value and timestamp as zarr-python reads it', async (name, e) => {
    const r = await readMetricFile(name, dir);
    expect(r.report).toMatchObject({ status: 'read', format: e.format, points: e.values!.length, message: null });
    expect(r.report.attributes).toEqual(e.attributes);
    const float32 = e.valuesType!.endsWith('f4');
    const values = r.points.map((p) => (float32 ? Math.fround(p.value) : p.value));
    // f4 compared as f4: the reader writes the shortest decimal that reads back as the same float32.
    expect(values).toEqual(e.values!.map((v) => (float32 ? Math.fround(num(v)) : num(v))));
    expect(r.points.map((p) => p.step)).toEqual(e.epochs);
    expect(r.points.map((p) => p.time)).toEqual(e.timestamps);
  });

  it('reads the partial last chunk as far as the shape says, and a chunk never written as the fill value', async () => {
    const r = await readMetricFile('missing_chunk_Context.TRAINING_None_GR0.zarr', dir);
    expect(fs.existsSync(path.join(dir, 'missing_chunk_Context.TRAINING_None_GR0.zarr/epochs/0'))).toBe(false);
    expect(r.points.slice(0, 1000).every((p) => p.step === 0)).toBe(true);
    expect(r.points).toHaveLength(2500);
    const one = await readMetricFile('one_value_Context.TRAINING_None_GR0.zarr', dir);
    expect(one.points).toHaveLength(1);
    // NaN and the infinities of a diverged run come through as values, not as fill.
    const all = (await readMetricFile('zstd_Context.TRAINING_None_GR0.zarr', dir)).points;
    expect([all[1234].value, all[1500].value, all[2499].value]).toEqual([NaN, Infinity, -Infinity]);
  });

  it.each(refused)('%s: unreadable, naming what provml does not decode and the array', async (name, e) => {
    const r = await readMetricFile(name, dir);
    expect(r.report.status).toBe('unreadable');
    expect(r.report.message).toContain(e.unreadable);
    expect(r.report.message).toMatch(/array (epochs|values|timestamps)/);
    expect(r.points).toEqual([]);
  });

  it.each(Object.entries(JSON.parse(fs.readFileSync(path.join(dir, 'frames/frames.json'), 'utf8')) as Record<string, string>))(
    'frame %s (%s) decodes to the bytes numcodecs encoded',
    (name, codec) => {
      const raw = fs.readFileSync(path.join(dir, 'frames', `${name}.raw`));
      const enc = new Uint8Array(fs.readFileSync(path.join(dir, 'frames', `${name}.enc`)));
      expect(Buffer.from(bytesCodec(codec)!.decode(enc, raw.length)).equals(raw)).toBe(true);
    },
  );
});

describe('Zarr stores that are wrong, hostile or too big', () => {
  const copy = (from: string, to: string) => {
    fs.cpSync(path.join(dir, from), path.join(dir, to), { recursive: true });
    return to;
  };
  const editJson = (file: string, edit: (j: Record<string, unknown>) => void) => {
    const j = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    edit(j);
    fs.writeFileSync(file, JSON.stringify(j));
  };

  it('a corrupt chunk is unreadable, naming the array, never zeros', async () => {
    for (const [from, chunk] of [
      ['blosc_lz4_shuffle_Context.TRAINING_None_GR0.zarr', 'values/1'],
      ['blosc_blosclz_shuffle_Context.TRAINING_None_GR0.zarr', 'values/1'],
      ['zstd_Context.TRAINING_None_GR0.zarr', 'values/1'],
      ['lz4_Context.TRAINING_None_GR0.zarr', 'values/1'],
      ['zlib_Context.TRAINING_None_GR0.zarr', 'values/1'],
      ['v3_zstd_crc32c_dot_Context.TRAINING_None_GR0.zarr', 'values/c.1'],
    ]) {
      const to = copy(from, `corrupt-${from}`);
      const file = path.join(dir, to, chunk);
      const bytes = fs.readFileSync(file);
      // Cut the chunk short: every codec must notice it decodes to less than a chunk (or fails).
      fs.writeFileSync(file, bytes.subarray(0, Math.floor(bytes.length / 2)));
      const r = await readMetricFile(to, dir);
      expect([to, r.report.status]).toEqual([to, 'unreadable']);
      expect(r.report.message).toMatch(/^array values: /);
    }
  });

  it('a crc32c that does not match is unreadable', async () => {
    const to = copy('v3_zstd_crc32c_dot_Context.TRAINING_None_GR0.zarr', 'crc.zarr');
    const file = path.join(dir, to, 'values/c.0');
    const bytes = fs.readFileSync(file);
    bytes[bytes.length - 1] ^= 1;
    fs.writeFileSync(file, bytes);
    expect((await readMetricFile(to, dir)).report.message).toMatch(/array values: crc32c checksum does not match/);
  });

  it('refuses absurd shapes and chunk sizes before reading a byte of data', async () => {
    const big = copy('none_Context.TRAINING_None_GR0.zarr', 'big.zarr');
    editJson(path.join(dir, big, 'values/.zarray'), (j) => (j.shape = [1e12]));
    expect((await readMetricFile(big, dir)).report).toMatchObject({
      status: 'unreadable',
      message: expect.stringMatching(/array values: 1000000000000 elements, more than the 10000000/),
    });
    const chunky = copy('v3_zstd_Context.TRAINING_None_GR0.zarr', 'chunky.zarr');
    editJson(path.join(dir, chunky, 'timestamps/zarr.json'), (j) => {
      j.chunk_grid = { name: 'regular', configuration: { chunk_shape: [1e9] } };
    });
    expect((await readMetricFile(chunky, dir)).report.message).toMatch(/array timestamps: chunks of 8000000000 bytes/);
    // A frame that claims to hold more than its chunk is refused from its header.
    const bomb = copy('blosc_zstd_shuffle_Context.TRAINING_None_GR0.zarr', 'bomb.zarr');
    const file = path.join(dir, bomb, 'values/0');
    const bytes = fs.readFileSync(file);
    bytes.writeUInt32LE(2 ** 31, 4);
    fs.writeFileSync(file, bytes);
    expect((await readMetricFile(bomb, dir)).report.message).toMatch(
      /array values: Blosc frame holds 2147483648 bytes, 4000 expected/,
    );
  });

  it('says what a folder that is not a yProv4ML group is', async () => {
    fs.mkdirSync(path.join(dir, 'empty.zarr'));
    expect((await readMetricFile('empty.zarr', dir)).report.message).toMatch(/not a Zarr store/);
    fs.writeFileSync(path.join(dir, 'zip.zarr'), 'PK\u0003\u0004');
    expect((await readMetricFile('zip.zarr', dir)).report.message).toMatch(/a Zarr store is a folder/);
    const noTimes = copy('v3_zstd_Context.TRAINING_None_GR0.zarr', 'no-times.zarr');
    fs.rmSync(path.join(dir, noTimes, 'timestamps'), { recursive: true });
    expect((await readMetricFile(noTimes, dir)).report.message).toMatch(/no array "timestamps"/);
    const short = copy('gzip_Context.TRAINING_None_GR0.zarr', 'short.zarr');
    editJson(path.join(dir, short, 'epochs/.zarray'), (j) => (j.shape = [2400]));
    expect((await readMetricFile(short, dir)).report.message).toMatch(/differ in length \(2400, 2500, 2500\)/);
  });

  it('never follows a chunk or metadata link out of the store', async () => {
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'provml-zarr-outside-'));
    try {
      const to = copy('none_Context.TRAINING_None_GR0.zarr', 'linked.zarr');
      fs.copyFileSync(path.join(dir, to, 'values/1'), path.join(outside, 'secret'));
      fs.rmSync(path.join(dir, to, 'values/1'));
      fs.symlinkSync(path.join(outside, 'secret'), path.join(dir, to, 'values/1'));
      const r = await readMetricFile(to, dir);
      expect(r.report).toMatchObject({ status: 'unreadable', points: 0 });
      expect(r.report.message).toMatch(/values\/1 leads outside the store/);
      // A store that is itself a link out of the document's folder is not found at all.
      fs.cpSync(path.join(dir, 'none_Context.TRAINING_None_GR0.zarr'), path.join(outside, 'away.zarr'), { recursive: true });
      fs.symlinkSync(path.join(outside, 'away.zarr'), path.join(dir, 'away.zarr'));
      expect((await readMetricFile('away.zarr', dir)).report).toMatchObject({ status: 'not-found', points: 0 });
      expect((await readMetricFile(path.join(outside, 'away.zarr'), dir)).report.status).toBe('not-found');
    } finally {
      fs.rmSync(outside, { recursive: true, force: true });
    }
  });
});
