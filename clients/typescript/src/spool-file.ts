import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { isIngestEvent, toJson, type IngestEvent, type JsonObject } from './ingest-event';

/**
 * The JSONL spool, the same format as the Python client's (clients/python/provml/spool.py), so
 * either client's replay sends either client's spool. One JSON object a line:
 *   an event                     {"id": "...", "type": "...", ...}
 *   a workflow spec to register  {"$spec": {...}}
 *   acknowledged event ids       {"$ack": ["id", ...]}
 *   events the server rejected   {"$rejected": [{"id", "field", "code", "message"}]}
 *   a batch given up on          {"$failed": {"ids": [...], "reason": "..."}}  (stays unacknowledged)
 * Append-only, so a crash loses at most a torn last line, which reading skips. Events neither
 * acknowledged nor rejected are what the next start, or a replay, sends again.
 */

export interface RejectedRecord extends JsonObject {
  id: string | null;
  field: string | null;
  code: string | null;
  message: string | null;
}

export interface SpoolContents {
  specs: JsonObject[];
  /** Events not yet acknowledged (nor rejected), in their first-written order. */
  pending: IngestEvent[];
  acked: number;
  rejected: number;
  rejectedEvents: IngestEvent[];
  tornLines: number;
  /** 1-based line numbers of the torn lines (a crash mid-write), in file order. */
  tornAt: number[];
  failedReasons: string[];
}

export class SpoolLockedError extends Error {
  constructor(
    readonly spoolPath: string,
    readonly pid: number,
  ) {
    super(`spool ${spoolPath} is in use by process ${pid}`);
    this.name = 'SpoolLockedError';
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Parses a spool; a missing file is an empty spool. */
export async function readSpool(file: string, includeRejected = false): Promise<SpoolContents> {
  const contents: SpoolContents = {
    specs: [],
    pending: [],
    acked: 0,
    rejected: 0,
    rejectedEvents: [],
    tornLines: 0,
    tornAt: [],
    failedReasons: [],
  };
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return contents;
    throw err;
  }
  const events = new Map<string, IngestEvent>();
  const acked = new Set<string>();
  const rejected = new Set<string>();
  const lines = text.split('\n');
  const torn = (index: number) => {
    contents.tornLines += 1;
    contents.tornAt.push(index + 1);
  };
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index].trim();
    if (!line) continue;
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch {
      torn(index);
      continue;
    }
    if (!isRecord(record)) torn(index);
    else if ('$ack' in record) for (const id of asArray(record.$ack)) acked.add(String(id));
    else if ('$rejected' in record) for (const r of asArray(record.$rejected)) rejected.add(String(isRecord(r) ? r.id : r));
    else if ('$spec' in record && isRecord(record.$spec)) contents.specs.push(record.$spec as JsonObject);
    else if ('$failed' in record)
      contents.failedReasons.push(String(isRecord(record.$failed) ? (record.$failed.reason ?? '') : ''));
    else if (isIngestEvent(record)) {
      if (!events.has(record.id)) events.set(record.id, record);
    } else torn(index);
  }
  for (const [id, event] of events) {
    if (acked.has(id)) contents.acked += 1;
    else if (rejected.has(id) && !includeRejected) {
      contents.rejected += 1;
      contents.rejectedEvents.push(event);
    } else contents.pending.push(event);
  }
  return contents;
}

function asArray(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Appends to one spool file. Node has no flock, so a writer holds `<spool>.lock` (its pid) while
 * open; a lock left by a dead process is taken over. The Python client locks with flock instead:
 * do not point a Node job and a Python job at the same spool at the same time.
 */
export class SpoolWriter {
  private fd: number | null = null;
  private chain: Promise<void> = Promise.resolve();
  private readonly lockPath: string;

  private constructor(
    readonly path: string,
    private readonly fsync: boolean,
  ) {
    this.lockPath = `${path}.lock`;
  }

  /** Opens (creating) the spool; throws SpoolLockedError while another live process holds it. */
  static open(file: string, opts: { fsync?: boolean } = {}): SpoolWriter {
    const writer = new SpoolWriter(path.resolve(file), opts.fsync ?? true);
    fs.mkdirSync(path.dirname(writer.path), { recursive: true });
    writer.lock();
    try {
      writer.fd = fs.openSync(writer.path, 'a+');
      // A torn last line from a crash must not swallow the first line written now.
      const size = fs.fstatSync(writer.fd).size;
      if (size > 0) {
        const last = Buffer.alloc(1);
        fs.readSync(writer.fd, last, 0, 1, size - 1);
        if (last[0] !== 0x0a) fs.writeSync(writer.fd, '\n');
      }
    } catch (err) {
      writer.unlock();
      throw err;
    }
    return writer;
  }

  private lock(): void {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        fs.writeFileSync(this.lockPath, String(process.pid), { flag: 'wx' });
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const pid = Number(fs.readFileSync(this.lockPath, 'utf8').trim());
        if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && processAlive(pid))
          throw new SpoolLockedError(this.path, pid);
        if (pid === process.pid) throw new SpoolLockedError(this.path, pid);
        fs.rmSync(this.lockPath, { force: true }); // a dead writer's lock
      }
    }
    throw new SpoolLockedError(this.path, -1);
  }

  private unlock(): void {
    fs.rmSync(this.lockPath, { force: true });
  }

  get closed(): boolean {
    return this.fd === null;
  }

  /** Appends lines (then fsyncs) off the job's thread; writes are applied in call order. */
  private write(lines: string[]): Promise<void> {
    const text = lines.map((l) => l + '\n').join('');
    const next = this.chain.then(async () => {
      const fd = this.fd;
      if (fd === null) throw new Error(`spool ${this.path} is closed`);
      await new Promise<void>((resolve, reject) => fs.write(fd, text, null, 'utf8', (err) => (err ? reject(err) : resolve())));
      if (this.fsync) await new Promise<void>((resolve, reject) => fs.fsync(fd, (err) => (err ? reject(err) : resolve())));
    });
    this.chain = next.catch(() => undefined);
    return next;
  }

  appendEvents(events: readonly IngestEvent[]): Promise<void> {
    return events.length ? this.write(events.map((e) => toJson(e))) : Promise.resolve();
  }

  appendSpec(spec: JsonObject): Promise<void> {
    return this.write([toJson({ $spec: spec })]);
  }

  ack(ids: readonly string[]): Promise<void> {
    return ids.length ? this.write([toJson({ $ack: ids })]) : Promise.resolve();
  }

  reject(records: readonly RejectedRecord[]): Promise<void> {
    return records.length ? this.write([toJson({ $rejected: records })]) : Promise.resolve();
  }

  failed(ids: readonly string[], reason: string): Promise<void> {
    return this.write([toJson({ $failed: { ids, reason } })]);
  }

  /** Waits for queued writes, then closes the file and drops the lock. */
  async close(): Promise<void> {
    await this.chain;
    if (this.fd !== null) {
      fs.closeSync(this.fd);
      this.fd = null;
      this.unlock();
    }
  }

  closeSync(): void {
    if (this.fd !== null) {
      fs.closeSync(this.fd);
      this.fd = null;
      this.unlock();
    }
  }

  /** Synchronous last resort for process 'exit', where nothing async runs any more. */
  appendEventsSync(events: readonly IngestEvent[]): void {
    if (this.fd === null || !events.length) return;
    fs.writeSync(this.fd, events.map((e) => toJson(e) + '\n').join(''));
    if (this.fsync) fs.fsyncSync(this.fd);
  }
}
