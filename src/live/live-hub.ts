import type { LiveChangeRow } from '../connectors/provenance/pg-live-log';
import type { ProvenanceStore } from '../connectors/provenance/provenance-store';
import type { StreamHead } from '../ingest/live-changes';
import type { Logger } from '../logger';
import { CursorExpiredError } from '../errors';
import type { LiveBus } from './live-bus';

/** Where the hub hands a subscriber its changes (a LiveFeed). */
export interface LiveSink {
  /** Changes in seq order, each once. `paced`: a replay page the sink made room for. */
  push(rows: LiveChangeRow[], paced?: boolean, at?: number): void;
  /** Resolves when the sink can take another replay page (or is closed). */
  room(): Promise<void>;
  /** The replay from the store failed: end the subscription with this error. */
  fail(err: unknown): void;
  readonly closed: boolean;
}

type LiveLog = Pick<ProvenanceStore, 'liveChangesAfter' | 'liveHead' | 'liveBounds'>;

interface Member {
  sink: LiveSink;
  /** Highest seq handed to the sink. */
  last: number;
  /** While it replays from the store, live pages wait here. */
  buffered: LiveChangeRow[] | null;
}

interface Channel {
  stream: string;
  /** Highest seq read from the store and fanned out. */
  head: number;
  /** Highest seq some message announced; the channel reads until head reaches it. */
  wanted: number;
  reading: boolean;
  members: Set<Member>;
}

const EVERYTHING = Number.MAX_SAFE_INTEGER;
const SHARED_MESSAGES = 256;
/**
 * How long the messages of a window stay shared. The feeds that keep up take them in the same
 * instant, when the window closes; one that lags a little takes them within a window or two.
 * Longer only kept each window's points, their execution and its bytes alive: 256 windows were
 * ~25 s of a busy run, 60-130 MB of heap that every scavenge copied and then promoted.
 */
const SHARED_FOR_MS = 1000;

/**
 * Fans live changes out to the subscribers of this replica. A bus message says only that a
 * stream reached some seq; the hub reads what it has not seen of that stream from the store once,
 * whatever the number of subscribers, and hands each subscriber the changes past its own cursor.
 * Reading "everything after my head" makes a lost, repeated or reordered message harmless: the
 * store's seq is gap-free and in commit order (pg-live-log.ts).
 */
export class LiveHub {
  private readonly channels = new Map<string, Channel>();
  private readonly opening = new Map<string, Promise<Channel>>();
  private readonly messages = new Map<string, { made: unknown[]; at: number }>();

  constructor(
    private readonly store: LiveLog,
    private readonly bus: LiveBus,
    private readonly log: Logger,
    private readonly pageSize = 200,
  ) {}

  get backend(): LiveBus['kind'] {
    return this.bus.kind;
  }

  async start(): Promise<void> {
    await this.bus.start({
      heads: (heads) => this.onHeads(heads),
      resync: () => {
        for (const ch of this.channels.values()) this.want(ch, EVERYTHING);
      },
    });
  }

  /**
   * The messages of a run of changes, made once for every subscriber that takes exactly these
   * changes with the same filter (`variant`), so that they also share one execution
   * (shared-subscribe.ts). A feed's rows are a gap-free seq range of one stream: stream, first
   * and last seq name them.
   */
  shared<T>(rows: readonly LiveChangeRow[], variant: string, make: () => T[]): T[] {
    if (!rows.length) return make();
    const key = `${rows[0].stream}\u0000${rows[0].seq}\u0000${rows[rows.length - 1].seq}\u0000${variant}`;
    const hit = this.messages.get(key);
    if (hit) return hit.made as T[];
    const made = make();
    const now = Date.now();
    // Only the recent windows are shared: a small, insertion-ordered cache, oldest first.
    for (const [k, v] of this.messages) {
      if (this.messages.size < SHARED_MESSAGES && v.at > now - SHARED_FOR_MS) break;
      this.messages.delete(k);
    }
    this.messages.set(key, { made, at: now });
    return made;
  }

  /** Stops listening; subscriptions get nothing more (close their connections first). */
  async close(): Promise<void> {
    await this.bus.close();
  }

  /** The ingest path's after-commit callback: fan out here at once, and tell the other replicas. */
  readonly published = (heads: StreamHead[]): void => {
    this.onHeads(heads);
    this.bus.publish(heads).catch((err: unknown) =>
      // The other replicas see the change with the stream's next message (or resync).
      this.log.warn('live publish failed', { error: err instanceof Error ? err.message : String(err) }),
    );
  };

  /** Subscriptions open on this replica (for the metrics gauge). */
  activeSubscriptions(): number {
    let n = 0;
    for (const ch of this.channels.values()) n += ch.members.size;
    return n;
  }

  /**
   * Joins a stream. `after` null: changes committed from now on; a seq: everything after it,
   * replayed from the store at the sink's pace, then live, with no duplicate and no gap.
   * Returns the function that leaves.
   */
  async join(stream: string, after: number | null, sink: LiveSink): Promise<() => void> {
    if (after !== null) {
      // The log is pruned (live-pruner.ts), a prefix of each stream at a time: a cursor before
      // the oldest change held would resume with a gap. Refused, and said so.
      const { head, oldest } = await this.store.liveBounds(stream);
      if (after < head && (oldest === null || oldest > after + 1)) throw new CursorExpiredError(stream, after, oldest);
    }
    let ch: Channel;
    const member: Member = { sink, last: 0, buffered: after === null ? null : [] };
    for (;;) {
      ch = await this.open(stream);
      if (this.channels.get(stream) === ch) break; // closed while we waited: open it again
    }
    member.last = after ?? ch.head;
    ch.members.add(member);
    const leave = () => {
      ch.members.delete(member);
      if (!ch.members.size && this.channels.get(stream) === ch) this.channels.delete(stream);
    };
    // The replay runs behind the returned feed: it waits for room the subscriber makes by reading.
    if (after !== null) void this.replay(stream, member, leave);
    return leave;
  }

  private async replay(stream: string, member: Member, leave: () => void): Promise<void> {
    const sink = member.sink;
    try {
      for (;;) {
        await sink.room();
        if (sink.closed) break;
        const rows = await this.store.liveChangesAfter(stream, member.last, this.pageSize);
        // Pruned while it replayed: what it still needed is gone.
        if (rows.length && rows[0].seq !== member.last + 1) throw new CursorExpiredError(stream, member.last, rows[0].seq);
        if (rows.length) {
          member.last = rows[rows.length - 1].seq;
          sink.push(rows, true);
        }
        if (rows.length < this.pageSize) break;
      }
      // No await from here: what the hub fanned out during the replay follows it, in order.
      const rest = (member.buffered ?? []).filter((r) => r.seq > member.last);
      // What was fanned out since the join starts right after the replay, unless the replay's
      // end was pruned under it.
      const live = this.channels.get(stream);
      const next = rest.length ? rest[0].seq : live ? live.head + 1 : member.last + 1;
      if (next > member.last + 1) throw new CursorExpiredError(stream, member.last, null);
      member.buffered = null;
      if (rest.length) {
        member.last = rest[rest.length - 1].seq;
        sink.push(rest);
      }
    } catch (err) {
      member.buffered = null;
      leave();
      sink.fail(err);
    }
  }

  private async open(stream: string): Promise<Channel> {
    const open = this.channels.get(stream);
    if (open) return open;
    let opening = this.opening.get(stream);
    if (!opening) {
      opening = this.store.liveHead(stream).then((head) => {
        const ch: Channel = { stream, head, wanted: head, reading: false, members: new Set() };
        this.channels.set(stream, ch);
        // A change committed after liveHead's read may have been announced before the channel
        // existed: read once past the head so that it is not left waiting for the next message.
        this.want(ch, EVERYTHING);
        return ch;
      });
      this.opening.set(stream, opening);
      void opening.then(
        () => this.opening.delete(stream),
        () => this.opening.delete(stream),
      );
    }
    return opening;
  }

  private onHeads(heads: readonly StreamHead[]): void {
    for (const h of heads) {
      const ch = this.channels.get(h.stream);
      if (ch && h.seq > ch.head) this.want(ch, h.seq);
    }
  }

  private want(ch: Channel, seq: number): void {
    if (seq > ch.wanted) ch.wanted = seq;
    if (!ch.reading) void this.pump(ch);
  }

  private async pump(ch: Channel): Promise<void> {
    ch.reading = true;
    try {
      while (ch.wanted > ch.head && this.channels.get(ch.stream) === ch) {
        const target = ch.wanted;
        const rows = await this.store.liveChangesAfter(ch.stream, ch.head, this.pageSize);
        if (rows.length && rows[0].seq !== ch.head + 1) {
          // The channel fell a whole retention behind (pruned under it): every member would
          // miss changes. They are ended with CURSOR_EXPIRED; the channel goes on from here.
          const err = new CursorExpiredError(ch.stream, ch.head, rows[0].seq);
          for (const m of [...ch.members]) {
            ch.members.delete(m);
            m.sink.fail(err);
          }
        }
        if (rows.length) {
          ch.head = rows[rows.length - 1].seq;
          this.fanOut(ch, rows);
        }
        // A short page is the end of the log: done, unless a newer message came during the read.
        if (rows.length < this.pageSize && ch.wanted === target) ch.wanted = ch.head;
      }
      ch.reading = false;
    } catch (err) {
      ch.reading = false;
      this.log.warn('live read failed; retrying', { stream: ch.stream, error: err instanceof Error ? err.message : String(err) });
      setTimeout(() => this.want(ch, EVERYTHING), 500).unref();
    }
  }

  private fanOut(ch: Channel, rows: LiveChangeRow[]): void {
    const at = Date.now(); // one instant for all: the same batch window in every feed
    for (const m of ch.members) {
      if (m.buffered) {
        m.buffered.push(...rows);
        continue;
      }
      const fresh = rows[0].seq > m.last ? rows : rows.filter((r) => r.seq > m.last);
      if (!fresh.length) continue;
      m.last = fresh[fresh.length - 1].seq;
      m.sink.push(fresh, false, at);
    }
  }
}
