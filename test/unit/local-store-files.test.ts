import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { acquireDataDirLock, DataDirBusyError } from '../../src/connectors/provenance/data-dir-lock';
import { readLocalState, writeLocalState } from '../../src/connectors/provenance/local-state';
import { processStartTime } from '../../src/connectors/provenance/process-info';
import { silentLogger } from '../../src/logger';

// The two small files of a local data directory: who holds it (provml.lock) and how to reach its
// PostgreSQL (local-postgres.json).

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'provml-lock-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const lockFile = () => path.join(dir, 'provml.lock');

describe('provml.lock', () => {
  it('is refused while its holder lives, in another process or in this one', async () => {
    const sleeper = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      const pid = sleeper.pid!;
      await fs.writeFile(lockFile(), JSON.stringify({ pid, startTime: processStartTime(pid), hostname: 'h', startedAt: 't' }));
      await expect(acquireDataDirLock(dir, silentLogger)).rejects.toThrow(DataDirBusyError);
      await expect(acquireDataDirLock(dir, silentLogger)).rejects.toThrow(`${dir} is in use by provml process ${pid}`);
    } finally {
      sleeper.kill('SIGKILL');
    }
    await fs.rm(lockFile());
    const mine = await acquireDataDirLock(dir, silentLogger);
    await expect(acquireDataDirLock(dir, silentLogger)).rejects.toThrow(`provml process ${process.pid}`);
    mine.release();
    await expect(fs.stat(lockFile())).rejects.toThrow('ENOENT');
  });

  it('is taken over when its holder is gone, its pid was reused, or it is unreadable', async () => {
    const gone = spawn('true', { stdio: 'ignore' });
    await new Promise((r) => gone.once('exit', r));
    await fs.writeFile(lockFile(), JSON.stringify({ pid: gone.pid, startTime: '1', hostname: 'h', startedAt: 't' }));
    const a = await acquireDataDirLock(dir, silentLogger);
    expect(a.found).toBe('stale');
    expect(JSON.parse(await fs.readFile(lockFile(), 'utf8')).pid).toBe(process.pid);
    a.release();

    // pid 1 lives, but it is not the process that wrote this start time.
    await fs.writeFile(lockFile(), JSON.stringify({ pid: 1, startTime: 'not-its-start-time', hostname: 'h', startedAt: 't' }));
    const b = await acquireDataDirLock(dir, silentLogger);
    expect(b.found).toBe('stale');
    b.release();

    await fs.writeFile(lockFile(), '{"pid": ');
    const c = await acquireDataDirLock(dir, silentLogger);
    expect(c.found).toBe('stale');
    c.release();

    const d = await acquireDataDirLock(dir, silentLogger);
    expect(d.found).toBe('none');
    d.release();
  });

  it('release() leaves a lock that another process took meanwhile', async () => {
    const mine = await acquireDataDirLock(dir, silentLogger);
    const theirs = JSON.stringify({ pid: 1, startTime: null, hostname: 'h', startedAt: 't' });
    await fs.writeFile(lockFile(), theirs);
    mine.release();
    expect(await fs.readFile(lockFile(), 'utf8')).toBe(theirs);
  });
});

// A real full disk (a 64 KiB tmpfs, as the client's full-disk tests use): the lock is placed
// whole or not at all. It was created empty, then written: a full disk left it empty, and the next
// start (or a second starter in that instant) read an empty lock as stale and took it over.
describe('provml.lock on a full disk', () => {
  let disk: string;
  let skipped: string | null = null;
  beforeEach(async () => {
    disk = path.join(dir, 'disk');
    await fs.mkdir(disk);
    skipped =
      process.getuid?.() !== 0
        ? 'not root (mount needs it)'
        : spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', disk]).status === 0
          ? null
          : 'mount failed';
    if (skipped) console.warn(`provml.lock on a full disk: SKIPPED, ${skipped}`);
  });
  afterEach(() => {
    if (!skipped) spawnSync('umount', [disk]);
  });

  it('is refused whole by a full disk, leaves nothing, and is taken once there is room', async () => {
    if (skipped) return;
    // Fill the disk to the last byte.
    const filler = path.join(disk, 'filler');
    const fh = await fs.open(filler, 'w');
    const block = Buffer.alloc(4096, 1);
    try {
      for (;;) await fh.write(block);
    } catch (err) {
      expect((err as NodeJS.ErrnoException).code).toBe('ENOSPC');
    } finally {
      await fh.close();
    }
    await expect(acquireDataDirLock(disk, silentLogger)).rejects.toMatchObject({ code: 'ENOSPC' });
    expect((await fs.readdir(disk)).sort()).toEqual(['filler']);

    await fs.rm(filler);
    const lock = await acquireDataDirLock(disk, silentLogger);
    expect(lock.found).toBe('none');
    expect(JSON.parse(await fs.readFile(path.join(disk, 'provml.lock'), 'utf8')).pid).toBe(process.pid);
    expect((await fs.readdir(disk)).sort()).toEqual(['provml.lock']);
    lock.release();
  });
});

describe('local-postgres.json', () => {
  const file = () => path.join(dir, 'local-postgres.json');

  it('reads back what was written atomically, and leaves no temp file', async () => {
    const state = { port: 5555, password: 'abcdefgh_ij-KL', clusterDir: '/x/postgres' };
    await writeLocalState(file(), state);
    expect(await readLocalState(file())).toEqual(state);
    expect(await fs.readdir(dir)).toEqual(['local-postgres.json']);
    expect((await fs.stat(file())).mode & 0o777).toBe(0o600);
  });

  it('says what is wrong with a missing or damaged file, keeping the fields that are sound', async () => {
    expect(await readLocalState(file())).toEqual({ problem: 'missing' });
    await fs.writeFile(file(), '{"port": 5');
    expect(await readLocalState(file())).toEqual({ problem: 'not JSON' });
    await fs.writeFile(file(), JSON.stringify({ port: 7, clusterDir: '/c', password: "x' OR '1" }));
    expect(await readLocalState(file())).toEqual({ port: 7, clusterDir: '/c', problem: 'no usable password' });
  });
});
