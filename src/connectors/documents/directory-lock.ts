import { hostname } from 'node:os';
import { open, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';

/** Lock file of a document directory; not a .json name, so readers never take it for documents. */
export const LOCK_FILE = '.provml-documents.lock';

export interface DirectoryLockOptions {
  /** Give up after this long (ms); default 10 s. */
  timeoutMs?: number;
  /** A lock older than this is a holder that died on another host (ms); default 30 s. */
  staleMs?: number;
}

export class DirectoryLockTimeoutError extends Error {
  constructor(dir: string, ms: number) {
    super(`document directory ${dir} stayed locked for ${ms} ms (${LOCK_FILE}); another provml replica may be stuck`);
    this.name = 'DirectoryLockTimeoutError';
  }
}

const HOST = hostname();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists and belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True when the lock's holder is known to be gone: dead on this host, or silent past staleMs. */
async function isStale(file: string, staleMs: number): Promise<boolean> {
  const [text, info] = await Promise.all([readFile(file, 'utf8').catch(() => ''), stat(file).catch(() => null)]);
  if (!info) return false; // released meanwhile: just try again
  const [host, pid] = text.split('\n');
  if (host === HOST && Number(pid) > 0 && !alive(Number(pid))) return true;
  return Date.now() - info.mtimeMs > staleMs;
}

/**
 * Runs `fn` holding `<dir>/.provml-documents.lock`, created with O_EXCL (atomic on local file
 * systems and on NFSv3+), so replicas sharing the directory rewrite a file one at a time and
 * none loses another's merge. The lock is held for one read-merge-write (milliseconds), so a
 * lock older than staleMs, or one whose pid is dead on this host, is taken over.
 */
export async function withDirectoryLock<T>(dir: string, fn: () => Promise<T>, options: DirectoryLockOptions = {}): Promise<T> {
  const file = path.join(dir, LOCK_FILE);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const staleMs = options.staleMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  for (let delay = 5; ; delay = Math.min(delay * 2, 200)) {
    try {
      const handle = await open(file, 'wx');
      try {
        await handle.writeFile(`${HOST}\n${process.pid}\n`);
      } finally {
        await handle.close();
      }
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (await isStale(file, staleMs)) {
        // Not atomic with the check: two takers of one stale lock at the same instant could both
        // go on (there is no unlink-if-unchanged). It needs a holder that died mid-write first.
        await rm(file, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new DirectoryLockTimeoutError(dir, timeoutMs);
      await new Promise((r) => setTimeout(r, delay));
    }
  }
  try {
    return await fn();
  } finally {
    await rm(file, { force: true });
  }
}
