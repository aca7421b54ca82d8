/**
 * HDF5 metadata through h5wasm against h5py (Debian python3-h5py) on files h5py writes at test
 * time. Expected values are h5py's reading of the same files.
 */
import { execFileSync } from 'child_process';
import { mkdtempSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { FileRangeReader } from '../../src/ingest/extractors/file-range-reader';
import { extract } from '../../src/ingest/extractors/extract';
import { makeExtractCommand } from '../../src/commands/extract-command';
import { runCli } from '../helpers/run-cli';
import type { Hdf5Dataset, Hdf5Extract } from '../../src/ingest/extractors/extract-result';
import { TextSink } from '../helpers/text-sink';

interface H5pyView {
  name: string;
  file: string;
  fileSize: number;
  attributes: Record<string, unknown>;
  datasets: Hdf5Dataset[];
}
interface Manifest {
  good: H5pyView[];
  corrupt: { name: string; file: string; code: string }[];
}

const dir = mkdtempSync(join(tmpdir(), 'provml-hdf5-'));
execFileSync('/usr/bin/python3', [join(__dirname, '../fixtures/make_hdf5_fixtures.py'), dir], {
  stdio: ['ignore', 'ignore', 'inherit'],
});
const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out = new TextSink();
  const err = new TextSink();
  const code = await runCli('extract', makeExtractCommand(), args, out, err);
  return { code, out: out.text, err: err.text };
}

describe('HDF5 extraction equals h5py', () => {
  test.each(manifest.good.map((g) => [g.name, g] as const))('%s', async (_name, want) => {
    const r = await FileRangeReader.open(want.file);
    const got = (await extract(r)) as Hdf5Extract;
    await r.close();
    expect(got.kind).toBe('hdf5');
    expect(got.fileSize).toBe(want.fileSize);
    expect(got.attributes).toEqual(want.attributes);
    expect([...got.datasets].sort((a, b) => a.path.localeCompare(b.path))).toEqual(want.datasets);
    // Metadata only: the HDF5 library reads lazily through the range reader.
    expect(got.bytesRead).toBeGreaterThan(0);
    expect(got.bytesRead).toBeLessThan(want.fileSize);
  });

  test('the CLI prints one JSON object with datasets and instances', async () => {
    const want = manifest.good.find((g) => g.name === 'train')!;
    const res = await cli([want.file, '--json']);
    expect(res.code).toBe(0);
    expect(res.err).toBe('');
    expect(res.out.trim().split('\n')).toHaveLength(1);
    const json = JSON.parse(res.out) as Hdf5Extract;
    const x = json.datasets.find((d) => d.path === '/train/x');
    expect(x).toEqual(want.datasets.find((d) => d.path === '/train/x'));
    expect(x?.instances).toBe(x?.shape[0]);
  });

  test.each(manifest.corrupt.map((c) => [c.name, c] as const))('broken %s: one line, exit 1', async (_name, c) => {
    const res = await cli([c.file]);
    expect(res.code).toBe(1);
    expect(res.out).toBe('');
    const lines = res.err.split('\n').filter((l) => l !== '');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`: ${c.code} at byte 0: the HDF5 library cannot open the file: \\w`));
    expect(res.err).not.toMatch(/HDF5-DIAG/);
  });
});
