/**
 * The object store: raw files (SEG-Y), training sets (HDF5) and trained models that the users'
 * workflows keep in S3-compatible stores or on POSIX / HPC file systems. provml reads metadata
 * (HEAD / stat, never the body) and, for extractors, byte ranges.
 */
export interface ObjectMetadata {
  uri: string;
  size: number;
  /** S3 ETag without quotes; on a file system a weak tag from size and mtime (`W/"…"`). */
  etag: string | null;
  /** A checksum the store already keeps (e.g. S3 `sha256:<base64>`), never computed by reading. */
  checksum: string | null;
  modified: Date;
  contentType: string | null;
  /** User metadata (S3 `x-amz-meta-*`); file systems give `{}`. */
  metadata: Record<string, string>;
}

export interface ObjectStore {
  readonly id: string;
  /**
   * Metadata of many objects, in key order: metadata, `null` for a missing object, or an Error
   * in that slot (BadUserInputError for a URI this store does not accept).
   */
  stat(uris: readonly string[]): Promise<Array<ObjectMetadata | null | Error>>;
  /**
   * Reads `length` bytes from `offset` (fewer at the end of the object, none past it).
   * Throws NotFoundError for a missing object and LimitExceededError past `maxRangeBytes`.
   */
  readRange(uri: string, offset: number, length: number): Promise<Buffer>;
  /** A time-limited download URL, where the store can make one (S3). */
  presign?(uri: string, ttlSeconds: number): Promise<string>;
  close(): Promise<void>;
}

/** Largest single readRange (64 MiB): extractors read headers and samples, not whole cubes. */
export const DEFAULT_MAX_RANGE_BYTES = 64 * 1024 * 1024;
export const MAX_PRESIGN_TTL_SECONDS = 7 * 24 * 3600;
export const STAT_CONCURRENCY = 16;
