/**
 * Random access to the bytes of one raw file, wherever it lives (file system, S3, ...).
 * Extractors read only through this interface, so what they cost is the same on every store
 * and `bytesRead` tells the truth about it.
 */
export interface RangeReader {
  /** Total size of the file in bytes. */
  size(): Promise<number>;
  /**
   * The bytes [offset, offset + length). At the end of the file the buffer is shorter than
   * `length` (possibly empty); it is never padded.
   */
  read(offset: number, length: number): Promise<Buffer>;
  /** Bytes returned by `read` so far: what the extraction cost. */
  readonly bytesRead: number;
  /** Where the bytes come from, for error messages (a path or a URI). */
  readonly source: string;
  close(): Promise<void>;
}

/**
 * A reader that can also answer synchronously. The HDF5 library runs synchronously inside
 * WebAssembly, so it can read lazily only from readers that offer this (the file system);
 * others are copied whole into memory first.
 */
export interface SyncRangeReader extends RangeReader {
  readSync(offset: number, length: number, into: Uint8Array, intoOffset: number): number;
}

export function isSyncRangeReader(r: RangeReader): r is SyncRangeReader {
  return typeof (r as Partial<SyncRangeReader>).readSync === 'function';
}
