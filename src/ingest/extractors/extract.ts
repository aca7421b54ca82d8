import type { RangeReader } from './range-reader';
import { ExtractError } from './extract-error';
import type { ExtractResult } from './extract-result';
import { readSegy, type SegyOptions } from './segy-reader';
import { readHdf5, HDF5_SIGNATURE, type Hdf5Options } from './hdf5-reader';
import { looksLikeTextHeader } from './segy-text';

export type ExtractFormat = 'segy' | 'hdf5';

export interface ExtractOptions extends SegyOptions, Hdf5Options {
  /** Skip detection and read the file as this format. */
  format?: ExtractFormat;
}

/**
 * Which format a file is, from its first bytes: HDF5 by its signature (at 0 or after a
 * user block of 512, 1024, 2048, ... bytes), SEG-Y by a 3200-byte textual header (or a
 * .sgy/.segy name, for files whose textual header is blank).
 */
export async function detectFormat(reader: RangeReader, head?: Buffer): Promise<ExtractFormat> {
  const size = await reader.size();
  if (size === 0)
    throw new ExtractError('UNKNOWN_FORMAT', 'the file is empty', {
      offset: 0,
    });
  head ??= await reader.read(0, Math.min(size, 3200));
  if (head.subarray(0, 8).equals(HDF5_SIGNATURE)) return 'hdf5';
  if (looksLikeTextHeader(head.subarray(0, 3200)) || /\.se?gy$/i.test(reader.source)) return 'segy';
  for (let off = 512; off + 8 <= size && off <= 1 << 20; off *= 2) {
    const sig = off + 8 <= head.length ? head.subarray(off, off + 8) : await reader.read(off, 8);
    if (sig.equals(HDF5_SIGNATURE)) return 'hdf5';
  }
  throw new ExtractError(
    'UNKNOWN_FORMAT',
    `neither SEG-Y (bytes 0-3199 are not a textual header) nor HDF5 (no signature at byte 0 or a user-block boundary)`,
    { offset: 0 },
  );
}

/** Extracts the metadata of one SEG-Y or HDF5 file; `bytesRead` in the result says what it cost. */
export async function extract(reader: RangeReader, opts: ExtractOptions = {}): Promise<ExtractResult> {
  // The SEG-Y file headers serve detection too: read them once.
  const size = await reader.size();
  const head = size > 0 ? await reader.read(0, Math.min(size, 3600)) : undefined;
  const format = opts.format ?? (await detectFormat(reader, head));
  return format === 'hdf5' ? readHdf5(reader, opts) : readSegy(reader, opts, head);
}
