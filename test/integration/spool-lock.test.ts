import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SpoolLockedError, SpoolWriter } from '../../clients/typescript/src/spool-file';
import { lockPid, openElsewhere, SPOOL_CHILD } from '../helpers/spool-elsewhere';

/**
 * The Node spool's lock between real processes: `<spool>.lock` names its holder's pid; a live
 * holder is refused, a dead one's lock taken over, and a lock naming no pid is never taken.
 */
const REPO = path.join(__dirname, '../..');

describe('Node spool lock across processes', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'provml-spool-lock-'));
    file = path.join(dir, 'spool.jsonl');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('the lock names the holder: another process is refused with its pid, and takes it once released', () => {
    const writer = SpoolWriter.open(file, { fsync: false });
    expect(lockPid(file)).toBe(process.pid);
    expect(openElsewhere(file)).toMatchObject({ error: 'SpoolLockedError', pid: process.pid });
    expect(() => SpoolWriter.open(file)).toThrow(SpoolLockedError);
    writer.closeSync();
    expect(fs.existsSync(`${file}.lock`)).toBe(false);
    expect(openElsewhere(file)).toEqual({ opened: true });
  });

  it("a dead process's lock is taken over", async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', SPOOL_CHILD, file, 'hold'], {
      cwd: REPO,
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
      expect(lockPid(file)).toBe(child.pid);
      expect(() => SpoolWriter.open(file)).toThrow(SpoolLockedError);
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
    const writer = SpoolWriter.open(file, { fsync: false });
    expect(lockPid(file)).toBe(process.pid);
    writer.closeSync();
  });

  it('a lock file naming no pid (an older client on a full disk) is refused, not taken over, and left', () => {
    fs.writeFileSync(`${file}.lock`, '');
    expect(openElsewhere(file)).toMatchObject({ error: 'SpoolLockedError', pid: -1 });
    expect(() => SpoolWriter.open(file)).toThrow(/names no process/);
    expect(fs.readFileSync(`${file}.lock`, 'utf8')).toBe('');
  });

  it('reads a plain lock file with a pid (file systems without symlinks, older clients)', () => {
    fs.writeFileSync(`${file}.lock`, String(process.ppid));
    expect(openElsewhere(file)).toMatchObject({ error: 'SpoolLockedError', pid: process.ppid });
    fs.writeFileSync(`${file}.lock`, '999999999'); // no such process
    expect(openElsewhere(file)).toEqual({ opened: true });
  });

  it('closing does not remove a lock another process holds now', () => {
    const writer = SpoolWriter.open(file, { fsync: false });
    fs.rmSync(`${file}.lock`); // someone removed it by hand, and another job took the spool
    fs.writeFileSync(`${file}.lock`, String(process.ppid));
    writer.closeSync();
    expect(lockPid(file)).toBe(process.ppid);
  });
});
