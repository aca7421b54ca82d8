import type { LiveChangeRow } from '../connectors/provenance/pg-live-log';
import type { MetricPoint } from '../schema/ml/observations.types';
import {
  RunChangeKindEnum,
  type MetricBatch,
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
      (r.payload.events ?? []).flatMap((e, i) =>
        seenItem(after, r.seq, i)
          ? []
          : [
              {
                cursor: cursorOf(r.seq, i),
                kind: e.kind as RunEventKindEnum,
                run,
                task: e.task ?? null,
                transformation: e.transformation ?? null,
                status: e.status,
                at: new Date(e.at),
              },
            ],
      ),
    );

/** Metric points of the rows as one batch (none when no point passes the name filter). */
export const metricMessages =
  (run: string, names: ReadonlySet<string> | null) =>
  (rows: LiveChangeRow[]): MetricBatch[] => {
    const points: MetricPoint[] = [];
    for (const r of rows)
      for (const [name, value, step, context, taskId, at] of r.payload.metrics ?? [])
        if (!names || names.has(name))
          points.push({ name, value, step: step === null ? null : String(step), context, taskId, recordedAt: new Date(at) });
    return points.length ? [{ cursor: cursorOf(rows[rows.length - 1].seq), run, points }] : [];
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
