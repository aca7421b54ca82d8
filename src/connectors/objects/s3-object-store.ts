import { GetObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { BadUserInputError, NotFoundError, ProvmlError } from '../../errors';
import { DEFAULT_TIMEOUT_MS, mapBounded, toStoreError, withDeadline, type StoreCallOptions } from '../store-call';
import {
  DEFAULT_MAX_RANGE_BYTES,
  MAX_PRESIGN_TTL_SECONDS,
  STAT_CONCURRENCY,
  type ObjectMetadata,
  type ObjectStore,
} from './object-store';
import { checkRange } from './range-check';
import { parseS3Uri } from './s3-uri';

export interface S3ObjectStoreOptions extends StoreCallOptions {
  /** When set, only this bucket is readable. */
  bucket?: string;
  /** When set, only keys under this prefix are readable. */
  prefix?: string;
  maxRangeBytes?: number;
}

/**
 * Object store over S3 and S3-compatible servers (MinIO, Ceph RGW, AWS), given a configured
 * S3Client (path-style addressing and a custom endpoint come from the client). S3 has no batch
 * HEAD, so `stat` sends one HEAD per object, at most 16 in flight.
 */
export class S3ObjectStore implements ObjectStore {
  readonly id: string;
  private readonly timeoutMs: number;
  private readonly maxRangeBytes: number;

  constructor(
    private readonly client: S3Client,
    private readonly options: S3ObjectStoreOptions,
  ) {
    this.id = options.id;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.maxRangeBytes = options.maxRangeBytes ?? DEFAULT_MAX_RANGE_BYTES;
  }

  async stat(uris: readonly string[]): Promise<Array<ObjectMetadata | null | Error>> {
    return mapBounded(uris, STAT_CONCURRENCY, async (uri) => {
      try {
        const { bucket, key } = parseS3Uri(uri, this.options);
        const head = await withDeadline(this.id, this.timeoutMs, (abortSignal) =>
          this.client.send(new HeadObjectCommand({ Bucket: bucket, Key: key, ChecksumMode: 'ENABLED' }), { abortSignal }),
        );
        const checksum = head.ChecksumSHA256
          ? `sha256:${head.ChecksumSHA256}`
          : head.ChecksumCRC32C
            ? `crc32c:${head.ChecksumCRC32C}`
            : head.ChecksumCRC32
              ? `crc32:${head.ChecksumCRC32}`
              : null;
        return {
          uri,
          size: head.ContentLength ?? 0,
          etag: head.ETag ? head.ETag.replace(/^"|"$/g, '') : null,
          checksum,
          modified: head.LastModified ?? new Date(0),
          contentType: head.ContentType ?? null,
          metadata: head.Metadata ?? {},
        };
      } catch (err) {
        if (isNotFound(err)) return null;
        return err instanceof ProvmlError ? err : this.fail('stat', err);
      }
    });
  }

  async readRange(uri: string, offset: number, length: number): Promise<Buffer> {
    checkRange(offset, length, this.maxRangeBytes);
    const { bucket, key } = parseS3Uri(uri, this.options);
    if (length === 0) {
      const [meta] = await this.stat([uri]);
      if (meta instanceof Error) throw meta;
      if (!meta) throw new NotFoundError('object', uri);
      return Buffer.alloc(0);
    }
    try {
      return await withDeadline(this.id, this.timeoutMs, async (abortSignal) => {
        const out = await this.client.send(
          new GetObjectCommand({ Bucket: bucket, Key: key, Range: `bytes=${offset}-${offset + length - 1}` }),
          { abortSignal },
        );
        const bytes = Buffer.from((await out.Body?.transformToByteArray()) ?? new Uint8Array());
        // A server that ignores Range sends the whole object: cut it here.
        return out.ContentRange ? bytes.subarray(0, length) : bytes.subarray(offset, offset + length);
      });
    } catch (err) {
      if (isNotFound(err)) throw new NotFoundError('object', uri);
      // 416: the object exists but ends before `offset`.
      if (httpStatus(err) === 416 || (err as { name?: unknown }).name === 'InvalidRange') return Buffer.alloc(0);
      if (err instanceof ProvmlError) throw err;
      throw this.fail('readRange', err);
    }
  }

  async presign(uri: string, ttlSeconds: number): Promise<string> {
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > MAX_PRESIGN_TTL_SECONDS) {
      throw new BadUserInputError(`ttlSeconds must be an integer from 1 to ${MAX_PRESIGN_TTL_SECONDS}`, 'ttlSeconds');
    }
    const { bucket, key } = parseS3Uri(uri, this.options);
    // Signing is local: no request reaches the store.
    return getSignedUrl(this.client, new GetObjectCommand({ Bucket: bucket, Key: key }), { expiresIn: ttlSeconds });
  }

  async close(): Promise<void> {
    this.client.destroy();
  }

  private fail(op: string, err: unknown): ProvmlError {
    const typed = toStoreError(this.id, err, this.timeoutMs);
    this.options.log?.('warn', 's3 call failed', { store: this.id, op, code: typed.extensions.code, error: typed.message });
    return typed;
  }
}

function httpStatus(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
}

function isNotFound(err: unknown): boolean {
  const name = (err as { name?: unknown })?.name;
  return name === 'NotFound' || name === 'NoSuchKey' || name === 'NoSuchBucket' || httpStatus(err) === 404;
}
