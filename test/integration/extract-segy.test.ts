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
import { makeExtractCommand } from '../../src/commands/extract-command';
import { runCli } from '../helpers/run-cli';
import type { SegyExtract } from '../../src/ingest/extractors/extract-result';
import { SAMPLE_FORMATS } from '../../src/ingest/extractors/segy-binary-header';
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
  crafted: { name: string; file: string; expected: Partial<SegyExtract> & { extendedTextHeaderCount?: number } }[];
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
  const code = await runCli('extract', makeExtractCommand(), args, out, err);
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
    const { extendedTextHeaderCount, ...expected } = c.expected;
    const full = await read(c.file, {});
    expect(full).toMatchObject({ ...expected, inferred: false });
    if (extendedTextHeaderCount !== undefined) expect(full.extendedTextualHeaders).toHaveLength(extendedTextHeaderCount);
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

/**
 * segyio's own test-data (equinor/segyio, test-data/), read by our reader and compared with
 * segyio's reading: the one recorded from a current segyio built from source (it reads rev 2)
 * and, live, Debian's python3-segyio 1.8 where that older reader opens the file.
 */
interface SegyioReading {
  error?: Record<string, string>;
  traceCount: number;
  sampleCount: number;
  sampleInterval: number | null;
  extendedTextHeaders: number;
  traceHeaders: number;
  firstTraceOffset: number;
  /** Set where segyio read the trace headers through the file's layout stanza. */
  headersUnread?: string;
  format: number;
  revision: [number, number] | null;
  byteOrder: 'big' | 'little';
  inline?: { min: number; max: number; count: number };
  crossline?: { min: number; max: number; count: number };
  bbox?: number[];
}
const fixtureDir = join(__dirname, '../fixtures/segyio-test-data');
const dataDir = join(dir, 'segyio-test-data');
execFileSync('mkdir', ['-p', dataDir]);
execFileSync('tar', ['-xJf', join(fixtureDir, 'test-data.tar.xz'), '-C', dataDir]);
const recorded = (
  JSON.parse(readFileSync(join(fixtureDir, 'segyio-2-reading.json'), 'utf8')) as {
    files: Record<string, SegyioReading>;
  }
).files;
const names = Object.keys(recorded).sort();

/**
 * Files current segyio refuses for a reason our reader does not share: their SEG-Y rev 2.1 D8
 * layout stanza (XML) is broken on purpose, which we do not read (trace header bytes come from
 * the options), or a sample format it does not decode (we never read samples). Each reads as
 * the sibling it was made from, on the fields named.
 */
const STRUCTURE = ['traceCount', 'sampleCount', 'sampleInterval', 'inline', 'crossline', 'bbox'] as const;
const SIBLINGS: Record<string, { as: string; fields: readonly string[]; why: string }> = {
  'mapping-invalid-attribute.sgy': { as: 'mapping-default.sgy', fields: STRUCTURE, why: 'layout XML entry without byte' },
  'mapping-invalid-root.sgy': { as: 'mapping-default.sgy', fields: STRUCTURE, why: 'layout XML root' },
  'mapping-invalid-value.sgy': { as: 'mapping-default.sgy', fields: STRUCTURE, why: 'layout XML byte out of range' },
  'mapping-unparsable.sgy': { as: 'mapping-default.sgy', fields: STRUCTURE, why: 'layout XML unparsable' },
  'mapping-encoding-private.sgy': {
    as: 'trace-header-extensions.sgy',
    fields: ['traceCount', 'sampleCount', 'sampleInterval'],
    why: 'proprietary header name encoding',
  },
  ...Object.fromEntries(
    ['4', '7', '15'].flatMap((f) =>
      ['lsb', 'msb'].map((o) => [
        `multiformats/Format${f}${o}.sgy`,
        { as: `multiformats/Format1${o}.sgy`, fields: [...STRUCTURE, 'byteOrder'], why: `segyio 2 does not decode format ${f}` },
      ]),
    ),
  ),
};
/** Files segyio refuses that are broken for us too: a clear ExtractError, no reading. */
const REFUSED = ['broken.sgy', 'mapping-empty.sgy', 'text.sgy'];

function omit<T extends object, K extends keyof T>(o: T, ...keys: K[]): Omit<T, K> {
  const out = { ...o };
  for (const k of keys) delete out[k];
  return out;
}

/** Our reading in segyio's terms. */
function asSegyio(r: SegyExtract) {
  return {
    traceCount: r.traceCount,
    sampleCount: r.sampleCount,
    sampleInterval: r.sampleInterval,
    extendedTextHeaders: r.extendedTextualHeaders.length,
    format: r.format,
    revision: r.revision.split('.').map(Number),
    byteOrder: r.byteOrder,
    inline: r.inline,
    crossline: r.crossline,
    bbox: r.bbox,
  };
}

async function tryRead(name: string): Promise<SegyExtract | Error> {
  try {
    return await read(join(dataDir, name), {});
  } catch (err) {
    return err as Error;
  }
}

describe("segyio's own test-data", () => {
  test('every file of the archive has a recorded segyio reading', () => {
    // 91 files in test-data/: 88 SEG-Y files, its README.md and two Seismic Un*x files.
    expect(names.length).toBe(88);
  });

  test.each(names.filter((n) => !SIBLINGS[n] && !REFUSED.includes(n)))('%s reads as segyio 2 reads it', async (name) => {
    const want = recorded[name];
    expect(want.error).toBeUndefined();
    const got = await tryRead(name);
    if (got instanceof Error) throw got;
    const ours = asSegyio(got);
    const { headersUnread, ...fields } = omit(want, 'traceHeaders', 'firstTraceOffset');
    // Where segyio reads line numbers through the file's layout stanza, it reports none.
    const compared = headersUnread ? { ...fields, inline: ours.inline, crossline: ours.crossline, bbox: ours.bbox } : fields;
    expect(ours).toEqual(compared);
    // The traces start where segyio says and each holds segyio's count of trace headers.
    const traceSize = 240 * want.traceHeaders + got.sampleCount * SAMPLE_FORMATS[got.format].bytes;
    expect(got.fileSize).toBe(want.firstTraceOffset + got.traceCount * traceSize);
  });

  test.each(Object.entries(SIBLINGS))('%s (segyio refuses it) reads as %j', async (name, s) => {
    expect(recorded[name].error).toBeDefined();
    const got = await tryRead(name);
    if (got instanceof Error) throw got;
    const ours = asSegyio(got) as Record<string, unknown>;
    const twin = recorded[s.as] as unknown as Record<string, unknown>;
    for (const f of s.fields) expect([f, ours[f]]).toEqual([f, twin[f]]);
  });

  test.each(REFUSED)('%s: segyio and our reader both refuse it', async (name) => {
    expect(recorded[name].error).toBeDefined();
    const got = await tryRead(name);
    expect(got).toBeInstanceOf(Error);
    expect((got as Error & { code?: string }).code).toMatch(/^(TRUNCATED|NO_TRACES|BAD_HEADER)$/);
  });

  test("Debian's segyio 1.8, run now, reads what we read wherever it opens a file", () => {
    const live = JSON.parse(
      execFileSync(
        '/usr/bin/python3',
        [join(__dirname, '../fixtures/segyio_reading.py'), ...names.map((n) => join(dataDir, n))],
        {
          maxBuffer: 64 << 20,
          stdio: ['ignore', 'pipe', 'ignore'],
        },
      ).toString(),
    ) as { current: boolean; files: Record<string, SegyioReading> };
    expect(live.current).toBe(false);
    return (async () => {
      // segyio 1.8 predates rev 2 in these: a variable (-1) extended header count, the sizes
      // of rev 2's 8-byte and unsigned 16-bit sample formats; and it gives up on a negative
      // interval in one header where segyio 2 takes the other header's.
      const older = new Set([
        'stanzas-unknown-count.sgy',
        'interval-neg-bin-pos-trace.sgy',
        'interval-pos-bin-neg-trace.sgy',
        ...['6', '9', '11', '12'].flatMap((f) => [`multiformats/Format${f}lsb.sgy`, `multiformats/Format${f}msb.sgy`]),
      ]);
      let compared = 0;
      for (const name of names) {
        const want = live.files[name];
        if (want.error || older.has(name)) continue;
        const got = await tryRead(name);
        if (got instanceof Error) throw new Error(`${name}: segyio 1.8 reads it, we do not: ${got.message}`);
        const ours = asSegyio(got);
        const fields = omit(want, 'traceHeaders', 'firstTraceOffset', 'revision');
        expect([name, { ...ours, revision: null }]).toEqual([name, { ...fields, revision: null }]);
        compared++;
      }
      expect(compared).toBeGreaterThanOrEqual(50);
    })();
  });
});
