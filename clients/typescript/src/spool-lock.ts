import fs from 'node:fs';

/**
 * Who writes a spool: `<spool>.lock`, a symbolic link whose target is the writer's pid. Node has
 * no flock, and a lock file written in two steps (create, then write the pid) is left empty when
 * the disk is already full, which another process would read as no owner and take over. A
 * symlink is made in one call, pid included, and a short target lives in the inode (ext4, tmpfs,
 * xfs), so the lock is whole even on a full disk, or not there at all (Emacs locks files the same
 * way). Where symlinks cannot be made (Windows without the privilege, FAT), the lock is a plain
 * file holding the pid, removed again if the pid cannot be written.
 */

export class SpoolLockedError extends Error {
  constructor(
    readonly spoolPath: string,
    /** The holder's pid; -1 when the lock names none (a writer's lock still being written, or one left by an older client on a full disk). */
    readonly pid: number,
    detail?: string,
  ) {
    super(detail ?? `spool ${spoolPath} is in use by process ${pid}`);
    this.name = 'SpoolLockedError';
  }
}

/** The spool's lock could not be made whole (the disk is full, or over quota): nothing was left behind. */
export class SpoolLockUnwritableError extends Error {
  constructor(
    readonly spoolPath: string,
    readonly lockPath: string,
    /** The errno code the file system gave (ENOSPC, EDQUOT, ...). */
    readonly code: string,
  ) {
    super(`cannot write the lock ${lockPath} of spool ${spoolPath} (${code}): free some space or choose another spool file`);
    this.name = 'SpoolLockUnwritableError';
  }
}

const errno = (err: unknown) => (err as NodeJS.ErrnoException).code ?? '';
const DISK_FULL = ['ENOSPC', 'EDQUOT'];
/** Symlink errors that mean "this file system or OS makes none", not "the lock is taken". */
const NO_SYMLINKS = ['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS'];

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errno(err) === 'EPERM';
  }
}

/** The pid a lock names: a number, null for a lock naming none, undefined for no lock. */
function readLock(lockPath: string): number | null | undefined {
  try {
    const text = fs.lstatSync(lockPath).isSymbolicLink() ? fs.readlinkSync(lockPath) : fs.readFileSync(lockPath, 'utf8');
    const pid = Number(text.trim());
    return text.trim() && Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch (err) {
    if (errno(err) === 'ENOENT') return undefined;
    throw err;
  }
}

/** Makes the lock in one step; false when it exists already. */
function create(spoolPath: string, lockPath: string): boolean {
  const pid = String(process.pid);
  try {
    fs.symlinkSync(pid, lockPath);
    return true;
  } catch (err) {
    if (errno(err) === 'EEXIST') return false;
    if (DISK_FULL.includes(errno(err))) throw new SpoolLockUnwritableError(spoolPath, lockPath, errno(err));
    if (!NO_SYMLINKS.includes(errno(err))) throw err;
  }
  let fd: number;
  try {
    fd = fs.openSync(lockPath, 'wx');
  } catch (err) {
    if (errno(err) === 'EEXIST') return false;
    if (DISK_FULL.includes(errno(err))) throw new SpoolLockUnwritableError(spoolPath, lockPath, errno(err));
    throw err;
  }
  try {
    fs.writeSync(fd, pid);
    fs.closeSync(fd);
    return true;
  } catch (err) {
    // An empty lock would be taken over by the next process: better no lock and a clear error.
    fs.closeSync(fd);
    fs.rmSync(lockPath, { force: true });
    if (DISK_FULL.includes(errno(err))) throw new SpoolLockUnwritableError(spoolPath, lockPath, errno(err));
    throw err;
  }
}

/**
 * Removes a dead writer's lock, and only it. Two openers that both find it dead must not both
 * remove "the" lock: the second would remove the one the first has just made, and both would
 * write the spool. So the lock is moved aside first (one rename wins), and what was moved is put
 * back if it is not the dead writer's any more.
 */
function takeOverDead(lockPath: string, deadPid: number): void {
  const aside = `${lockPath}.stale-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
  try {
    fs.renameSync(lockPath, aside);
  } catch (err) {
    if (errno(err) === 'ENOENT') return; // another opener moved it first
    throw err;
  }
  try {
    // link(2) does not follow a symlink: the lock itself goes back, unless one is there already.
    if (readLock(aside) !== deadPid) fs.linkSync(aside, lockPath);
  } catch {
    // A lock is in place again (EEXIST): the next attempt reads it.
  } finally {
    fs.rmSync(aside, { force: true });
  }
}

/**
 * Takes `lockPath` for `spoolPath`. Throws SpoolLockedError while a live process (this one
 * included) holds it, or while it names no process; a dead process's lock is taken over.
 */
export function acquireSpoolLock(spoolPath: string, lockPath: string): void {
  for (let attempt = 0; attempt < 3; attempt++) {
    if (create(spoolPath, lockPath)) return;
    const pid = readLock(lockPath);
    if (pid === undefined) continue; // released meanwhile
    if (pid === null)
      throw new SpoolLockedError(
        spoolPath,
        -1,
        `spool ${spoolPath} is locked by ${lockPath}, which names no process (a writer starting now, or an ` +
          'older client on a full disk): remove it if no job writes this spool',
      );
    if (pid === process.pid || processAlive(pid)) throw new SpoolLockedError(spoolPath, pid);
    takeOverDead(lockPath, pid);
  }
  throw new SpoolLockedError(spoolPath, -1, `spool ${spoolPath}: its lock ${lockPath} changed hands while opening`);
}

/** Drops the lock if it is still this process's. */
export function releaseSpoolLock(lockPath: string): void {
  try {
    if (readLock(lockPath) === process.pid) fs.rmSync(lockPath, { force: true });
  } catch {
    // Unreadable: leave it, a later open reports it.
  }
}
