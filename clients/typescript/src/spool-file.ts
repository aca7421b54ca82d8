import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { isIngestEvent, toJson, type IngestEvent, type JsonObject } from './ingest-event';
import { acquireSpoolLock, releaseSpoolLock } from './spool-lock';

export { SpoolLockedError, SpoolLockUnwritableError } from './spool-lock';

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

/** What a spool keeps in memory while its disk refuses writes; beyond it, event lines are dropped and counted. */
export const MAX_BUFFERED_BYTES = 32 * 1024 * 1024;

interface PendingLine {
  text: string;
  bytes: Buffer;
  /** Bytes of it already on disk. */
  done: number;
  event: boolean;
}

export interface SpoolWriterOptions {
  fsync?: boolean;
  /** Bytes kept in memory while the disk refuses writes (default 32 MB). */
  maxBufferedBytes?: number;
  /** Told once when the disk first refuses a write. */
  warn?: (message: string) => void;
}

/**
 * Appends to one spool file. Node has no flock, so a writer holds `<spool>.lock` (a symlink to its
 * pid, whole even on a full disk: spool-lock.ts) while open; a lock left by a dead process is taken
 * over. The Python client locks with flock instead:
 * do not point a Node job and a Python job at the same spool at the same time.
 *
 * When the disk refuses a write (full, quota, I/O error), nothing is thrown at the job: the lines
 * not written stay in memory, in order (up to `maxBufferedBytes`), every later write tries them
 * first, `warn` is told once, and event lines beyond the bound are counted in `droppedEvents`.
 * `close()` makes a last try and returns the lines still not written, for the caller to keep
 * elsewhere (same behaviour as the Python client's spool).
 */
export class SpoolWriter {
  private fd: number | null = null;
  private chain: Promise<void> = Promise.resolve();
  private readonly lockPath: string;
  private pending: PendingLine[] = [];
  private pendingBytes = 0;
  private warned = false;
  /** Event lines the spool could not keep (disk full and memory at its bound). */
  droppedEvents = 0;
  writeErrors = 0;
  lastError: Error | null = null;

  private constructor(
    readonly path: string,
    private readonly fsync: boolean,
    private readonly maxBufferedBytes: number,
    private readonly warn: (message: string) => void,
  ) {
    this.lockPath = `${path}.lock`;
  }

  /**
   * Opens (creating) the spool; throws SpoolLockedError while another live process holds it, and
   * SpoolLockUnwritableError where even the lock cannot be made (see spool-lock.ts).
   */
  static open(file: string, opts: SpoolWriterOptions = {}): SpoolWriter {
    const writer = new SpoolWriter(
      path.resolve(file),
      opts.fsync ?? true,
      opts.maxBufferedBytes ?? MAX_BUFFERED_BYTES,
      opts.warn ?? (() => undefined),
    );
    fs.mkdirSync(path.dirname(writer.path), { recursive: true });
    writer.lock();
    try {
      writer.fd = fs.openSync(writer.path, 'a+');
      // A torn last line from a crash must not swallow the first line written now.
      const size = fs.fstatSync(writer.fd).size;
      if (size > 0) {
        const last = Buffer.alloc(1);
        fs.readSync(writer.fd, last, 0, 1, size - 1);
        if (last[0] !== 0x0a) {
          writer.enqueue([''], false);
          writer.flushSync();
        }
      }
    } catch (err) {
      writer.unlock();
      throw err;
    }
    return writer;
  }

  private lock(): void {
    acquireSpoolLock(this.path, this.lockPath);
  }

  private unlock(): void {
    releaseSpoolLock(this.lockPath);
  }

  get closed(): boolean {
    return this.fd === null;
  }

  /** Bytes waiting in memory for the disk to take them. */
  get buffered(): number {
    return this.pendingBytes;
  }

  /** Keeps `lines` (of which the first `written` bytes reached the disk) for a later try. */
  private enqueue(lines: readonly string[], event: boolean, written = 0): void {
    for (const text of lines) {
      const bytes = Buffer.from(text + '\n', 'utf8');
      if (written >= bytes.length) {
        written -= bytes.length;
        continue;
      }
      if (this.pending.length && this.pendingBytes + bytes.length > this.maxBufferedBytes) {
        if (event) this.droppedEvents += 1;
        continue;
      }
      this.pending.push({ text, bytes, done: written, event });
      this.pendingBytes += bytes.length - written;
      written = 0;
    }
  }

  private wrote(n: number): void {
    this.pendingBytes -= n;
    while (n > 0 && this.pending.length) {
      const line = this.pending[0];
      const take = Math.min(n, line.bytes.length - line.done);
      line.done += take;
      n -= take;
      if (line.done === line.bytes.length) this.pending.shift();
    }
  }

  private writeFailed(err: Error): false {
    this.writeErrors += 1;
    this.lastError = err;
    if (!this.warned) {
      this.warned = true;
      this.warn(
        `cannot write the spool ${this.path} (${(err as NodeJS.ErrnoException).code ?? err.message}); keeping up to ` +
          `${Math.max(1, Math.floor(this.maxBufferedBytes / 2 ** 20))} MB of it in memory and retrying on every write; ` +
          'events beyond that are counted as dropped',
      );
    }
    return false;
  }

  /** Writes what is pending; true once all of it is on disk (fsynced when asked). */
  private async flushPending(): Promise<boolean> {
    const fd = this.fd;
    if (fd === null) return false;
    try {
      while (this.pending.length) {
        const line = this.pending[0];
        const n = await new Promise<number>((resolve, reject) =>
          fs.write(fd, line.bytes, line.done, line.bytes.length - line.done, null, (err, written) =>
            err ? reject(err) : resolve(written),
          ),
        );
        this.wrote(n);
      }
      if (this.fsync) await new Promise<void>((resolve, reject) => fs.fsync(fd, (err) => (err ? reject(err) : resolve())));
      return true;
    } catch (err) {
      return this.writeFailed(err as Error);
    }
  }

  private flushSync(): boolean {
    if (this.fd === null) return false;
    try {
      while (this.pending.length) {
        const line = this.pending[0];
        this.wrote(fs.writeSync(this.fd, line.bytes, line.done, line.bytes.length - line.done));
      }
      if (this.fsync) fs.fsyncSync(this.fd);
      return true;
    } catch (err) {
      return this.writeFailed(err as Error);
    }
  }

  /**
   * Appends lines (then fsyncs) off the job's thread; writes are applied in call order. The usual
   * path is one write of the whole batch; after a refused write, the lines wait in `pending`
   * (written first, line by line, on the next turn).
   */
  private write(lines: string[], event = false): Promise<void> {
    const next = this.chain.then(async () => {
      const fd = this.fd;
      if (fd === null) throw new Error(`spool ${this.path} is closed`);
      if (this.pending.length && !(await this.flushPending())) {
        this.enqueue(lines, event);
        return;
      }
      const data = Buffer.from(lines.map((l) => l + '\n').join(''), 'utf8');
      let written = 0;
      try {
        while (written < data.length) {
          written += await new Promise<number>((resolve, reject) =>
            fs.write(fd, data, written, data.length - written, null, (err, n) => (err ? reject(err) : resolve(n))),
          );
        }
        if (this.fsync) await new Promise<void>((resolve, reject) => fs.fsync(fd, (err) => (err ? reject(err) : resolve())));
      } catch (err) {
        this.enqueue(lines, event, written);
        this.writeFailed(err as Error);
      }
    });
    this.chain = next.catch(() => undefined);
    return next;
  }

  appendEvents(events: readonly IngestEvent[]): Promise<void> {
    return events.length
      ? this.write(
          events.map((e) => toJson(e)),
          true,
        )
      : Promise.resolve();
  }

  /** Lines already in the spool format (a rescue of another spool's lines). */
  appendLines(lines: readonly string[]): Promise<void> {
    return lines.length ? this.write([...lines], true) : Promise.resolve();
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

  /**
   * Waits for queued writes, makes a last try at what is pending, then closes the file and drops
   * the lock. Returns the whole lines that never reached the file (a line begun on disk is there
   * torn, and whole here), for the caller to keep elsewhere.
   */
  async close(): Promise<string[]> {
    await this.chain;
    if (this.fd === null) return [];
    const left = (await this.flushPending()) ? [] : this.pending.map((l) => l.text).filter((t) => t);
    fs.closeSync(this.fd);
    this.fd = null;
    this.unlock();
    return left;
  }

  closeSync(): string[] {
    if (this.fd === null) return [];
    const left = this.flushSync() ? [] : this.pending.map((l) => l.text).filter((t) => t);
    fs.closeSync(this.fd);
    this.fd = null;
    this.unlock();
    return left;
  }

  /** Synchronous last resort for process 'exit', where nothing async runs any more. */
  appendEventsSync(events: readonly IngestEvent[]): void {
    if (this.fd === null || !events.length) return;
    this.enqueue(
      events.map((e) => toJson(e)),
      true,
    );
    this.flushSync();
  }
}
