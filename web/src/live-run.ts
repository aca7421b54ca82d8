// The run page while its run is RUNNING: the `metrics` and `runEvents` subscriptions (graphql-ws
// on /graphql, docs/live.md) bring the points and the status as they commit, until the run ends.
import { useEffect, useState } from 'react';
import { createClient } from 'graphql-ws';
import { GRAPHQL_URL } from './graphql';
import type { MetricPoint } from './run-queries';

// Columnar (`series`), steps and times in their compact (delta, count) runs: about a fifteenth of
// the bytes of `points` for the same points (docs/live.md).
const METRICS = `subscription WebRunMetrics($run: ID!, $after: String) {
  metrics(run: $run, after: $after) { cursor series { name context values stepDeltaRuns timeDeltaRunsMs } } }`;
const EVENTS = `subscription WebRunEvents($run: ID!, $after: String) { runEvents(run: $run, after: $after) { cursor kind status } }`;

interface LiveSeries {
  name: string;
  context: string | null;
  values: number[];
  stepDeltaRuns: Array<number | null>;
  timeDeltaRunsMs: number[];
}

/**
 * The items of a (delta, count) run list (MetricSeries.stepDeltaRuns): from 0, each pair adds
 * delta count times, an item each time; (null, count) is count nulls; (delta, 0) moves the base.
 */
export function undoDeltaRuns(runs: ReadonlyArray<number | null>): Array<number | null> {
  const out: Array<number | null> = [];
  let prev = 0;
  for (let i = 0; i + 1 < runs.length; i += 2) {
    const d = runs[i];
    const count = runs[i + 1] ?? 0;
    if (count === 0) prev += d ?? 0;
    for (let k = 0; k < count; k++) out.push(d === null ? null : (prev += d));
  }
  return out;
}

/** A series' points in the shape the page's query gives them. */
const pointsOf = (s: LiveSeries): MetricPoint[] => {
  const steps = undoDeltaRuns(s.stepDeltaRuns);
  const times = undoDeltaRuns(s.timeDeltaRunsMs);
  return s.values.map((value, i) => ({
    step: steps[i] === null ? null : String(steps[i]),
    value,
    context: s.context,
    recordedAt: new Date(times[i] ?? 0).toISOString(),
  }));
};

export interface LiveRun {
  /** Points that came over the socket, per metric name, in commit order. */
  points: ReadonlyMap<string, readonly MetricPoint[]>;
  /** The run's status from its RUN_STARTED / RUN_ENDED events; null before any came. */
  status: string | null;
  /** A subscription's error (the socket closed, the server refused), shown by the page. */
  error: string | null;
  /** A RUN_ENDED came: the subscriptions are closed and the page reads the run again. */
  ended: boolean;
}

const socketUrl = () => {
  const url = new URL(GRAPHQL_URL, window.location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.href;
};

/**
 * Subscribes while `active` (the run is RUNNING) and stops when a RUN_ENDED arrives. Both streams
 * start from the beginning (`after: "0"`), not from now: what committed between the page's query
 * and the subscription's start comes too, so there is no gap; the page merges the two by step,
 * which drops the repeats.
 */
export function useLiveRun(run: string, active: boolean): LiveRun {
  const [state, setState] = useState<LiveRun>({ points: new Map(), status: null, error: null, ended: false });
  useEffect(() => {
    if (!active || !run) return;
    setState({ points: new Map(), status: null, error: null, ended: false });
    const client = createClient({ url: socketUrl(), retryAttempts: 0, lazy: true });
    let ended = false;
    const fail = (err: unknown) => {
      if (ended) return;
      const message = Array.isArray(err)
        ? err.map((e: { message?: string }) => e.message).join('; ')
        : err instanceof CloseEvent
          ? `live updates stopped: socket closed (${err.code}${err.reason ? ` ${err.reason}` : ''})`
          : String(err);
      setState((s) => ({ ...s, error: message }));
    };
    // A run older than the live log's retention (PROVML_LIVE_RETENTION) has lost the start of its
    // stream: `after: "0"` is refused with CURSOR_EXPIRED. The page's query has the past; the
    // subscription then starts from now.
    const expired = (err: unknown) =>
      Array.isArray(err) && err.some((e: { extensions?: { code?: string } }) => e.extensions?.code === 'CURSOR_EXPIRED');
    const subscribeMetrics = (after: string | null): (() => void) =>
      client.subscribe<{ metrics: { series: LiveSeries[] } }>(
        { query: METRICS, variables: { run, after } },
        {
          next: ({ data }) => {
            const batch = data?.metrics.series ?? [];
            if (!batch.length) return;
            setState((s) => {
              const points = new Map(s.points);
              for (const series of batch) points.set(series.name, [...(points.get(series.name) ?? []), ...pointsOf(series)]);
              return { ...s, points };
            });
          },
          error: (err) => (after !== null && expired(err) ? (stopMetrics = subscribeMetrics(null)) : fail(err)),
          complete: () => undefined,
        },
      );
    let stopMetrics = subscribeMetrics('0');
    const subscribeEvents = (after: string | null): (() => void) =>
      client.subscribe<{ runEvents: { kind: string; status: string } }>(
        { query: EVENTS, variables: { run, after } },
        {
          next: ({ data }) => {
            const e = data?.runEvents;
            if (!e || (e.kind !== 'RUN_STARTED' && e.kind !== 'RUN_ENDED')) return;
            setState((s) => ({ ...s, status: e.status, ended: s.ended || e.kind === 'RUN_ENDED' }));
            if (e.kind === 'RUN_ENDED') {
              // The two streams are not ordered with each other: the metrics stream may not have
              // sent the run's last points yet. The page's second read of the series has them.
              ended = true;
              stopEvents();
              stopMetrics();
              void client.dispose();
            }
          },
          error: (err) => (after !== null && expired(err) ? (stopEvents = subscribeEvents(null)) : fail(err)),
          complete: () => undefined,
        },
      );
    let stopEvents = subscribeEvents('0');
    return () => {
      ended = true;
      stopMetrics();
      stopEvents();
      void client.dispose();
    };
  }, [run, active]);
  return state;
}

/** The query's points and the live ones as one series: a live point replaces the query's at its step and context. */
export function mergePoints(fetched: readonly MetricPoint[], live: readonly MetricPoint[] | undefined): MetricPoint[] {
  if (!live?.length) return [...fetched];
  const key = (p: MetricPoint, i: number) => `${p.context ?? ''}\u0000${p.step ?? `#${i}`}`;
  const merged = new Map<string, MetricPoint>();
  fetched.forEach((p, i) => merged.set(key(p, i), p));
  live.forEach((p, i) => merged.set(key(p, i), p));
  return [...merged.values()].sort((a, b) => Number(a.step ?? 0) - Number(b.step ?? 0));
}
