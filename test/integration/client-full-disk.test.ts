import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createClient } from '../../clients/typescript/src/provml-client';
import { readSpool, SpoolLockedError, SpoolLockUnwritableError, SpoolWriter } from '../../clients/typescript/src/spool-file';
import { lockPid, openElsewhere } from '../helpers/spool-elsewhere';

/**
 * The Node client's spool on a full disk (a real 64 KiB tmpfs): the job goes on, what the disk
 * refuses stays in memory, is written once the disk frees up, or lands in a rescue file at close;
 * a warning says so once. Needs root to mount; skipped, visibly, otherwise.
 */
const SPEC = { name: 'fulldisk', transformations: [{ name: 'training' }] };

function mountSmallTmpfs(dir: string, options = 'size=64k'): string | null {
  if (process.getuid?.() !== 0) return 'not root (mount needs it)';
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], { encoding: 'utf8' });
  return r.status === 0 ? null : `mount failed: ${r.stderr.trim()}`;
}

/** Fills the file system of `dir`; returns the filler's path. */
function fill(dir: string): string {
  const file = path.join(dir, 'filler');
  const fd = fs.openSync(file, 'w');
  try {
    for (const size of [4096, 1]) {
      const chunk = Buffer.alloc(size, 0x78);
      for (;;) {
        try {
          fs.writeSync(fd, chunk);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
          break;
        }
      }
    }
  } finally {
    fs.closeSync(fd);
  }
  return file;
}

describe('capture client spool on a full disk', () => {
  let base: string;
  let disk: string;
  let skipped: string | null = null;
  beforeEach(() => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'provml-full-disk-'));
    disk = path.join(base, 'disk');
    fs.mkdirSync(disk);
    skipped = mountSmallTmpfs(disk);
    if (skipped) console.warn(`client-full-disk: SKIPPED, ${skipped}`);
  });
  afterEach(() => {
    if (!skipped) spawnSync('umount', [disk]);
    fs.rmSync(base, { recursive: true, force: true });
  });

  function run(n: number, logs: string[]) {
    const client = createClient({
      mode: 'offline',
      // The spool on the small disk; the spool directory (overflow, rescue files) on the big one.
      spoolFile: path.join(disk, 'spool.jsonl'),
      spoolDir: path.join(base, 'spill'),
      specs: [SPEC],
      spoolFsync: false,
      handleSigterm: false,
      log: (_level, m) => logs.push(m),
    });
    const r = client.startRun('fulldisk', { run: 'full-disk-run' });
    for (let step = 0; step < n; step++) r.logMetric('loss', 1 / (step + 1), { step });
    r.end();
    return client;
  }
  const steps = (events: Array<Record<string, unknown>>) =>
    events
      .filter((e) => e.type === 'metric')
      .map((e) => Number(e.step))
      .sort((a, b) => a - b);
  const range = (n: number) => Array.from({ length: n }, (_, i) => i);

  it('keeps what the disk refuses in memory, warns once, and writes it once the disk frees up', async () => {
    if (skipped) return;
    const filler = fill(disk);
    const logs: string[] = [];
    const client = run(150, logs);
    await client.flush(5000);
    fs.unlinkSync(filler);
    const report = await client.close(5000);
    expect(logs.filter((m) => m.includes('cannot write the spool'))).toHaveLength(1);
    expect(logs.find((m) => m.includes('cannot write the spool'))).toContain('ENOSPC');
    const contents = await readSpool(report.path!);
    expect(report.stats.dropped).toBe(0);
    expect(contents.pending).toHaveLength(report.unsent);
    expect(steps(contents.pending as unknown as Array<Record<string, unknown>>)).toEqual(range(150));
    expect(report.stats.lastError).toBeNull(); // the sender never crashed
    expect(report.rescued).toBeNull();
  });

  it('with the disk still full at close, writes a rescue file elsewhere and names it', async () => {
    if (skipped) return;
    fill(disk);
    const logs: string[] = [];
    const report = await run(300, logs).close(5000);
    expect(report.rescued).not.toBeNull();
    expect(report.rescued!.startsWith(path.join(base, 'spill'))).toBe(true);
    expect(logs.some((m) => m.includes(report.rescued!))).toBe(true);
    const events = new Map<string, Record<string, unknown>>();
    for (const file of [path.join(disk, 'spool.jsonl'), report.rescued!])
      for (const e of (await readSpool(file)).pending) events.set(e.id, e as unknown as Record<string, unknown>);
    expect(report.stats.dropped).toBe(0);
    expect(steps([...events.values()])).toEqual(range(300));
    expect((await readSpool(report.rescued!)).specs).toEqual([SPEC]);
  });

  it('a full queue whose overflow file cannot be written drops and counts instead of throwing into the job', async () => {
    if (skipped) return;
    fill(disk);
    const logs: string[] = [];
    // Everything on the full disk: spool, overflow files; a rescue goes to the temp directory.
    const client = createClient({
      mode: 'offline',
      spoolFile: path.join(disk, 'spool.jsonl'),
      spoolDir: disk,
      maxQueue: 10,
      specs: [SPEC],
      spoolFsync: false,
      handleSigterm: false,
      log: (_level, m) => logs.push(m),
    });
    const r = client.startRun('fulldisk', { run: 'overflow-run' });
    // A synchronous loop: the sender gets no turn, so the queue fills and spills (~130 KB).
    for (let step = 0; step < 1500; step++) r.logMetric('loss', 1 / (step + 1), { step });
    r.end();
    const report = await client.close(5000);
    expect(logs.some((m) => m.includes('overflow file cannot be written'))).toBe(true);
    const found = new Set<string>();
    for (const file of [path.join(disk, 'spool.jsonl'), report.rescued].filter((f): f is string => !!f))
      for (const e of (await readSpool(file)).pending) found.add(e.id);
    expect(report.stats.dropped).toBeGreaterThan(0);
    // Every event the client took is in a file or counted as dropped.
    expect(found.size + report.stats.dropped).toBe(report.stats.queued);
    if (report.rescued) fs.rmSync(report.rescued, { force: true });
  });
  it('a spool opened on a full disk holds a whole lock: another process is refused, not let in', async () => {
    if (skipped) return;
    fill(disk);
    const file = path.join(disk, 'spool.jsonl');
    const writer = SpoolWriter.open(file, { fsync: false });
    expect(openElsewhere(file)).toMatchObject({ error: 'SpoolLockedError', pid: process.pid });
    expect(lockPid(file)).toBe(process.pid);
    expect(() => SpoolWriter.open(file)).toThrow(SpoolLockedError);
    expect(await writer.close()).toEqual([]);
    expect(fs.existsSync(`${file}.lock`)).toBe(false);
    expect(openElsewhere(file)).toEqual({ opened: true });
  });
});

describe('capture client spool on a disk out of inodes', () => {
  let disk: string;
  let skipped: string | null = null;
  beforeEach(() => {
    disk = fs.mkdtempSync(path.join(os.tmpdir(), 'provml-no-inodes-'));
    skipped = mountSmallTmpfs(disk, 'size=64k,nr_inodes=4');
    if (skipped) console.warn(`client-full-disk: SKIPPED, ${skipped}`);
  });
  afterEach(() => {
    if (!skipped) spawnSync('umount', [disk]);
    fs.rmSync(disk, { recursive: true, force: true });
  });

  it('where not even the lock can be made, opening fails with a typed error and leaves nothing', () => {
    if (skipped) return;
    for (let i = 0; ; i++) {
      try {
        fs.writeFileSync(path.join(disk, `f${i}`), '');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
        break;
      }
    }
    const file = path.join(disk, 'spool.jsonl');
    let error: unknown;
    try {
      SpoolWriter.open(file);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(SpoolLockUnwritableError);
    expect(error).toMatchObject({ code: 'ENOSPC', lockPath: `${file}.lock` });
    expect(fs.readdirSync(disk).filter((f) => f.startsWith('spool'))).toEqual([]);
  });
});
