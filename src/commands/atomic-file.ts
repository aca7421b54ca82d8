import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { CommandError } from './command-args';

/**
 * A file written whole or not at all: the bytes go to a temporary file in the destination's own
 * directory (a rename across file systems is a copy), which is fsynced, then moved onto the name
 * and the directory fsynced, so a crash or a failed write leaves the old file (or none), never a
 * partial one. Without `overwrite`, an existing file is refused, also one that appears meanwhile
 * (the final step is a hard link, which fails on an existing name, where rename would replace it).
 */
export interface AtomicFile {
  /** The temporary file's stream: write to it, then `commit()`, or `abort()` on a failure. */
  stream: fs.WriteStream;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

export class OutputExistsError extends CommandError {
  readonly code = 'OUTPUT_EXISTS';
  constructor(readonly file: string) {
    super(`${file} exists; give --overwrite to replace it (it is replaced only once the new one is complete)`);
  }
}

export async function refuseExisting(file: string, overwrite: boolean): Promise<void> {
  if (!overwrite && fs.existsSync(file)) throw new OutputExistsError(file);
}

async function fsyncPath(p: string, flags: string): Promise<void> {
  const handle = await fsp.open(p, flags);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export async function openAtomicFile(file: string, overwrite: boolean): Promise<AtomicFile> {
  await refuseExisting(file, overwrite);
  const dir = path.dirname(path.resolve(file));
  const temp = path.join(dir, `.${path.basename(file)}.${process.pid}-${randomBytes(4).toString('hex')}.partial`);
  const stream = fs.createWriteStream(temp, { flags: 'wx', mode: 0o644 });
  await new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', reject);
  });
  const closed = () =>
    new Promise<void>((resolve, reject) => {
      if (stream.closed) return resolve();
      stream.once('error', reject);
      stream.end(() => resolve());
    });
  return {
    stream,
    commit: async () => {
      try {
        await closed();
        await fsyncPath(temp, 'r');
        if (overwrite) await fsp.rename(temp, file);
        else {
          const linked = await fsp.link(temp, file).then(
            () => true,
            (err: NodeJS.ErrnoException) => {
              if (err.code === 'EEXIST') throw new OutputExistsError(file);
              // A file system without hard links: check again, then rename.
              if (err.code === 'EPERM' || err.code === 'ENOTSUP' || err.code === 'EOPNOTSUPP') return false;
              throw err;
            },
          );
          if (linked) await fsp.unlink(temp);
          else {
            await refuseExisting(file, false);
            await fsp.rename(temp, file);
          }
        }
        await fsyncPath(dir, 'r');
      } finally {
        await fsp.rm(temp, { force: true });
      }
    },
    abort: async () => {
      stream.destroy();
      await fsp.rm(temp, { force: true });
    },
  };
}
