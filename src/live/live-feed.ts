import type { LiveChangeRow } from '../connectors/provenance/pg-live-log';
import type { LiveSink } from './live-hub';

export interface LiveFeedOptions<T> {
  /**
   * Most items (events, points) a subscriber may have waiting while it is still sending earlier
   * messages; past it, it is dropped.
   */
  maxPending: number;
  /** Least time between two messages (ms): changes that land meanwhile go out together. */
  batchMs: number;
  /** The messages for some changes, in order (possibly none: filtered out). */
  toMessages(rows: LiveChangeRow[]): T[];
  /** Called once, when the subscriber fell behind by more than maxPending. */
  onOverflow(): void;
}

/** Items a change carries: the measure of a subscriber's backlog. */
export const weightOf = (r: LiveChangeRow): number =>
  Math.max(1, (r.payload.events?.length ?? 0) + (r.payload.metrics?.length ?? 0) + (r.payload.runs?.length ?? 0));

/**
 * One subscription's queue: the hub pushes changes in, graphql-ws pulls messages out. graphql-ws
 * pulls the next message only once the previous one was written to the socket, so a subscriber
 * that does not read makes the backlog grow here; past `maxPending` items the feed ends and
 * `onOverflow` closes the connection, instead of buffering without bound.
 */
export class LiveFeed<T> implements LiveSink, AsyncIterableIterator<T> {
  private rows: LiveChangeRow[] = [];
  private ready: T[] = [];
  private pending = 0;
  private lastEmit = 0;
  private wake: (() => void) | null = null;
  private roomWaiters: Array<() => void> = [];
  private done = false;
  private leave: (() => void) | null = null;
  private error: unknown = null;
  /** True while graphql-ws waits in next(): the subscriber is keeping up. */
  private pulling = false;

  constructor(private readonly opts: LiveFeedOptions<T>) {}

  get closed(): boolean {
    return this.done;
  }

  /** The hub's leave function, run when the feed ends. */
  attach(leave: () => void): void {
    if (this.done) leave();
    else this.leave = leave;
  }

  push(rows: LiveChangeRow[], paced = false): void {
    if (this.done) return;
    const before = this.pending;
    this.rows.push(...rows);
    for (const r of rows) this.pending += weightOf(r);
    // Slow: it is still busy sending what it had (not waiting in next()), that was not all, and
    // the backlog is now past the bound. One big commit to a subscriber that keeps up is no backlog.
    if (!paced && !this.pulling && before > 0 && this.pending > this.opts.maxPending) {
      this.finish();
      this.opts.onOverflow();
      return;
    }
    this.signal();
  }

  fail(err: unknown): void {
    if (this.done) return;
    this.error = err ?? new Error('live feed failed');
    this.finish();
  }

  room(): Promise<void> {
    if (this.done || this.pending <= this.opts.maxPending / 2) return Promise.resolve();
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  async next(): Promise<IteratorResult<T>> {
    this.pulling = true;
    try {
      return await this.take();
    } finally {
      this.pulling = false;
    }
  }

  private async take(): Promise<IteratorResult<T>> {
    for (;;) {
      if (this.error !== null) {
        const err = this.error;
        this.error = null;
        throw err;
      }
      if (this.done) return { done: true, value: undefined };
      const ready = this.ready.shift();
      if (ready !== undefined) {
        this.pending--;
        this.freeRoom();
        return { done: false, value: ready };
      }
      if (!this.rows.length) {
        await new Promise<void>((resolve) => (this.wake = resolve));
        continue;
      }
      const wait = this.lastEmit + this.opts.batchMs - Date.now();
      if (wait > 0) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, wait);
          this.wake = () => (clearTimeout(t), resolve());
        });
        if (this.done) continue;
        if (this.lastEmit + this.opts.batchMs > Date.now()) continue; // woken by a push: wait on
      }
      const rows = this.rows;
      this.rows = [];
      let weight = 0;
      for (const r of rows) weight += weightOf(r);
      this.ready = this.opts.toMessages(rows);
      // The backlog is now counted in messages ready to go.
      this.pending += this.ready.length - weight;
      this.lastEmit = Date.now();
      this.freeRoom();
    }
  }

  async return(): Promise<IteratorResult<T>> {
    this.finish();
    return { done: true, value: undefined };
  }

  async throw(err?: unknown): Promise<IteratorResult<T>> {
    this.finish();
    throw err;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private signal(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  private freeRoom(): void {
    if (this.pending > this.opts.maxPending / 2) return;
    const waiters = this.roomWaiters;
    this.roomWaiters = [];
    for (const w of waiters) w();
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    this.rows = [];
    this.ready = [];
    this.pending = 0;
    this.leave?.();
    this.leave = null;
    this.signal();
    this.freeRoom();
  }
}
