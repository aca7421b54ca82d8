import { randomBytes } from 'node:crypto';
import { readFileSync, unlinkSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from '../../logger';
import { isSameProcessAlive, processStartTime } from './process-info';

/** Who holds a data directory: written to `<dataDir>/provml.lock`. */
interface LockRecord {
  pid: number;
  /** Start time of the pid (Linux clock ticks since boot): tells a reused pid from the holder. */
  startTime: string | null;
  hostname: string;
  startedAt: string;
}

/** Another live process holds the data directory (and its PostgreSQL): start-up must stop here. */
export class DataDirBusyError extends Error {
  constructor(
    readonly dataDir: string,
    readonly pid: number,
    detail: string,
  ) {
    super(
      `the data directory ${dataDir} is in use by ${detail}; stop that process first, or set PROVML_DATA_DIR to another directory`,
    );
    this.name = 'DataDirBusyError';
  }
}

export interface DataDirLock {
  file: string;
  /** Whether a lock of a process that is gone was taken over ('stale'), or none was there. */
  found: 'none' | 'stale';
  /** Synchronous, so that a process `exit` hook can call it. Removes the file only while it is ours. */
  release(): void;
}

// Locks this process holds: a second open of one data directory in one process is refused as well.
const held = new Set<string>();

function parse(text: string): LockRecord | null {
  try {
    const v = JSON.parse(text) as Partial<LockRecord>;
    return typeof v.pid === 'number' && Number.isInteger(v.pid) && v.pid > 0
      ? { pid: v.pid, startTime: v.startTime ?? null, hostname: String(v.hostname ?? '?'), startedAt: String(v.startedAt ?? '?') }
      : null;
  } catch {
    return null;
  }
}

async function readOrNull(file: string): Promise<string | null> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

function holderAlive(record: LockRecord, file: string): boolean {
  if (record.pid === process.pid) return held.has(file);
  return isSameProcessAlive(record.pid, record.startTime);
}

/**
 * Puts the lock in place whole, or not at all: the record is written and synced to a file of this
 * process's own first, then hard-linked to `file`, which fails with EEXIST if a lock is there. A
 * lock created empty and written after (open 'wx', then write) could be read empty by a second
 * starter in between, or left empty by a full disk, and an empty lock reads as stale: taken over
 * while its holder lives. False when another lock is in place; throws when the disk refuses the
 * record (nothing is left behind).
 */
async function placeLock(file: string, text: string): Promise<boolean> {
  const own = `${file}.new-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    const fh = await fs.open(own, 'wx', 0o644);
    try {
      await fh.writeFile(text);
      await fh.sync();
    } finally {
      await fh.close();
    }
    try {
      await fs.link(own, file);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw err;
      // A file system without hard links: rename does not fail on an existing target, so the
      // lock is created exclusively and written, as before (the window of an empty lock remains).
      await fs.writeFile(file, text, { flag: 'wx', mode: 0o644 });
    }
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    await fs.rm(own, { force: true });
  }
}

/**
 * Takes `<dataDir>/provml.lock` (put in place whole, holding this pid and its start time). A lock
 * whose process is gone (killed, crashed) is taken over; one whose process lives is refused with
 * DataDirBusyError. A stale lock is moved aside by rename before it is replaced, so of two processes
 * that find it stale at once only one takes it.
 */
export async function acquireDataDirLock(dataDir: string, log: Logger): Promise<DataDirLock> {
  const file = path.join(dataDir, 'provml.lock');
  const mine: LockRecord = {
    pid: process.pid,
    startTime: processStartTime(process.pid),
    hostname: os.hostname(),
    startedAt: new Date().toISOString(),
  };
  const text = JSON.stringify(mine);
  let found: DataDirLock['found'] = 'none';
  for (let attempt = 0; attempt < 10; attempt++) {
    if (await placeLock(file, text)) {
      held.add(file);
      return {
        file,
        found,
        release: () => {
          held.delete(file);
          try {
            if (readFileSync(file, 'utf8') === text) unlinkSync(file);
          } catch {
            // Already gone: nothing to release.
          }
        },
      };
    }
    const current = await readOrNull(file);
    if (current === null) continue;
    const record = parse(current);
    if (record && holderAlive(record, file)) {
      throw new DataDirBusyError(
        dataDir,
        record.pid,
        `provml process ${record.pid} (on ${record.hostname} since ${record.startedAt}; lock file ${file})`,
      );
    }
    const aside = `${file}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      await fs.rename(file, aside);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // another process moved it first
      throw err;
    }
    if ((await readOrNull(aside)) !== current) {
      // What was moved is a lock taken meanwhile by another process: put it back and look again.
      await fs.link(aside, file).catch(() => undefined);
    } else {
      found = 'stale';
      log.warn('taking over a data directory whose provml process is gone', {
        dataDir,
        previous: record ? { pid: record.pid, since: record.startedAt } : 'unreadable lock file',
      });
    }
    await fs.rm(aside, { force: true });
  }
  throw new Error(`could not take the lock ${file}: it changed hands 10 times while provml was starting`);
}
