import { constants } from 'node:fs';
import { open, readlink, realpath, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { NotFoundError } from '../../errors';
import { ObjectPathEscapeError } from './object-errors';

/** True when `p` is `root` or lies below it (both absolute; no file system access). */
export function isUnder(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * Opens `file` for reading and proves, on the open descriptor, that what was opened lies under
 * `realRoot`. A realpath check made before the open (when the URI was resolved, or when the
 * store was registered) is not enough: a directory on the path can be swapped for a symlink
 * out of the root in between, and O_NOFOLLOW guards only the last component. On Linux the
 * kernel's name of the descriptor (/proc/self/fd/N) is checked; elsewhere the file is resolved
 * again and must be the same inode. O_NONBLOCK: a FIFO planted under the root cannot hang the
 * read. Anything but a regular file is answered as missing.
 */
export async function openUnderRoot(file: string, realRoot: string, uri: string): Promise<FileHandle> {
  const handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new NotFoundError('object', uri);
    let opened: string | null = null;
    try {
      opened = await readlink(`/proc/self/fd/${handle.fd}`);
    } catch {
      opened = null; // no procfs: fall back to comparing inodes below
    }
    if (opened !== null) {
      if (!path.isAbsolute(opened) || !isUnder(realRoot, opened)) {
        throw new ObjectPathEscapeError(uri, 'the file opened lies outside the root (a link on its path)');
      }
    } else {
      const again = await realpath(file);
      const st2 = await stat(again);
      if (!isUnder(realRoot, again) || st2.ino !== st.ino || st2.dev !== st.dev) {
        throw new ObjectPathEscapeError(uri, 'the file opened lies outside the root (a link on its path)');
      }
    }
    return handle;
  } catch (err) {
    await handle.close();
    throw err;
  }
}
