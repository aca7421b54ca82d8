import { ExtractError } from './extract-error';

export type ByteOrder = 'big' | 'little';

/** SEG-Y sample formats (rev 2 table 1): code → bytes per sample and a name. */
export const SAMPLE_FORMATS: Readonly<Record<number, { bytes: number; name: string }>> = {
  1: { bytes: 4, name: 'ibm-float32' },
  2: { bytes: 4, name: 'int32' },
  3: { bytes: 2, name: 'int16' },
  4: { bytes: 4, name: 'fixed-point-gain32' },
  5: { bytes: 4, name: 'ieee-float32' },
  6: { bytes: 8, name: 'ieee-float64' },
  7: { bytes: 3, name: 'int24' },
  8: { bytes: 1, name: 'int8' },
  9: { bytes: 8, name: 'int64' },
  10: { bytes: 4, name: 'uint32' },
  11: { bytes: 2, name: 'uint16' },
  12: { bytes: 8, name: 'uint64' },
  15: { bytes: 3, name: 'uint24' },
  16: { bytes: 1, name: 'uint8' },
};

/** The binary file header: the 400 bytes at file offset 3200. */
export interface BinaryHeader {
  byteOrder: ByteOrder;
  /** µs (or Hz, m, ft for non-time data), rev 2's IEEE-double override applied. */
  sampleInterval: number;
  samplesPerTrace: number;
  formatCode: number;
  formatName: string;
  bytesPerSample: number;
  revision: { major: number; minor: number };
  fixedLengthTraces: boolean;
  /** Extended textual headers after the binary header; -1: a variable count ended by a stanza. */
  extendedTextHeaders: number;
  /** Extra 240-byte trace headers after each standard one (rev 2). */
  extraTraceHeaders: number;
  /** Rev 2.1: where the first trace starts (0: right after the textual headers). */
  firstTraceOffset: number;
  /** Rev 2: 3200-byte trailer stanzas at the end of the file. */
  trailerStanzas: number;
}

export const BIN = 3200; // file offset of the binary header
export const BIN_END = 3600;

// File offsets (0-based) of the fields we read; names follow the SEG-Y rev 2 standard.
const F = {
  interval: 3216,
  samples: 3220,
  format: 3224,
  extSamples: 3268,
  extInterval: 3272,
  byteOrderConstant: 3296,
  major: 3500,
  minor: 3501,
  fixedLength: 3502,
  extTextHeaders: 3504,
  extraTraceHeaders: 3506,
  firstTraceOffset: 3520,
  trailerStanzas: 3528,
} as const;

/** Byte order from rev 2's constant 16909060, else from which reading gives a known format code. */
export function detectByteOrder(h: DataView): ByteOrder {
  const c = h.getUint32(F.byteOrderConstant - BIN, false);
  if (c === 0x01020304) return 'big';
  if (c === 0x04030201) return 'little';
  const be = h.getUint16(F.format - BIN, false);
  const le = h.getUint16(F.format - BIN, true);
  if (SAMPLE_FORMATS[be]) return 'big';
  if (SAMPLE_FORMATS[le]) return 'little';
  throw new ExtractError(
    'BAD_HEADER',
    `sample format code is ${be} read big-endian and ${le} little-endian; SEG-Y knows ${Object.keys(SAMPLE_FORMATS).join(',')}`,
    { offset: F.format, field: 'binary.formatCode (SEG-Y bytes 3225-3226)' },
  );
}

/** Parses the 400-byte binary header (`bytes` starts at file offset 3200). */
export function parseBinaryHeader(bytes: Uint8Array): BinaryHeader {
  const h = new DataView(bytes.buffer, bytes.byteOffset, 400);
  const byteOrder = detectByteOrder(h);
  const le = byteOrder === 'little';
  const u16 = (off: number) => h.getUint16(off - BIN, le);
  const i16 = (off: number) => h.getInt16(off - BIN, le);
  const u32 = (off: number) => h.getUint32(off - BIN, le);
  const u64 = (off: number) => Number(h.getBigUint64(off - BIN, le));

  const formatCode = u16(F.format);
  const fmt = SAMPLE_FORMATS[formatCode];
  if (!fmt)
    throw new ExtractError('BAD_HEADER', `sample format code ${formatCode} is not a SEG-Y format`, {
      offset: F.format,
      field: 'binary.formatCode (SEG-Y bytes 3225-3226)',
    });
  const major = h.getUint8(F.major - BIN);
  const minor = h.getUint8(F.minor - BIN);
  // Fields SEG-Y rev 2 gave meaning to were "unassigned" before and may hold anything there.
  const rev2 = major >= 2 && major < 16;

  let samplesPerTrace = u16(F.samples);
  let sampleInterval = u16(F.interval);
  let extraTraceHeaders = 0;
  let firstTraceOffset = 0;
  let trailerStanzas = 0;
  if (rev2) {
    const ext = u32(F.extSamples);
    if (ext > 0) samplesPerTrace = ext;
    const dt = h.getFloat64(F.extInterval - BIN, le);
    if (Number.isFinite(dt) && dt > 0) sampleInterval = dt;
    extraTraceHeaders = u32(F.extraTraceHeaders);
    firstTraceOffset = u64(F.firstTraceOffset);
    trailerStanzas = h.getInt32(F.trailerStanzas - BIN, le);
    if (extraTraceHeaders > 65535)
      throw new ExtractError('BAD_HEADER', `${extraTraceHeaders} extra trace headers per trace is implausible`, {
        offset: F.extraTraceHeaders,
        field: 'binary.maxAdditionalTraceHeaders (SEG-Y bytes 3507-3510)',
      });
    if (trailerStanzas < 0) trailerStanzas = 0; // rev 2: -1 means "unknown"; we do not scan trailers
  }
  const extendedTextHeaders = i16(F.extTextHeaders);
  if (extendedTextHeaders < -1)
    throw new ExtractError('BAD_HEADER', `extended textual header count ${extendedTextHeaders} is negative`, {
      offset: F.extTextHeaders,
      field: 'binary.extendedTextHeaders (SEG-Y bytes 3505-3506)',
    });
  return {
    byteOrder,
    sampleInterval,
    samplesPerTrace,
    formatCode,
    formatName: fmt.name,
    bytesPerSample: fmt.bytes,
    revision: { major, minor },
    fixedLengthTraces: i16(F.fixedLength) === 1,
    extendedTextHeaders,
    extraTraceHeaders,
    firstTraceOffset,
    trailerStanzas,
  };
}
