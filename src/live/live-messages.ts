import type { LiveChangeRow } from '../connectors/provenance/pg-live-log';
import { runEventOf, type LiveMetricPoint, type LiveTime } from '../ingest/live-changes';
import type { MetricPoint } from '../schema/ml/observations.types';
import {
  RunChangeKindEnum,
  type MetricBatch,
  type MetricSeries,
  type RunChange,
  type RunEvent,
  type RunEventKindEnum,
} from '../schema/live/live.types';
import { cursorOf, seenItem, type LiveCursor } from './live-cursor';

/** Lifecycle events of a run, one message each, skipping what the cursor says was seen. */
export const runEventMessages =
  (run: string, after: LiveCursor | null) =>
  (rows: LiveChangeRow[]): RunEvent[] =>
    rows.flatMap((r) =>
      (r.payload.events ?? []).flatMap((stored, i) => {
        if (seenItem(after, r.seq, i)) return [];
        const e = runEventOf(stored);
        return [
          {
            cursor: cursorOf(r.seq, i),
            kind: e.kind as RunEventKindEnum,
            run,
            task: e.task ?? null,
            transformation: e.transformation ?? null,
            status: e.status,
            at: new Date(e.at),
          },
        ];
      }),
    );

/** A `MetricBatch` as the feed makes it (its fields may be getters). */
export type MetricBatchMessage = Pick<MetricBatch, 'cursor' | 'run' | 'points' | 'series'>;

/**
 * The metric batch of one window. Both shapes are made on first read only: a subscriber that
 * selects `series` (the web app, bench/live.ts --columnar) never pays for `points`, and the
 * shared execution (shared-subscribe.ts) reads each once per window whatever the subscribers.
 */
class LiveMetricBatch implements MetricBatchMessage {
  private madePoints: MetricPoint[] | null = null;
  private madeSeries: MetricSeries[] | null = null;

  constructor(
    readonly cursor: string,
    readonly run: string,
    private readonly tuples: readonly LiveMetricPoint[],
  ) {}

  get points(): MetricPoint[] {
    return (this.madePoints ??= this.tuples.map(([name, value, step, context, taskId, at]) => ({
      name,
      value,
      step: step === null ? null : String(step),
      context,
      taskId,
      recordedAt: new Date(at),
    })));
  }

  get series(): MetricSeries[] {
    return (this.madeSeries ??= seriesOf(this.tuples));
  }
}

/**
 * Runs of equal differences, as flat pairs `delta, count`: from a running value that starts at
 * 0, each pair adds `delta` `count` times, one item each time; `null, count` is `count` null
 * items (the running value stays); `delta, 0` moves the running value without an item. A
 * training job's steps (1, 2, 3, ... or every 10th) and one commit's shared time are one pair
 * for a whole batch, against a number each (docs/live.md, "compact"). Item i is `base + items[i]`.
 */
export function deltaRuns(items: readonly (number | null)[], base = 0): Array<number | null> {
  const out: Array<number | null> = [];
  let prev = 0;
  let delta: number | null = null;
  let count = 0;
  // Indexed loops here and in seriesOf: these run once a window, too seldom to be optimised,
  // and an unoptimised for-of (or a tuple's destructuring) allocates an iterator result an item.
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    const x = item === null ? null : base + item;
    let d: number | null = null;
    if (x !== null) {
      d = x - prev;
      // The reader adds in floating point as here: where that would not give x back (a jump
      // past 2^53, a fraction), back to 0 first, then x itself.
      if (prev + d !== x) {
        if (count) out.push(delta, count);
        out.push(-prev, 0);
        count = 0;
        d = x;
      }
      prev = x;
    }
    if (count && d === delta) count++;
    else {
      if (count) out.push(delta, count);
      delta = d;
      count = 1;
    }
  }
  if (count) out.push(delta, count);
  return out;
}

/** The items of `deltaRuns`, back (what a client does; the tests check the round trip). */
export function undoDeltaRuns(runs: readonly (number | null)[]): Array<number | null> {
  const out: Array<number | null> = [];
  let prev = 0;
  for (let i = 0; i + 1 < runs.length; i += 2) {
    const d = runs[i];
    const count = runs[i + 1] ?? 0;
    if (count === 0) prev += d ?? 0;
    for (let k = 0; k < count; k++) {
      if (d === null) out.push(null);
      else out.push((prev += d));
    }
  }
  return out;
}

/** One series of a batch; the compact fields are made only when selected. */
class LiveSeries implements MetricSeries {
  readonly steps: Array<number | null> = [];
  readonly values: number[] = [];
  readonly offsetsMs: number[] = [];
  #stepRuns: Array<number | null> | null = null;
  #timeRuns: number[] | null = null;

  constructor(
    readonly name: string,
    readonly context: string | null,
    readonly taskId: string | null,
    readonly startMs: number,
  ) {}

  get stepDeltaRuns(): Array<number | null> {
    return (this.#stepRuns ??= deltaRuns(this.steps));
  }

  get timeDeltaRunsMs(): number[] {
    // Times are never null; epoch ms from 0, so the first delta is the first point's time.
    return (this.#timeRuns ??= deltaRuns(this.offsetsMs, this.startMs) as number[]);
  }
}

const timeOf = (at: LiveTime): number => (typeof at === 'number' ? at : Date.parse(at)); // epoch ms, or ISO text in rows written before

/** Points grouped per (name, context, task), in order of first appearance, each in ingest order. */
export function seriesOf(tuples: readonly LiveMetricPoint[]): MetricSeries[] {
  const byKey = new Map<string, LiveSeries>();
  let s: LiveSeries | undefined;
  for (let i = 0; i < tuples.length; i++) {
    const t = tuples[i];
    const name = t[0];
    const context = t[3];
    const taskId = t[4];
    const ms = timeOf(t[5]);
    // Points of one series mostly come together: the key (a string a point) only on a change.
    if (!s || s.name !== name || s.context !== context || s.taskId !== taskId) {
      const key = `${name}\u0000${context ?? '\u0001'}\u0000${taskId ?? '\u0001'}`;
      s = byKey.get(key);
      if (!s) byKey.set(key, (s = new LiveSeries(name, context, taskId, ms)));
    }
    s.steps.push(t[2]);
    s.values.push(t[1]);
    s.offsetsMs.push(ms - s.startMs);
  }
  return [...byKey.values()];
}

/** Metric points of the rows as one batch (none when no point passes the name filter). */
export const metricMessages =
  (run: string, names: ReadonlySet<string> | null) =>
  (rows: LiveChangeRow[]): MetricBatchMessage[] => {
    const tuples: LiveMetricPoint[] = [];
    for (const r of rows) {
      const metrics = r.payload.metrics ?? [];
      for (let i = 0; i < metrics.length; i++) if (!names || names.has(metrics[i][0])) tuples.push(metrics[i]);
    }
    return tuples.length ? [new LiveMetricBatch(cursorOf(rows[rows.length - 1].seq), run, tuples)] : [];
  };

/** Runs of a study starting and ending, one message each. */
export const runChangeMessages =
  (after: LiveCursor | null) =>
  (rows: LiveChangeRow[]): RunChange[] =>
    rows.flatMap((r) =>
      (r.payload.runs ?? []).flatMap((c, i) =>
        seenItem(after, r.seq, i)
          ? []
          : [
              {
                cursor: cursorOf(r.seq, i),
                kind: c.kind === 'RUN_STARTED' ? RunChangeKindEnum.STARTED : RunChangeKindEnum.ENDED,
                run: c.run,
                workflow: c.workflow,
                version: c.version,
                status: c.status,
                at: new Date(c.at),
              },
            ],
      ),
    );
