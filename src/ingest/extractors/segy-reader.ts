import type { RangeReader } from './range-reader';
import { ExtractError } from './extract-error';
import type { SegyExtract } from './extract-result';
import { BIN, BIN_END, parseBinaryHeader, type BinaryHeader } from './segy-binary-header';
import { decodeTextHeader, detectEncoding, END_TEXT_STANZA, isEndText, stanzaHeader, type TextEncoding } from './segy-text';
import { checkLayout, DEFAULT_LAYOUT, TRACE_HEADER, type TraceHeaderLayout } from './segy-trace-header';
import { readExact, readTraceAt, scanFixed, scanVariable, type ScanOptions } from './segy-trace-scan';
import { GeometryAccumulator, type Geometry } from './segy-geometry';
import { inferRegularGeometry } from './segy-fast-geometry';

export interface SegyOptions extends ScanOptions, Partial<TraceHeaderLayout> {
  /** Sample trace headers and infer a regular grid instead of reading every header. */
  fast?: boolean;
}

const TEXT = 3200;
const MAX_VARIABLE_EXT_HEADERS = 1000;

/** Reads a SEG-Y file's headers (never its samples) and summarises the cube. */
/** `prefetched`: the file's first bytes when the caller already has them (format detection). */
export async function readSegy(reader: RangeReader, opts: SegyOptions = {}, prefetched?: Buffer): Promise<SegyExtract> {
  const keys: TraceHeaderLayout = {
    inlineByte: opts.inlineByte ?? DEFAULT_LAYOUT.inlineByte,
    crosslineByte: opts.crosslineByte ?? DEFAULT_LAYOUT.crosslineByte,
  };
  const bad = checkLayout(keys);
  if (bad) throw new ExtractError('BAD_HEADER', bad, { field: 'options' });

  const fileSize = await reader.size();
  if (fileSize < BIN_END) {
    const where = fileSize < TEXT ? 'the textual header (bytes 0-3199)' : 'the binary header (bytes 3200-3599)';
    throw new ExtractError('TRUNCATED', `file is ${fileSize} bytes and ends inside ${where}`, { offset: fileSize });
  }
  const head =
    prefetched && prefetched.length >= BIN_END
      ? prefetched.subarray(0, BIN_END)
      : await readExact(reader, 0, BIN_END, 'the file headers');
  const encoding = detectEncoding(head.subarray(0, TEXT));
  const bin = parseBinaryHeader(head.subarray(BIN, BIN_END));
  const ext = await readExtendedText(reader, bin, encoding);

  const dataStart = bin.firstTraceOffset > 0 ? bin.firstTraceOffset : BIN_END + TEXT * ext.length;
  if (dataStart > fileSize)
    throw new ExtractError(
      'BAD_HEADER',
      `the first trace is said to start at byte ${dataStart}, past the end of the ${fileSize}-byte file`,
      {
        offset: 3520,
        field: 'binary.firstTraceOffset (SEG-Y bytes 3521-3528)',
      },
    );
  // Trailer stanzas only where they fit: a count that does not is noise in an unassigned field.
  const trailers = TEXT * bin.trailerStanzas <= fileSize - dataStart ? bin.trailerStanzas : 0;
  const dataEnd = fileSize - TEXT * trailers;
  if (dataEnd === dataStart)
    throw new ExtractError('NO_TRACES', `no traces: the file ends right after its headers at byte ${dataStart}`, {
      offset: dataStart,
    });
  const headerSize = TRACE_HEADER * (1 + bin.extraTraceHeaders);
  if (dataEnd - dataStart < headerSize)
    throw new ExtractError(
      'TRUNCATED',
      `file ends at byte ${dataEnd} inside the first trace header (starts at byte ${dataStart})`,
      {
        offset: dataEnd,
      },
    );

  const first = await readTraceAt(reader, dataStart, bin.byteOrder, keys, 0);
  // A zero in the binary header defers to the first trace header (segyio would read 0 samples).
  const sampleCount = bin.samplesPerTrace || first.samples;
  const sampleInterval = pickSampleInterval(bin, first.interval);
  const body = dataEnd - dataStart;
  const fixedSize = headerSize + sampleCount * bin.bytesPerSample;
  // Fixed length when the flag says so, or, as segyio always assumes, when traces of the binary
  // header's length fill the file exactly (trace headers may say otherwise: segyio ignores
  // them). Otherwise walk trace by trace, each header giving its own length (the walk also says
  // precisely where a truncated file ends).
  const fixed = bin.fixedLengthTraces || body % fixedSize === 0;

  let traceCount: number;
  let geometry: Geometry;
  let inferred = false;
  let inferenceNote: string | undefined;
  let sortedBy: 'inline' | 'crossline' | undefined;
  const acc = new GeometryAccumulator();
  if (fixed) {
    const traceSize = fixedSize;
    traceCount = Math.floor(body / traceSize);
    const rest = body % traceSize;
    if (rest !== 0) {
      const at = dataStart + traceCount * traceSize;
      throw new ExtractError(
        'TRUNCATED',
        `trace ${traceCount} starts at byte ${at} and needs ${traceSize} bytes (${headerSize}-byte header + ${sampleCount} samples x ${bin.bytesPerSample} bytes) but the file ends at byte ${dataEnd}`,
        {
          offset: dataEnd,
          field: 'binary.samplesPerTrace (SEG-Y bytes 3221-3222)',
        },
      );
    }
    const layout = {
      dataStart,
      traceSize,
      traceCount,
      order: bin.byteOrder,
      keys,
    };
    const fast = opts.fast ? await inferRegularGeometry(reader, layout) : null;
    if (fast && 'geometry' in fast) {
      geometry = fast.geometry;
      sortedBy = fast.sortedBy;
      inferred = true;
    } else {
      if (fast) inferenceNote = `fast mode read every trace header: ${fast.reason}`;
      await scanFixed(reader, layout, opts, (_i, t) => acc.add(t));
      geometry = acc.result();
    }
  } else {
    if (opts.fast) inferenceNote = 'fast mode read every trace header: traces differ in length';
    traceCount = await scanVariable(
      reader,
      dataStart,
      dataEnd,
      headerSize,
      sampleCount,
      bin.bytesPerSample,
      bin.byteOrder,
      keys,
      (_i, t) => acc.add(t),
    );
    geometry = acc.result();
  }

  return {
    kind: 'segy',
    source: reader.source,
    fileSize,
    bytesRead: reader.bytesRead,
    inferred,
    ...(inferenceNote ? { inferenceNote } : {}),
    traceCount,
    sampleCount,
    sampleInterval,
    ...geometry,
    byteOrder: bin.byteOrder,
    format: bin.formatCode,
    formatName: bin.formatName,
    revision: `${bin.revision.major}.${bin.revision.minor}`,
    fixedLengthTraces: fixed,
    textEncoding: encoding,
    textualHeader: decodeTextHeader(head.subarray(0, TEXT), encoding),
    extendedTextualHeaders: ext,
    inlineByte: keys.inlineByte,
    crosslineByte: keys.crosslineByte,
    ...(sortedBy ? { sortedBy } : {}),
  };
}

/**
 * segyio's segy_sample_interval: the binary header's (3217) and the first trace header's (117),
 * both signed; one that is not positive gives way to the other, and two positive ones that
 * disagree give none. Where segyio finds none, a rev 2 file's extended interval (3273) speaks.
 */
function pickSampleInterval(bin: BinaryHeader, trace: number): number | null {
  const b = bin.sampleInterval;
  if (b > 0 && (trace <= 0 || trace === b)) return b;
  if (b <= 0 && trace > 0) return trace;
  return bin.extendedSampleInterval > 0 ? bin.extendedSampleInterval : null;
}

/**
 * The extended textual headers as text: as many as the binary header says, or (a negative count)
 * up to the EndText stanza. Like segyio, EndText ends them in either case, and each block is
 * decoded in the encoding of the stanza it belongs to.
 */
async function readExtendedText(reader: RangeReader, bin: BinaryHeader, encoding: TextEncoding): Promise<string[]> {
  const out: string[] = [];
  const n = bin.extendedTextHeaders;
  if (n === 0) return out;
  const known = n > 0;
  let stanzaEncoding = encoding;
  // One block at a time: an EndText may end a known count early, before the file would.
  for (let k = 0; k < (known ? n : MAX_VARIABLE_EXT_HEADERS); k++) {
    const block = await readExact(reader, BIN_END + k * TEXT, TEXT, `extended textual header ${k}`);
    const stanza = stanzaHeader(block);
    if (stanza) stanzaEncoding = stanza.encoding;
    out.push(decodeTextHeader(block, stanzaEncoding));
    if (stanza && isEndText(stanza.name)) return out;
  }
  if (!known) {
    throw new ExtractError(
      'BAD_HEADER',
      `no ${END_TEXT_STANZA} stanza in the first ${MAX_VARIABLE_EXT_HEADERS} extended textual headers`,
      {
        offset: BIN_END,
        field: 'binary.extendedTextHeaders (SEG-Y bytes 3505-3506)',
      },
    );
  }
  return out;
}
