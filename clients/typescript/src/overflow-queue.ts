import fs from 'node:fs';
import path from 'node:path';
import { toJson, type IngestEvent } from './ingest-event';

export type OnFull = 'spill' | 'drop';

/**
 * The capture side of the pipeline: `put()` is all a capture call pays for. Events go to an
 * in-memory queue; once it holds `maxQueue` events they spill to an overflow file instead (or,
 * with onFull 'drop', are dropped and counted). Order is kept: once events spill, every later
 * event spills too until the sender has taken the queue, so a taskEnd never overtakes its taskBegin.
 */
export class OverflowQueue {
  private items: IngestEvent[] = [];
  private head = 0;
  private spillFd: number | null = null;
  private spillPath: string | null = null;
  private spillBuffer = '';
  private spillSeq = 0;
  /** Set by close(): later events are dropped and counted, never lost silently. */
  closed = false;
  spilled = 0;
  dropped = 0;

  constructor(
    private readonly opts: {
      maxQueue: number;
      onFull: OnFull;
      spillDir: string;
      tag: string;
      warnOnce: (key: string, message: string) => void;
    },
  ) {}

  get size(): number {
    return this.items.length - this.head;
  }

  /** True while later events go to the overflow file. */
  get spilling(): boolean {
    return this.spillFd !== null;
  }

  put(event: IngestEvent): void {
    if (this.spillFd !== null || this.items.length - this.head >= this.opts.maxQueue || this.closed) {
      this.overflow(event);
      return;
    }
    this.items.push(event);
  }

  /** Up to `n` events from the front of the queue. */
  take(n: number): IngestEvent[] {
    const end = Math.min(this.items.length, this.head + n);
    const batch = this.items.slice(this.head, end);
    this.head = end;
    // Compact now and then: shifting one by one would cost O(queue) per event.
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head > 4096 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return batch;
  }

  /** Everything still queued, in order (close). */
  takeAll(): IngestEvent[] {
    return this.take(this.size);
  }

  private overflow(event: IngestEvent): void {
    if (this.opts.onFull === 'drop' || this.closed) {
      this.dropped += 1;
      this.opts.warnOnce(
        this.closed ? 'closed' : 'drop',
        this.closed
          ? `capture call after close(): event ${event.id} dropped and counted`
          : `queue full (${this.opts.maxQueue} events): dropping events and counting them (onFull 'drop')`,
      );
      return;
    }
    if (this.spillFd === null) {
      try {
        fs.mkdirSync(this.opts.spillDir, { recursive: true });
        this.spillSeq += 1;
        this.spillPath = path.join(this.opts.spillDir, `overflow-${this.opts.tag}-${process.pid}-${this.spillSeq}.jsonl`);
        this.spillFd = fs.openSync(this.spillPath, 'w');
      } catch (err) {
        this.spillFailed(1, err as Error, false);
        return;
      }
      this.opts.warnOnce(
        'spill',
        `queue full (${this.opts.maxQueue} events): spilling to ${this.spillPath} until the sender catches up`,
      );
    }
    // Buffered: one write per 64 KiB, not one system call per event.
    this.spillBuffer += toJson(event) + '\n';
    if (this.spillBuffer.length >= 65_536) this.writeBuffer();
    this.spilled += 1;
  }

  /**
   * Writes the buffered overflow lines. A disk that refuses them (full) must not throw into the
   * capture call: the lines not wholly written are dropped, counted and warned about once (a line
   * cut mid-way is left torn in the file, which reading skips).
   */
  private writeBuffer(): void {
    if (this.spillFd === null || !this.spillBuffer) return;
    let data = Buffer.from(this.spillBuffer, 'utf8');
    this.spillBuffer = '';
    try {
      while (data.length) data = data.subarray(fs.writeSync(this.spillFd, data));
    } catch (err) {
      let lines = 0;
      for (const byte of data) if (byte === 0x0a) lines += 1;
      this.spillFailed(lines, err as Error);
    }
  }

  /** `events` lost to the disk; `spilledAlready`: they were counted as spilled (now they are dropped instead). */
  private spillFailed(events: number, err: Error, spilledAlready = true): void {
    this.dropped += events;
    if (spilledAlready) this.spilled -= Math.min(this.spilled, events);
    this.opts.warnOnce(
      'spill-failed',
      `queue full and the overflow file cannot be written (${(err as NodeJS.ErrnoException).code ?? err.message}): dropping events and counting them`,
    );
  }

  /** Hands the sender the overflow file once the queue before it is empty; null otherwise. */
  takeSpill(): string | null {
    if (this.spillFd === null || this.size > 0) return null;
    this.writeBuffer();
    fs.closeSync(this.spillFd);
    const file = this.spillPath;
    this.spillFd = null;
    this.spillPath = null;
    return file;
  }

  /** The events of the open overflow file, the file removed (close). */
  takeSpilledEvents(): IngestEvent[] {
    const file = this.takeSpillFileForce();
    return file ? readEventsFileSync(file, true) : [];
  }

  private takeSpillFileForce(): string | null {
    if (this.spillFd === null) return null;
    this.writeBuffer();
    fs.closeSync(this.spillFd);
    const file = this.spillPath;
    this.spillFd = null;
    this.spillPath = null;
    return file;
  }
}

/** Reads a file of events (one JSON object a line), optionally removing it. */
export function readEventsFileSync(file: string, remove: boolean): IngestEvent[] {
  const events: IngestEvent[] = [];
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      events.push(JSON.parse(line) as IngestEvent);
    } catch {
      // A line a full disk cut off (writeBuffer counted it as dropped).
    }
  }
  if (remove) fs.rmSync(file, { force: true });
  return events;
}
