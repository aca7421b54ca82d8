/**
 * Our SEG-Y reader against segyio (Debian python3-segyio) on fixtures segyio writes at test
 * time: varied geometry, sample formats, byte order, coordinate scalars, textual headers and
 * revisions. Every expected value below comes from segyio's reading of the same file.
 */
import { execFileSync } from 'child_process';
import { mkdtempSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { pathToFileURL } from 'url';
import { FileRangeReader } from '../../src/ingest/extractors/file-range-reader';
import { readSegy } from '../../src/ingest/extractors/segy-reader';
import { extract } from '../../src/ingest/extractors/extract';
import { extractCommand } from '../../src/ingest/extractors/extract-command';
import type { SegyExtract } from '../../src/ingest/extractors/extract-result';
import { TextSink } from '../helpers/text-sink';

interface SegyioView {
  name: string;
  file: string;
  options: { inlineByte: number; crosslineByte: number };
  traceCount: number;
  sampleCount: number;
  sampleInterval: number;
  format: number;
  inline: { min: number; max: number; count: number };
  crossline: { min: number; max: number; count: number };
  bbox: number[];
  footprint: { type: string; coordinates: number[][][] };
  extHeaders: number;
  byteOrder: string;
  revision: string;
  textEncoding: string;
  textualHeader: string;
  extendedTextualHeaders: string[];
  regular: boolean;
  fileSize: number;
}
interface Manifest {
  good: SegyioView[];
  corrupt: { name: string; file: string; code: string }[];
  /** Layouts segyio cannot write, crafted byte by byte; expected values are what was written. */
  crafted: { name: string; file: string; expected: Partial<SegyExtract> }[];
}

// Fixtures are made while the suite is collected, so each one becomes its own test.
const dir = mkdtempSync(join(tmpdir(), 'provml-segy-'));
execFileSync('/usr/bin/python3', ['-W', 'ignore', join(__dirname, '../fixtures/make_segy_fixtures.py'), dir], {
  stdio: ['ignore', 'ignore', 'inherit'],
});
const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function read(file: string, opts: Parameters<typeof readSegy>[1]): Promise<SegyExtract> {
  const r = await FileRangeReader.open(file);
  try {
    return await readSegy(r, opts);
  } finally {
    await r.close();
  }
}

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out = new TextSink();
  const err = new TextSink();
  const code = await extractCommand(args, out, err);
  return { code, out: out.text, err: err.text };
}

describe('SEG-Y extraction equals segyio', () => {
  test('the generator made good and corrupt fixtures', () => {
    expect(manifest.good.length).toBeGreaterThanOrEqual(6);
    expect(manifest.corrupt.length).toBeGreaterThanOrEqual(5);
  });

  test.each(manifest.good.map((g) => [g.name, g] as const))('%s: full scan', async (_name, want) => {
    const got = await read(want.file, want.options);
    expect(got).toMatchObject({
      kind: 'segy',
      inferred: false,
      traceCount: want.traceCount,
      sampleCount: want.sampleCount,
      sampleInterval: want.sampleInterval,
      format: want.format,
      inline: want.inline,
      crossline: want.crossline,
      bbox: want.bbox,
      footprint: want.footprint,
      byteOrder: want.byteOrder,
      revision: want.revision,
      textEncoding: want.textEncoding,
      textualHeader: want.textualHeader,
      extendedTextualHeaders: want.extendedTextualHeaders,
      fileSize: want.fileSize,
    });
    expect(got.extendedTextualHeaders).toHaveLength(want.extHeaders);
    // Headers only: file headers, extended headers, the first trace header (read to learn the
    // layout) and every trace header once; never a sample.
    const headers = 3600 + 3200 * want.extHeaders + 240 * (want.traceCount + 1);
    expect(got.bytesRead).toBe(headers);
    expect(got.bytesRead).toBeLessThan(want.fileSize);
  });

  test.each(manifest.good.map((g) => [g.name, g] as const))('%s: fast mode', async (_name, want) => {
    const got = await read(want.file, { ...want.options, fast: true });
    expect(got).toMatchObject({
      traceCount: want.traceCount,
      inline: want.inline,
      crossline: want.crossline,
      bbox: want.bbox,
      footprint: want.footprint,
      inferred: want.regular,
    });
    if (!want.regular) expect(got.inferenceNote).toMatch(/fast mode read every trace header/);
    else expect(got.inferenceNote).toBeUndefined();
  });

  test('fast mode reads fewer bytes than a full scan on a regular cube', async () => {
    const want = manifest.good.find((g) => g.name === 'ibm_be_rev1')!;
    const full = await read(want.file, {});
    const fast = await read(want.file, { fast: true });
    expect(fast.bytesRead).toBeLessThan(full.bytesRead);
  });

  test('the wrong trace header bytes give other line numbers', async () => {
    const want = manifest.good.find((g) => g.name === 'int16_xline_sorted_bytes_9_21')!;
    const got = await read(want.file, {});
    expect(got.inline).not.toEqual(want.inline);
  });

  test('extract() detects SEG-Y and reads file:// URIs through the CLI', async () => {
    const want = manifest.good[0];
    const r = await FileRangeReader.open(want.file);
    const got = await extract(r);
    await r.close();
    expect(got.kind).toBe('segy');
    const res = await cli([pathToFileURL(want.file).href, '--json']);
    expect(res.code).toBe(0);
    expect(res.err).toBe('');
    expect(res.out.trim().split('\n')).toHaveLength(1);
    const json = JSON.parse(res.out) as SegyExtract;
    expect(json).toMatchObject({
      traceCount: want.traceCount,
      inline: want.inline,
      bbox: want.bbox,
    });
  });

  test('the CLI passes --inline-byte / --crossline-byte / --fast', async () => {
    const want = manifest.good.find((g) => g.name === 'int16_xline_sorted_bytes_9_21')!;
    const res = await cli([want.file, '--json', '--fast', '--inline-byte', '9', '--crossline-byte', '21']);
    expect(res.code).toBe(0);
    const json = JSON.parse(res.out) as SegyExtract;
    expect(json).toMatchObject({
      inline: want.inline,
      crossline: want.crossline,
      inferred: true,
      sortedBy: 'crossline',
    });
  });

  test('bad usage is one line and exit 2', async () => {
    for (const args of [[], ['a.sgy', '--inline-byte', '239'], ['a.sgy', '--wat']]) {
      const res = await cli(args);
      expect(res.code).toBe(2);
      expect(res.out).toBe('');
      expect(res.err.split('\n')[0]).toMatch(/^provml extract: /);
    }
  });
});

describe('layouts segyio cannot write', () => {
  test.each(manifest.crafted.map((c) => [c.name, c] as const))('%s: full and fast', async (_name, c) => {
    const full = await read(c.file, {});
    expect(full).toMatchObject({ ...c.expected, inferred: false });
    const fast = await read(c.file, { fast: true });
    expect(fast).toMatchObject({ traceCount: c.expected.traceCount, inline: c.expected.inline, bbox: c.expected.bbox });
    if (c.expected.fixedLengthTraces === false) expect(fast.inferenceNote).toMatch(/traces differ in length/);
    else expect(fast.inferred).toBe(true);
  });
});

describe('broken files: one clear line, exit 1', () => {
  test.each(manifest.corrupt.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const res = await cli([c.file, '--json']);
    expect(res.code).toBe(1);
    expect(res.out).toBe('');
    const lines = res.err.split('\n').filter((l) => l !== '');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      new RegExp(`^provml extract: ${c.file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: ${c.code} at byte \\d+`),
    );
    expect(res.err).not.toMatch(/\n\s+at /);
  });

  test('a missing file is one line too', async () => {
    const res = await cli([join(dir, 'nope.sgy')]);
    expect(res.code).toBe(1);
    expect(res.err).toMatch(/^provml extract: .*nope\.sgy: UNREADABLE: cannot open .*ENOENT\n$/);
  });
});
