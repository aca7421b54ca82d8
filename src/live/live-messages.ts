import type { LiveChangeRow } from '../connectors/provenance/pg-live-log';
import { runEventOf, type LiveMetricPoint } from '../ingest/live-changes';
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

/** Points grouped per (name, context, task), in order of first appearance, each in ingest order. */
export function seriesOf(tuples: readonly LiveMetricPoint[]): MetricSeries[] {
  const byKey = new Map<string, MetricSeries>();
  for (const [name, value, step, context, taskId, at] of tuples) {
    const key = `${name}\u0000${context ?? '\u0001'}\u0000${taskId ?? '\u0001'}`;
    const ms = new Date(at).getTime(); // epoch ms, or ISO text in rows written before
    let s = byKey.get(key);
    if (!s) byKey.set(key, (s = { name, context, taskId, steps: [], values: [], startMs: ms, offsetsMs: [] }));
    s.steps.push(step);
    s.values.push(value);
    s.offsetsMs.push(ms - s.startMs);
  }
  return [...byKey.values()];
}

/** Metric points of the rows as one batch (none when no point passes the name filter). */
export const metricMessages =
  (run: string, names: ReadonlySet<string> | null) =>
  (rows: LiveChangeRow[]): MetricBatchMessage[] => {
    const tuples: LiveMetricPoint[] = [];
    for (const r of rows) for (const t of r.payload.metrics ?? []) if (!names || names.has(t[0])) tuples.push(t);
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
