import fsp from 'node:fs/promises';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { IngestEvent, JsonObject } from './ingest-event';
import type { HttpTransport, IngestIssue, Outcome } from './ingest-transport';
import { OverflowQueue, type OnFull } from './overflow-queue';
import { MAX_BUFFERED_BYTES, readSpool, SpoolWriter, type RejectedRecord } from './spool-file';
import { CloseReport, PipelineStats } from './pipeline-stats';

export type Mode = 'online' | 'spool' | 'offline';
export const MODES: readonly Mode[] = ['online', 'spool', 'offline'];
export type LogLevel = 'info' | 'warn' | 'error';

export interface PipelineOptions {
  mode: Mode;
  transport?: HttpTransport;
  /** The JSONL spool (modes spool and offline). */
  spoolPath?: string;
  /** Where overflow files and, in online mode, unsent-*.jsonl files go. */
  spillDir: string;
  /** A file-name-safe name of the run, in overflow and unsent file names. */
  tag: string;
  /** Workflow specs to register before the first event is sent. */
  specs?: JsonObject[];
  batchSize?: number;
  flushIntervalMs?: number;
  maxQueue?: number;
  onFull?: OnFull;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  maxRetryAfterMs?: number;
  spoolFsync?: boolean;
  /** Bytes of spool kept in memory while its disk refuses writes (default 32 MB). */
  spoolMemory?: number;
  /** Tries for a malformed (non-4xx) answer before the batch is given up. */
  fatalAttempts?: number;
  log?: (level: LogLevel, message: string) => void;
}

const defaultLog = (level: LogLevel, message: string) => {
  if (level !== 'info') process.stderr.write(`provml: ${message}\n`);
};

/** Resolves after `ms`, without keeping the process alive for it (the job decides when to exit). */
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, Math.max(0, ms)));

function unrefDelay(ms: number, interrupt?: (wake: () => void) => void): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    timer.unref();
    interrupt?.(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/**
 * The pipeline between capture calls and the server: the capture side only enqueues
 * (OverflowQueue); one asynchronous loop does everything slow: registering specs, writing the
 * spool, sending batches, retrying with backoff, acknowledging. Same semantics as the Python
 * client's sender (clients/python/provml/sender.py).
 */
export class CapturePipeline {
  readonly mode: Mode;
  readonly stats = new PipelineStats();
  readonly spool: SpoolWriter | null;
  private readonly o: Required<Omit<PipelineOptions, 'transport' | 'spoolPath' | 'specs'>>;
  private readonly transport: HttpTransport | null;
  private readonly specs: JsonObject[];
  private readonly versions = new Map<string, JsonObject[string]>();
  private readonly queue: OverflowQueue;
  private fallback: SpoolWriter | null = null;
  private readonly warned = new Set<string>();
  private wakeFlag = false;
  private wakeWaiter: (() => void) | null = null;
  private interruptWaiter: (() => void) | null = null;
  private stopping = false;
  private deadline: number | null = null;
  /** Given to send() and not acknowledged: already in the spool, if there is one. */
  private unsent: IngestEvent[] = [];
  /** Never reached deliver(): in no spool yet. */
  private unsentFresh: IngestEvent[] = [];
  private inflight: IngestEvent[] | null = null;
  private loopAlive = true;
  private closing: Promise<CloseReport> | null = null;
  readonly started: Promise<void>;
  private readonly loop: Promise<void>;

  constructor(opts: PipelineOptions) {
    if (!MODES.includes(opts.mode)) throw new TypeError(`mode: must be one of ${MODES.join(', ')}, got ${String(opts.mode)}`);
    const onFull = opts.onFull ?? 'spill';
    if (onFull !== 'spill' && onFull !== 'drop') throw new TypeError(`onFull: must be 'spill' or 'drop', got ${String(onFull)}`);
    if (opts.mode !== 'offline' && !opts.transport) throw new TypeError(`url: required in mode '${opts.mode}'`);
    if (opts.mode !== 'online' && !opts.spoolPath) throw new TypeError(`spoolDir: a spool is required in mode '${opts.mode}'`);
    for (const key of ['batchSize', 'maxQueue'] as const) {
      const v = opts[key];
      if (v !== undefined && (!Number.isInteger(v) || v < 1))
        throw new TypeError(`${key}: must be an integer of at least 1, got ${v}`);
    }
    this.mode = opts.mode;
    this.o = {
      mode: opts.mode,
      spillDir: opts.spillDir,
      tag: opts.tag,
      batchSize: opts.batchSize ?? 50,
      flushIntervalMs: opts.flushIntervalMs ?? 1000,
      maxQueue: opts.maxQueue ?? 20_000,
      onFull,
      backoffBaseMs: opts.backoffBaseMs ?? 200,
      backoffMaxMs: opts.backoffMaxMs ?? 30_000,
      maxRetryAfterMs: opts.maxRetryAfterMs ?? 300_000,
      spoolFsync: opts.spoolFsync ?? true,
      spoolMemory: opts.spoolMemory ?? MAX_BUFFERED_BYTES,
      fatalAttempts: opts.fatalAttempts ?? 3,
      log: opts.log ?? defaultLog,
    };
    this.transport = opts.mode === 'offline' ? null : (opts.transport ?? null);
    this.specs = opts.specs ?? [];
    this.spool =
      opts.mode !== 'online' && opts.spoolPath
        ? SpoolWriter.open(opts.spoolPath, {
            fsync: this.o.spoolFsync,
            maxBufferedBytes: this.o.spoolMemory,
            warn: this.spoolWarn,
          })
        : null;
    this.queue = new OverflowQueue({
      maxQueue: this.o.maxQueue,
      onFull,
      spillDir: this.o.spillDir,
      tag: this.o.tag,
      warnOnce: (key, message) => this.warnOnce(key, message),
    });
    let startedResolve!: () => void;
    this.started = new Promise((r) => (startedResolve = r));
    this.loop = this.run(startedResolve).finally(() => (this.loopAlive = false));
  }

  // -- the capture side: cheap ------------------------------------------------------------
  put(event: IngestEvent): void {
    this.stats.queued += 1;
    this.queue.put(event);
    if (this.queue.size >= this.o.batchSize && !this.wakeFlag) this.wake();
  }

  private wake(): void {
    this.wakeFlag = true;
    const w = this.wakeWaiter;
    this.wakeWaiter = null;
    w?.();
  }

  warnOnce(key: string, message: string, level: LogLevel = 'warn'): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.o.log(level, message);
  }

  // -- the sender loop --------------------------------------------------------------------
  private async run(started: () => void): Promise<void> {
    try {
      try {
        await this.startup();
      } finally {
        started();
      }
      for (;;) {
        if (!this.wakeFlag) await unrefDelay(this.o.flushIntervalMs, (w) => (this.wakeWaiter = w));
        this.wakeWaiter = null;
        this.wakeFlag = false;
        if (!(await this.drain())) return;
        if (this.stopping && this.queue.size === 0 && !this.queue.spilling) return;
      }
    } catch (err) {
      // A bug must not take the job down; close() keeps the events.
      this.stats.lastError = `sender crashed: ${(err as Error).stack ?? String(err)}`;
      this.o.log('error', `sender crashed; unsent events go to disk at close: ${String(err)}`);
    }
  }

  private async startup(): Promise<void> {
    let leftovers: IngestEvent[] = [];
    let stored: JsonObject[] = [];
    if (this.spool) {
      const contents = await readSpool(this.spool.path);
      leftovers = contents.pending;
      stored = contents.specs;
      for (const spec of this.specs) await this.spool.appendSpec(spec);
    }
    if (this.mode === 'offline') return;
    for (const spec of stored) if (!(await this.register(spec, false))) return;
    for (const spec of this.specs) if (!(await this.register(spec, true))) return;
    if (leftovers.length) {
      this.o.log('info', `resending ${leftovers.length} unacknowledged events from ${this.spool!.path}`);
      for (let start = 0; start < leftovers.length; start += this.o.batchSize) {
        const batch = leftovers.slice(start, start + this.o.batchSize);
        if (!(await this.send(batch))) {
          this.unsent.push(...leftovers.slice(start + this.o.batchSize));
          return;
        }
        this.stats.resent += batch.length;
      }
    }
  }

  /** Registers one spec; false only when the close deadline passed while retrying. */
  private async register(spec: JsonObject, current: boolean): Promise<boolean> {
    for (let attempt = 0; ; attempt++) {
      const outcome = await this.transport!.register(spec);
      if (outcome.kind === 'ack') {
        if (current && outcome.data && 'version' in outcome.data) this.versions.set(String(spec.name), outcome.data.version);
        return true;
      }
      if (!this.retryable(outcome, attempt)) {
        this.stats.lastError = `registerWorkflow: ${outcome.reason}`;
        this.o.log('error', `could not register workflow ${JSON.stringify(spec.name)}: ${outcome.reason}`);
        return true;
      }
      this.stats.retries += 1;
      if (!(await this.sleep(this.delay(outcome, attempt)))) return false;
    }
  }

  /** Sends everything queued or spilled; false once the close deadline has passed. */
  private async drain(): Promise<boolean> {
    for (;;) {
      const batch = this.queue.take(this.o.batchSize);
      if (!batch.length) {
        const file = this.queue.takeSpill();
        if (file === null) return true;
        if (!(await this.sendFile(file))) return false;
        continue;
      }
      if (!(await this.deliver(batch))) return false;
    }
  }

  private async sendFile(file: string): Promise<boolean> {
    const text = await fsp.readFile(file, 'utf8');
    const events = text
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as IngestEvent);
    for (let start = 0; start < events.length; start += this.o.batchSize) {
      if (!(await this.deliver(events.slice(start, start + this.o.batchSize)))) {
        this.unsentFresh.push(...events.slice(start + this.o.batchSize));
        await fsp.rm(file, { force: true });
        return false;
      }
    }
    await fsp.rm(file, { force: true });
    return true;
  }

  private async deliver(batch: IngestEvent[]): Promise<boolean> {
    if (this.versions.size) {
      for (const e of batch) {
        if (e.type === 'workflowBegin' && !('version' in e) && this.versions.has(String(e.workflow)))
          e.version = this.versions.get(String(e.workflow))!;
      }
    }
    if (this.spool) {
      await this.spool.appendEvents(batch);
      this.stats.spooled += batch.length;
    }
    if (this.mode === 'offline') return true;
    return this.send(batch);
  }

  private delay(outcome: Outcome, attempt: number): number {
    if (outcome.retryAfterMs !== undefined) return Math.min(outcome.retryAfterMs, this.o.maxRetryAfterMs);
    const delay = Math.min(this.o.backoffMaxMs, this.o.backoffBaseMs * 2 ** attempt);
    return delay * (0.5 + Math.random() / 2); // jitter: many ranks must not retry in step
  }

  /** Waits `ms`; false (without waiting) when that would pass the close deadline. */
  private async sleep(ms: number): Promise<boolean> {
    const until = Date.now() + ms;
    for (;;) {
      if (this.deadline !== null && until > this.deadline) return false;
      const remaining = until - Date.now();
      if (remaining <= 0) return true;
      await unrefDelay(remaining, (w) => (this.interruptWaiter = w));
      this.interruptWaiter = null;
    }
  }

  private retryable(outcome: Outcome, attempt: number): boolean {
    // A malformed answer may be a proxy's hiccup: a few tries. A 4xx will not change.
    if (outcome.kind === 'retry') return true;
    const clientError = outcome.status !== undefined && outcome.status >= 400 && outcome.status < 500;
    return outcome.kind === 'fatal' && !clientError && attempt + 1 < this.o.fatalAttempts;
  }

  /** Sends one batch until acknowledged or given up; false when out of time. */
  private async send(batch: IngestEvent[]): Promise<boolean> {
    this.inflight = batch;
    try {
      for (let attempt = 0; ; attempt++) {
        if (this.deadline !== null && Date.now() > this.deadline) {
          this.unsent.push(...batch);
          return false;
        }
        const outcome = await this.transport!.sendEvents(batch);
        this.stats.batches += 1;
        if (outcome.kind === 'ack') {
          await this.acknowledge(batch, outcome.data!);
          return true;
        }
        if (outcome.kind === 'tooLarge' && batch.length > 1) {
          const half = batch.length >> 1;
          if (!(await this.send(batch.slice(0, half)))) {
            this.unsent.push(...batch.slice(half));
            return false;
          }
          return this.send(batch.slice(half));
        }
        if (!this.retryable(outcome, attempt)) {
          await this.giveUp(batch, outcome.reason);
          return true;
        }
        this.stats.retries += 1;
        this.stats.lastError = outcome.reason;
        this.warnOnce('retry', `server not taking events (${outcome.reason}); retrying with backoff`);
        if (!(await this.sleep(this.delay(outcome, attempt)))) {
          this.unsent.push(...batch);
          return false;
        }
      }
    } finally {
      this.inflight = null;
    }
  }

  private async acknowledge(batch: IngestEvent[], data: JsonObject): Promise<void> {
    const issues = (Array.isArray(data.issues) ? data.issues : []) as unknown as IngestIssue[];
    const rejected = new Map<string | null, RejectedRecord>();
    for (const issue of issues) {
      let id = typeof issue.eventId === 'string' ? issue.eventId : null;
      if (id === null && Number.isInteger(issue.index) && issue.index >= 0 && issue.index < batch.length)
        id = batch[issue.index].id;
      rejected.set(id, { id, field: issue.field ?? null, code: issue.code ?? null, message: issue.message ?? null });
    }
    this.stats.accepted += Number(data.accepted);
    this.stats.duplicates += Number(data.duplicates);
    this.stats.rejected += Number(data.rejected);
    // Older servers do not answer `parked`.
    if (typeof data.parked === 'number') this.stats.parked += data.parked;
    if (this.spool) await this.spool.ack(batch.filter((e) => !rejected.has(e.id)).map((e) => e.id));
    if (!rejected.size) return;
    const records = [...rejected.values()];
    this.stats.issues.push(...records.slice(0, Math.max(0, 100 - this.stats.issues.length)));
    const first = records[0];
    this.o.log(
      'warn',
      `server rejected ${records.length} event(s), e.g. ${first.id} at ${first.field}: ${first.code} ${first.message}`,
    );
    if (this.spool) await this.spool.reject(records);
    else {
      const fallback = await this.fallbackWriter();
      await fallback.appendEvents(batch.filter((e) => rejected.has(e.id)));
      await fallback.reject(records);
    }
  }

  /** A 4xx or a malformed answer: keep the events on disk, say so, move on. */
  private async giveUp(batch: IngestEvent[], reason: string): Promise<void> {
    this.stats.failed += batch.length;
    this.stats.lastError = reason;
    const writer = this.spool ?? (await this.fallbackWriter());
    if (writer !== this.spool) await writer.appendEvents(batch);
    await writer.failed(
      batch.map((e) => e.id),
      reason,
    );
    this.o.log('error', `gave up sending ${batch.length} event(s) (${reason}); kept in ${writer.path} for \`provml replay\``);
  }

  private async fallbackWriter(): Promise<SpoolWriter> {
    if (!this.fallback) {
      this.fallback = SpoolWriter.open(path.join(this.o.spillDir, `unsent-${this.o.tag}-${process.pid}.jsonl`), {
        warn: this.spoolWarn,
      });
      for (const spec of this.specs) await this.fallback.appendSpec(spec);
    }
    return this.fallback;
  }

  private readonly spoolWarn = (message: string) => this.o.log('warn', message);

  /**
   * Spool lines a full disk never took: written to a rescue file in the spill directory, else the
   * system temp directory, and said where. Returns how many events were lost (no rescue possible).
   */
  private async rescue(lines: string[]): Promise<number> {
    if (!lines.length) return 0;
    const name = `rescued-${this.o.tag}-${process.pid}.jsonl`;
    for (const dir of [this.o.spillDir, os.tmpdir()]) {
      let writer: SpoolWriter;
      try {
        writer = SpoolWriter.open(path.join(dir, name), { warn: () => undefined });
      } catch {
        continue;
      }
      const hasSpec = lines.some((l) => l.startsWith('{"$spec"'));
      if (!hasSpec) for (const spec of this.specs) await writer.appendSpec(spec);
      await writer.appendLines(lines);
      if (!(await writer.close()).length) {
        this.rescuePath = writer.path;
        this.o.log(
          'warn',
          `the spool's disk was full: ${lines.length} line(s) it could not take are in ${writer.path}; replay it with \`provml replay ${writer.path}\``,
        );
        return 0;
      }
      fs.rmSync(writer.path, { force: true }); // the same full disk: what it holds is in `lines` still
    }
    const lost = lines.filter((l) => !l.startsWith('{"$')).length;
    this.o.log(
      'error',
      `the spool's disk was full and no rescue file could be written: ${lost} event(s) lost, counted in stats.dropped`,
    );
    return lost;
  }

  /** Where close() put spool lines a full disk refused, if it had to. */
  rescuePath: string | null = null;

  // -- shutdown ---------------------------------------------------------------------------
  /** Waits until everything queued so far is sent (or `timeoutMs` passes); true when nothing is left. */
  async flush(timeoutMs?: number): Promise<boolean> {
    const end = timeoutMs === undefined ? Infinity : Date.now() + timeoutMs;
    // The sender's own timers are unref'd (a job must be free to exit); a caller who waits for the
    // flush wants the process up until then: without this, a replay against a server that is down
    // ended silently with status 0 while start-up was backing off.
    const keepAlive = setInterval(() => undefined, 1000);
    try {
      let timer: NodeJS.Timeout | undefined;
      const started = await Promise.race([
        this.started.then(() => true),
        new Promise<boolean>((r) => {
          if (end !== Infinity) timer = setTimeout(() => r(false), Math.max(0, end - Date.now()));
        }),
      ]);
      clearTimeout(timer);
      if (!started) return false;
      while (this.loopAlive) {
        if (this.queue.size === 0 && !this.queue.spilling && this.inflight === null && !this.wakeFlag) return true;
        this.wake();
        if (Date.now() > end) return false;
        await sleep(5);
      }
      return this.queue.size === 0;
    } finally {
      clearInterval(keepAlive);
    }
  }

  /** Sends what is left for at most `timeoutMs`, then writes the rest to disk and says what is unsent. */
  close(timeoutMs = 10_000): Promise<CloseReport> {
    this.closing ??= this.doClose(Math.max(0, timeoutMs));
    return this.closing;
  }

  private async doClose(timeoutMs: number): Promise<CloseReport> {
    this.deadline = Date.now() + timeoutMs;
    this.stopping = true;
    this.wake();
    this.interruptWaiter?.();
    const keepAlive = setInterval(() => undefined, 1000); // the job may be exiting: stay up until done
    try {
      const waitLoop = (ms: number) => Promise.race([this.loop, new Promise<void>((r) => setTimeout(r, ms).unref())]);
      await waitLoop(timeoutMs + 100);
      if (this.loopAlive) {
        this.transport?.abort(); // an in-flight request ends now; its batch counts as unsent
        await waitLoop(1000);
      }
      const spooled = [...this.unsent];
      if (this.loopAlive && this.inflight) spooled.push(...this.inflight); // unknown fate: resending is harmless
      const unsent = [...this.unsentFresh, ...this.queue.takeAll(), ...this.queue.takeSpilledEvents()];
      this.queue.closed = true;
      let file: string | null = null;
      if (this.spool) {
        await this.spool.appendEvents(unsent);
        file = this.spool.path;
      } else if (spooled.length || unsent.length) {
        const writer = await this.fallbackWriter();
        await writer.appendEvents([...spooled, ...unsent]);
        file = writer.path;
      }
      const left = spooled.length + unsent.length;
      if (left && this.mode !== 'offline')
        this.o.log('warn', `${left} event(s) not sent at close; kept in ${file} for \`provml replay\``);
      const notWritten = (await this.spool?.close()) ?? [];
      if (this.fallback) {
        file ??= this.fallback.path;
        notWritten.push(...(await this.fallback.close()));
      }
      const lost = await this.rescue(notWritten);
      const spoolDropped = (this.spool?.droppedEvents ?? 0) + (this.fallback?.droppedEvents ?? 0);
      if (spoolDropped)
        this.o.log(
          'error',
          `${spoolDropped} event line(s) were not kept in the spool: its disk was full and its memory buffer at its bound ` +
            `(counted in stats.dropped; ${this.mode === 'offline' ? 'lost' : 'sent to the server if it took them'})`,
        );
      this.lostToDisk = lost + spoolDropped;
      this.syncStats();
      const offline = this.mode === 'offline' ? this.stats.spooled - this.lostToDisk : 0;
      return new CloseReport(left + offline, file, this.stats, this.rescuePath);
    } finally {
      clearInterval(keepAlive);
    }
  }

  /** Events a full disk took from the spool (see rescue()): part of stats.dropped. */
  private lostToDisk = 0;

  private syncStats(): void {
    this.stats.spilled = this.queue.spilled;
    this.stats.dropped = this.queue.dropped + this.lostToDisk;
  }

  /** A snapshot of the counters. */
  snapshot(): PipelineStats {
    this.syncStats();
    return this.stats;
  }

  get closed(): boolean {
    return this.closing !== null;
  }

  /**
   * Last resort on process 'exit' (only synchronous code runs there): whatever is still in
   * memory goes to the spool or an unsent file, so the next start or a replay sends it.
   */
  dumpSync(): string | null {
    if (this.closing) return null;
    const events = [
      ...this.unsent,
      ...(this.inflight ?? []),
      ...this.unsentFresh,
      ...this.queue.takeAll(),
      ...this.queue.takeSpilledEvents(),
    ];
    this.queue.closed = true;
    if (!events.length) return null;
    if (this.spool && !this.spool.closed) {
      this.spool.appendEventsSync(events);
      return this.spool.path;
    }
    const writer = SpoolWriter.open(path.join(this.o.spillDir, `unsent-${this.o.tag}-${process.pid}-exit.jsonl`));
    writer.appendEventsSync(events);
    writer.closeSync();
    return writer.path;
  }
}
