import type { ObjectStore } from '../../connectors/objects/object-store';
import { DEFAULT_MAX_RANGE_BYTES } from '../../connectors/objects/object-store';
import type { RangeReader } from './range-reader';
import { BadUserInputError, ForbiddenLocationError } from '../../errors';
import { ExtractError } from './extract-error';

/**
 * Ranged reads from an object store (S3 and S3-compatible) through the objects connector.
 * Reads larger than the store's single-request limit are split; the store does the network.
 */
export class ObjectStoreRangeReader implements RangeReader {
  private read_ = 0;
  private size_?: number;

  constructor(
    private readonly store: ObjectStore,
    readonly source: string,
    private readonly maxRangeBytes = DEFAULT_MAX_RANGE_BYTES,
  ) {}

  get bytesRead(): number {
    return this.read_;
  }

  async size(): Promise<number> {
    if (this.size_ !== undefined) return this.size_;
    const [meta] = await this.store.stat([this.source]);
    if (meta === null)
      throw new ExtractError('UNREADABLE', `no object at ${this.source}`, {
        source: this.source,
      });
    if (meta instanceof Error) throw unreadable(this.source, meta);
    this.size_ = meta.size;
    return meta.size;
  }

  async read(offset: number, length: number): Promise<Buffer> {
    const parts: Buffer[] = [];
    let got = 0;
    while (got < length) {
      const want = Math.min(this.maxRangeBytes, length - got);
      let part: Buffer;
      try {
        part = await this.store.readRange(this.source, offset + got, want);
      } catch (e) {
        throw unreadable(this.source, e, offset + got);
      }
      parts.push(part);
      got += part.length;
      if (part.length < want) break; // end of the object
    }
    this.read_ += got;
    return parts.length === 1 ? parts[0] : Buffer.concat(parts, got);
  }

  async close(): Promise<void> {
    // The store belongs to whoever made it; this reader only borrowed it.
  }
}

function unreadable(source: string, e: unknown, offset?: number): ExtractError {
  const why = (e instanceof Error ? e.message : String(e)).split('\n')[0];
  // The store refusing the URI (outside its root, or not a location it takes at all) is
  // permanent: the job fails once with its own code, where an outage would be retried.
  const refused = e instanceof ForbiddenLocationError || e instanceof BadUserInputError;
  return new ExtractError(refused ? 'FORBIDDEN_LOCATION' : 'UNREADABLE', `cannot read ${source}: ${why}`, {
    source,
    offset,
  });
}
