import { promises as fsp, readSync } from 'fs';
import type { SyncRangeReader } from './range-reader';
import { ExtractError } from './extract-error';

/** Ranged reads from a local (or parallel) file system through one open file handle. */
export class FileRangeReader implements SyncRangeReader {
  private read_ = 0;
  private size_?: number;

  private constructor(
    private readonly handle: fsp.FileHandle,
    readonly source: string,
  ) {}

  static async open(path: string): Promise<FileRangeReader> {
    try {
      return new FileRangeReader(await fsp.open(path, 'r'), path);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
      throw new ExtractError('UNREADABLE', `cannot open ${path}: ${code}`, {
        source: path,
      });
    }
  }

  get bytesRead(): number {
    return this.read_;
  }

  async size(): Promise<number> {
    if (this.size_ === undefined) this.size_ = (await this.handle.stat()).size;
    return this.size_;
  }

  async read(offset: number, length: number): Promise<Buffer> {
    const buf = Buffer.allocUnsafe(length);
    let got = 0;
    // A regular file answers short only at its end; loop anyway, the contract is "all or EOF".
    while (got < length) {
      const { bytesRead } = await this.handle.read(buf, got, length - got, offset + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    this.read_ += got;
    return got === length ? buf : buf.subarray(0, got);
  }

  readSync(offset: number, length: number, into: Uint8Array, intoOffset: number): number {
    const n = readSync(this.handle.fd, into, intoOffset, length, offset);
    this.read_ += n;
    return n;
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}
