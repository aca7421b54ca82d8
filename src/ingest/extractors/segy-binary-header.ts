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
  /** Bytes 3217-3218, a signed 16-bit integer (segyio reads it signed: -2000 is not 63536). */
  sampleInterval: number;
  /** Rev 2's IEEE double at 3273-3280 (0 when unset or not a rev 2 file). */
  extendedSampleInterval: number;
  samplesPerTrace: number;
  formatCode: number;
  formatName: string;
  bytesPerSample: number;
  revision: { major: number; minor: number };
  fixedLengthTraces: boolean;
  /** Extended textual headers after the binary header; negative: a variable count ended by a stanza. */
  extendedTextHeaders: number;
  /** Extra 240-byte trace headers after each standard one (rev 2, bytes 3507-3508). */
  extraTraceHeaders: number;
  /** Rev 2.1: where the first trace starts (0: right after the textual headers). */
  firstTraceOffset: number;
  /** Rev 2: 3200-byte trailer stanzas at the end of the file. */
  trailerStanzas: number;
}

export const BIN = 3200; // file offset of the binary header
export const BIN_END = 3600;

// File offsets (0-based) of the fields we read; names, sizes and signedness follow SEG-Y rev 2.1
// table 2 as segyio reads them (lib/src/segy.c binheader_map).
const F = {
  interval: 3216, // int16
  samples: 3220, // uint16
  format: 3224, // int16
  extSamples: 3268, // int32
  extInterval: 3272, // IEEE double
  byteOrderConstant: 3296, // int32
  major: 3500, // uint8
  minor: 3501, // uint8
  fixedLength: 3502, // int16
  extTextHeaders: 3504, // int16
  extraTraceHeaders: 3506, // int16
  firstTraceOffset: 3520, // uint64
  trailerStanzas: 3528, // int32
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
  // segyio reads the rev 2 fields whenever byte 3501 is 2 or more (rev 1 wrote 0x0100 there,
  // so its major byte is 1). Fields segyio does not read (the extended interval, trailers) we
  // honour only in a file that says exactly rev 2, where they cannot be leftover noise.
  const rev2 = major >= 2;
  const exactlyRev2 = major === 2;

  const samples = u16(F.samples);
  const extSamples = h.getInt32(F.extSamples - BIN, le);
  // segyio's segy_samples: the extended count when the 16-bit one is 0, or in a rev 2 file.
  const samplesPerTrace = extSamples > 0 && (samples === 0 || rev2) ? extSamples : samples;
  const dt = h.getFloat64(F.extInterval - BIN, le);
  const extendedSampleInterval = exactlyRev2 && Number.isFinite(dt) && dt > 0 ? dt : 0;
  let extraTraceHeaders = 0;
  let firstTraceOffset = 0;
  let trailerStanzas = 0;
  if (rev2) {
    extraTraceHeaders = i16(F.extraTraceHeaders);
    if (extraTraceHeaders < 0)
      throw new ExtractError('BAD_HEADER', `additional trace header count ${extraTraceHeaders} is negative`, {
        offset: F.extraTraceHeaders,
        field: 'binary.maxAdditionalTraceHeaders (SEG-Y bytes 3507-3508)',
      });
    firstTraceOffset = u64(F.firstTraceOffset);
  }
  if (exactlyRev2) {
    // -1 means "unknown": we do not scan for trailers then.
    trailerStanzas = Math.max(0, h.getInt32(F.trailerStanzas - BIN, le));
  }
  const extendedTextHeaders = i16(F.extTextHeaders);
  return {
    byteOrder,
    sampleInterval: i16(F.interval),
    extendedSampleInterval,
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
