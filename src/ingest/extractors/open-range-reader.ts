import { fileURLToPath } from 'url';
import type { ObjectStore } from '../../connectors/objects/object-store';
import type { RangeReader } from './range-reader';
import { FileRangeReader } from './file-range-reader';
import { ObjectStoreRangeReader } from './object-store-range-reader';
import { ExtractError } from './extract-error';

export interface OpenOptions {
  /** Store for `s3://` URIs (the caller builds and owns it). */
  objectStore?: ObjectStore;
}

/** A RangeReader for a path, a `file://` URI or an `s3://bucket/key` URI. */
export async function openRangeReader(target: string, opts: OpenOptions = {}): Promise<RangeReader> {
  if (target.startsWith('s3://')) {
    if (!opts.objectStore)
      throw new ExtractError('UNREADABLE', `no object store is configured for ${target}`, { source: target });
    return new ObjectStoreRangeReader(opts.objectStore, target);
  }
  if (target.startsWith('file://')) {
    let path: string;
    try {
      path = fileURLToPath(target);
    } catch {
      throw new ExtractError('UNREADABLE', `${target} is not a valid file:// URI`, { source: target });
    }
    return FileRangeReader.open(path);
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(target))
    throw new ExtractError('UNREADABLE', `unsupported URI scheme in ${target} (file:// and s3:// are)`, {
      source: target,
    });
  return FileRangeReader.open(target);
}
