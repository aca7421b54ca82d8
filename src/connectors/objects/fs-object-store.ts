import type { Stats } from 'node:fs';
import { realpath, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BadUserInputError, NotFoundError, ProvmlError } from '../../errors';
import { DEFAULT_TIMEOUT_MS, mapBounded, toStoreError, withDeadline, type StoreCallOptions } from '../store-call';
import { contentTypeFor } from './content-type';
import { ObjectPathEscapeError } from './object-errors';
import { DEFAULT_MAX_RANGE_BYTES, STAT_CONCURRENCY, type ObjectMetadata, type ObjectStore } from './object-store';
import { checkRange } from './range-check';
import { isUnder, openUnderRoot } from './confined-open';

export interface FsObjectStoreOptions extends StoreCallOptions {
  /** Directory every object must lie under, after symlinks are resolved. */
  root: string;
  /**
   * How an absolute path or file:// URI maps to a file: `host` (default) takes it as a path on
   * this machine that must lie under `root` (HPC file systems); `rooted` takes it relative to
   * `root`, as in a chroot (`/data/x.sgy` is `<root>/data/x.sgy`; the demo uses this).
   */
  paths?: 'host' | 'rooted';
  maxRangeBytes?: number;
}

/**
 * Object store over a POSIX file system (also Lustre, GPFS and other HPC file systems).
 * Metadata comes from stat(2) alone; `..` segments and symlinks that leave the root are refused
 * with ObjectPathEscapeError. File systems keep no content type or user metadata: the type is
 * guessed from the extension and `metadata` is `{}`.
 */
export class FsObjectStore implements ObjectStore {
  readonly id: string;
  private readonly timeoutMs: number;
  private readonly maxRangeBytes: number;
  private realRoot?: Promise<string>;

  constructor(private readonly options: FsObjectStoreOptions) {
    this.id = options.id;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.maxRangeBytes = options.maxRangeBytes ?? DEFAULT_MAX_RANGE_BYTES;
  }

  async stat(uris: readonly string[]): Promise<Array<ObjectMetadata | null | Error>> {
    return mapBounded(uris, STAT_CONCURRENCY, async (uri) => {
      try {
        return await this.call(async () => {
          const file = await this.resolve(uri);
          if (!file) return null;
          const st = await this.statUnderRoot(file, uri);
          if (!st?.isFile()) return null;
          return {
            uri,
            size: st.size,
            etag: `W/"${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}"`,
            checksum: null,
            modified: new Date(st.mtimeMs),
            contentType: contentTypeFor(file),
            metadata: {},
          };
        });
      } catch (err) {
        return err instanceof ProvmlError ? err : toStoreError(this.id, err, this.timeoutMs);
      }
    });
  }

  async readRange(uri: string, offset: number, length: number): Promise<Buffer> {
    checkRange(offset, length, this.maxRangeBytes);
    try {
      return await this.call(async () => {
        const file = await this.resolve(uri);
        if (!file) throw new NotFoundError('object', uri);
        // Checked again on the open descriptor: a link swapped in after resolve() is refused.
        const handle = await openUnderRoot(file, await this.realRoot!, uri);
        try {
          const out = Buffer.alloc(length);
          let filled = 0;
          while (filled < length) {
            const { bytesRead } = await handle.read(out, filled, length - filled, offset + filled);
            if (bytesRead === 0) break;
            filled += bytesRead;
          }
          return out.subarray(0, filled);
        } finally {
          await handle.close();
        }
      });
    } catch (err) {
      if (err instanceof ProvmlError) throw err;
      if ((err as NodeJS.ErrnoException).code === 'EISDIR') throw new NotFoundError('object', uri);
      throw toStoreError(this.id, err, this.timeoutMs);
    }
  }

  async close(): Promise<void> {
    // Nothing held open between calls.
  }

  /**
   * Metadata taken from the open descriptor (openUnderRoot), so a link swapped in after
   * resolve() cannot reveal the size of a file outside the root; null for anything but a file.
   * A file the server may not open is stat'ed by name: its metadata is all the server has.
   */
  private async statUnderRoot(file: string, uri: string): Promise<Stats | null> {
    let handle: FileHandle;
    try {
      handle = await openUnderRoot(file, await this.realRoot!, uri);
    } catch (err) {
      if (err instanceof NotFoundError) return null;
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EACCES' || code === 'EPERM') return stat(file);
      if (code === 'ELOOP' || code === 'ENOENT') return null; // swapped or removed since resolve()
      throw err;
    }
    try {
      return await handle.stat();
    } finally {
      await handle.close();
    }
  }

  /** The real path of `uri` under the root, null when nothing is there; throws on escapes. */
  private async resolve(uri: string): Promise<string | null> {
    const root = await (this.realRoot ??= realpath(this.options.root));
    const requested = this.toPath(uri);
    const candidate = this.options.paths === 'rooted' ? path.join(root, requested) : path.resolve(requested);
    if (this.options.paths !== 'rooted' && !isUnder(root, candidate) && !isUnder(path.resolve(this.options.root), candidate)) {
      throw new ObjectPathEscapeError(uri, `not under ${this.options.root}`);
    }
    // realpath below resolves a root that is itself a symlink; only the lexical check needs both.
    const lexical = candidate;
    let real: string;
    try {
      real = await realpath(lexical);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' && (err as NodeJS.ErrnoException).code !== 'ENOTDIR') throw err;
      // Missing: still refuse if the part that exists already leads out through a symlink.
      const ancestor = await nearestExisting(path.dirname(lexical));
      if (!isUnder(root, ancestor)) throw new ObjectPathEscapeError(uri, 'a symbolic link leads out of the root');
      return null;
    }
    if (!isUnder(root, real)) throw new ObjectPathEscapeError(uri, 'a symbolic link leads out of the root');
    return real;
  }

  private toPath(uri: string): string {
    if (typeof uri !== 'string' || uri.length === 0) throw new BadUserInputError('uri must be a non-empty string', 'uri');
    if (uri.includes('\u0000')) throw new BadUserInputError('uri contains a NUL byte', 'uri');
    let p: string;
    if (uri.startsWith('file:')) {
      try {
        p = fileURLToPath(uri);
      } catch (err) {
        throw new BadUserInputError(`uri is not a local file URI: ${(err as Error).message}`, 'uri');
      }
    } else if (uri.startsWith('/')) {
      p = uri;
    } else {
      throw new BadUserInputError('uri must be a file:// URI or an absolute path', 'uri', { uri: uri.slice(0, 200) });
    }
    if (p.split('/').includes('..')) throw new ObjectPathEscapeError(uri, '".." segments are not allowed');
    return p;
  }

  private call<T>(fn: () => Promise<T>): Promise<T> {
    return withDeadline(this.id, this.timeoutMs, fn);
  }
}

async function nearestExisting(dir: string): Promise<string> {
  for (let d = dir; ; d = path.dirname(d)) {
    try {
      return await realpath(d);
    } catch {
      if (d === path.dirname(d)) return d;
    }
  }
}
