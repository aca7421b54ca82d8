import type { LiveChangeRow } from '../connectors/provenance/pg-live-log';
import type { LiveSink } from './live-hub';

export interface LiveFeedOptions<T> {
  /**
   * Most items (events, points) a subscriber may have waiting while it is still sending earlier
   * messages; past it, it is dropped.
   */
  maxPending: number;
  /** Batch window (ms): the changes that land in one window of the clock go out as one message. */
  batchMs: number;
  /** The messages for some changes, in order (possibly none: filtered out). */
  toMessages(rows: LiveChangeRow[]): T[];
  /** Called once, when the subscriber fell behind by more than maxPending. */
  onOverflow(): void;
}

/**
 * The end of the clock's batch windows, one timer per instant for every feed waiting on it: the
 * feeds of a window all wait for the same instant (a multiple of batchMs), and 200 feeds on one
 * run were 200 timers (and their closures, kept alive across the window) a window.
 */
class WindowClock {
  private readonly waiting = new Map<number, Set<() => void>>();

  /** Calls `wake` at `endMs` (epoch ms), with every other waiter of that instant. */
  at(endMs: number, wake: () => void): void {
    let set = this.waiting.get(endMs);
    if (!set) {
      const waiters = (set = new Set());
      this.waiting.set(endMs, waiters);
      setTimeout(() => {
        this.waiting.delete(endMs);
        for (const w of waiters) w();
      }, endMs - Date.now());
    }
    set.add(wake);
  }

  /** Forgets a waiter (its feed ended first). */
  cancel(endMs: number, wake: () => void): void {
    this.waiting.get(endMs)?.delete(wake);
  }

  /** Timers running (for the tests). */
  get timers(): number {
    return this.waiting.size;
  }
}

export const windowClock = new WindowClock();

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
  /** Changes not yet made into messages, by batch window. */
  private windows: Array<{ tick: number; rows: LiveChangeRow[] }> = [];
  /** Messages made for the last window; shared with other feeds (LiveHub.shared): never mutated. */
  private ready: readonly T[] = [];
  private readyAt = 0;
  private pending = 0;
  /** The next() graphql-ws waits on, if any: the subscriber is keeping up. */
  private waiter: {
    promise: Promise<IteratorResult<T>>;
    resolve: (r: IteratorResult<T>) => void;
    reject: (err: unknown) => void;
  } | null = null;
  /** What the waiter waits for: changes (a push wakes it), the end of a window (the clock), or nothing. */
  private waitingFor: 'changes' | 'clock' | null = null;
  private clockEndMs = 0;
  private roomWaiters: Array<() => void> = [];
  private done = false;
  private leave: (() => void) | null = null;
  private error: unknown = null;
  /**
   * Wakes a waiting next(); one function for the feed's life, handed to the clock and queued as
   * a microtask. (next() was an async loop awaiting a fresh promise and closure at each wait:
   * with 200 subscribers, a good part of what each window left to the garbage collector.)
   */
  private readonly wakeUp = (): void => {
    this.waitingFor = null;
    const w = this.waiter;
    if (!w) return;
    let r: IteratorResult<T> | null;
    try {
      r = this.poll();
    } catch (err) {
      this.waiter = null;
      w.reject(err);
      return;
    }
    if (r === null) return this.arm();
    this.waiter = null;
    w.resolve(r);
  };

  constructor(private readonly opts: LiveFeedOptions<T>) {}

  get closed(): boolean {
    return this.done;
  }

  /** The hub's leave function, run when the feed ends. */
  attach(leave: () => void): void {
    if (this.done) leave();
    else this.leave = leave;
  }

  push(rows: LiveChangeRow[], paced = false, at = Date.now()): void {
    if (this.done) return;
    const before = this.pending;
    // Replay pages and unbatched feeds: a window each. Live changes of one clock window: together.
    const tick = paced || this.opts.batchMs <= 0 ? -1 : Math.floor(at / this.opts.batchMs);
    const last = this.windows[this.windows.length - 1];
    if (tick >= 0 && last?.tick === tick) for (const r of rows) last.rows.push(r);
    else this.windows.push({ tick, rows: rows.slice() });
    for (const r of rows) this.pending += weightOf(r);
    // Slow: it is still busy sending what it had (not waiting in next()), that was not all, and
    // the backlog is now past the bound. One big commit to a subscriber that keeps up is no backlog.
    if (!paced && this.waiter === null && before > 0 && this.pending > this.opts.maxPending) {
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

  next(): Promise<IteratorResult<T>> {
    // graphql-ws pulls one message at a time; a second pull waits for the first.
    if (this.waiter) {
      const first = this.waiter.promise;
      return first.then(
        () => this.next(),
        () => this.next(),
      );
    }
    let r: IteratorResult<T> | null;
    try {
      r = this.poll();
    } catch (err) {
      return Promise.reject(err);
    }
    if (r !== null) return Promise.resolve(r);
    let resolve!: (r: IteratorResult<T>) => void;
    let reject!: (err: unknown) => void;
    const promise = new Promise<IteratorResult<T>>((res, rej) => ((resolve = res), (reject = rej)));
    this.waiter = { promise, resolve, reject };
    this.arm();
    return promise;
  }

  /** The next message if one can go now (null: wait); throws the feed's error. */
  private poll(): IteratorResult<T> | null {
    for (;;) {
      if (this.error !== null) {
        const err = this.error;
        this.error = null;
        throw err;
      }
      if (this.done) return { done: true, value: undefined };
      if (this.readyAt < this.ready.length) {
        const ready = this.ready[this.readyAt++];
        this.pending--;
        this.freeRoom();
        return { done: false, value: ready };
      }
      const w = this.windows[0];
      if (!w || this.endOf(w) > Date.now()) return null;
      this.windows.shift();
      let weight = 0;
      for (const r of w.rows) weight += weightOf(r);
      this.ready = this.opts.toMessages(w.rows);
      this.readyAt = 0;
      // The backlog is now counted in messages ready to go.
      this.pending += this.ready.length - weight;
      this.freeRoom();
    }
  }

  /**
   * A window closes at the clock's next multiple of batchMs, the same instant for every
   * subscriber: all of them then hold the same changes and share one message (LiveHub.shared)
   * and its execution. One that lags sends the windows one after another, still shared.
   */
  private endOf(w: { tick: number }): number {
    return w.tick >= 0 ? (w.tick + 1) * this.opts.batchMs : 0;
  }

  /** Sets the waiting next() to wake: at its window's end, or at the next push (or the end). */
  private arm(): void {
    const w = this.windows[0];
    if (!w) {
      this.waitingFor = 'changes';
      return;
    }
    // A push meanwhile changes nothing of that: only the clock or the end wakes it.
    this.waitingFor = 'clock';
    this.clockEndMs = this.endOf(w);
    windowClock.at(this.clockEndMs, this.wakeUp);
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

  /** Wakes a next() that waits for changes (not one that waits for the clock). */
  private signal(): void {
    if (this.waitingFor !== 'changes') return;
    this.waitingFor = null;
    queueMicrotask(this.wakeUp);
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
    this.windows = [];
    this.ready = [];
    this.readyAt = 0;
    this.pending = 0;
    this.leave?.();
    this.leave = null;
    if (this.waitingFor === 'clock') windowClock.cancel(this.clockEndMs, this.wakeUp);
    if (this.waitingFor !== null) {
      this.waitingFor = null;
      queueMicrotask(this.wakeUp);
    }
    this.freeRoom();
  }
}
