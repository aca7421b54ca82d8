import { useEffect, useMemo, useState } from 'react';
import { errorsAt, topErrors } from '../graphql';
import { fmtBytes, fmtDuration, fmtTime, fmtValue } from '../format';
import { href } from '../router';
import { useQuery } from '../use-query';
import { mergePoints, useLiveRun } from '../live-run';
import { ErrorList, Loading, Unavailable } from '../components/status';
import { LineChart, alignSeries } from '../components/line-chart';
import {
  METRIC_NAMES,
  RUN,
  RUN_STATS,
  runParameters,
  seriesQuery,
  type DurationRow,
  type MetricPoint,
  type RunData,
  type RunStatsData,
  type TelemetryPoint,
} from '../run-queries';

interface SeriesData {
  r0: ({ id: string } & Record<string, MetricPoint[]>) | null;
}

/** A run: metric curves per step, batch times per epoch (Q4), GPU telemetry, tasks and models. */
export default function RunPage({ params }: { params: URLSearchParams }) {
  const id = params.get('id') ?? '';
  // While the run is RUNNING its page is live (live-run.ts); once it ends, everything is read again.
  const [liveFor, setLiveFor] = useState('');
  const live = useLiveRun(id.replace(/^run:/, ''), liveFor === id);
  const refresh = live.ended ? 1 : 0;
  // Three requests at once; the curves wait only for the metric names, not for the slower rest.
  const q = useQuery<{ execution: RunData | null }>(RUN, { id }, !id, refresh);
  const nq = useQuery<{ execution: { metricNames: string[] } | null }>(METRIC_NAMES, { id }, !id, refresh);
  const stats = useQuery<RunStatsData>(RUN_STATS, { id }, !id, refresh);
  const run = q.data?.execution;
  const fetchedNames = nq.data?.execution?.metricNames ?? [];
  const sq = useQuery<SeriesData>(seriesQuery(1, fetchedNames, false), { r0: id }, !nq.data?.execution, refresh);
  const running = !q.loading && run?.status === 'RUNNING';
  useEffect(() => {
    if (running) setLiveFor(id);
  }, [running, id]);
  // A metric the run began logging after the page loaded gets its curve too.
  const names = [...new Set([...fetchedNames, ...(liveFor === id ? live.points.keys() : [])])];
  if (!id) return <p className="muted">Pick a run on the search page.</p>;
  // Another model or run is another page: never show the previous one while the next loads (but
  // the second read after a live run ended keeps the page on screen).
  if (q.loading && !(refresh && run)) return <Loading />;
  if (!run)
    return topErrors(q.errors, 'execution').length ? <ErrorList errors={q.errors} /> : <p className="error">No run {id}.</p>;
  const params_ = runParameters(run);
  const attrs = run.attributes;
  return (
    <article data-testid="run-page">
      <h1>
        Run <code>{run.id.replace(/^run:/, '')}</code>
      </h1>
      <p className="muted">
        {run.__typename} · {run.experiment ? `${run.experiment.name} v${run.experiment.version}` : '—'} ·{' '}
        <span data-testid="run-status">{(liveFor === id && live.status) || run.status}</span>
        {liveFor === id && !live.ended ? (
          <span className="chip" data-testid="run-live">
            live
          </span>
        ) : null}{' '}
        · {fmtTime(run.startedAt)} → {fmtTime(run.endedAt)} ·{' '}
        <a href={href('lineage', { start: run.id, dir: 'BOTH', depth: 2 })}>lineage</a>
      </p>
      <div className="cards">
        <section className="card">
          <h2>Execution</h2>
          <table className="kv-table">
            <tbody>
              {Object.entries(attrs).map(([k, v]) => (
                <tr key={k}>
                  <th>{k}</th>
                  <td>{fmtValue(v)}</td>
                </tr>
              ))}
              <tr>
                <th>agent</th>
                <td>{run.agent?.name ?? run.agent?.id ?? '—'}</td>
              </tr>
            </tbody>
          </table>
        </section>
        <section className="card">
          <h2>Parameters</h2>
          <table className="kv-table" data-testid="run-parameters">
            <tbody>
              {[...params_].map(([k, v]) => (
                <tr key={k}>
                  <th>{k}</th>
                  <td>{fmtValue(v)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
        <section className="card">
          <h2>GPUs</h2>
          {errorsAt(q.errors, ['execution', 'gpuSummary']).length ? (
            <Unavailable errors={errorsAt(q.errors, ['execution', 'gpuSummary'])} what="GPU summary" />
          ) : run.gpuSummary.length ? (
            <table className="small">
              <thead>
                <tr>
                  <th>GPU</th>
                  <th>samples</th>
                  <th>avg / max util.</th>
                  <th>peak mem.</th>
                  <th>avg power</th>
                </tr>
              </thead>
              <tbody>
                {run.gpuSummary.map((g) => (
                  <tr key={`${g.host}-${g.gpuIndex}`}>
                    <td>
                      {g.host}#{g.gpuIndex} {g.gpuName}
                    </td>
                    <td>{g.samples}</td>
                    <td>
                      {fmtValue(g.avgUtilization)}% / {fmtValue(g.maxUtilization)}%
                    </td>
                    <td>{fmtBytes(g.maxMemoryUsed)}</td>
                    <td>{g.avgPower === null ? '—' : `${fmtValue(g.avgPower)} W`}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : (
            <p className="muted">No GPU telemetry.</p>
          )}
        </section>
      </div>
      <ErrorList errors={[...sq.errors, ...stats.errors]} />
      {live.error ? <p className="error">{live.error}</p> : null}
      {names.map((n) => {
        const j = fetchedNames.indexOf(n);
        const fetched = j < 0 ? [] : (sq.data?.r0?.[`m${j}`] as MetricPoint[] | undefined);
        const livePoints = liveFor === id ? live.points.get(n) : undefined;
        // While live, the query's points (once in) and the socket's are one curve.
        const shown = sq.loading && !livePoints ? undefined : mergePoints(fetched ?? [], livePoints);
        return <MetricCurve key={n} name={n} points={shown} loading={sq.loading} />;
      })}
      {(stats.loading ? [] : (stats.data?.execution?.tasks.nodes ?? [])).map((t) =>
        t.durationStats.length ? (
          <section key={t.id} className="panel" data-testid="batch-times">
            <h2>
              Batch times per epoch — {t.transformation?.name ?? 'task'} <code>{t.id}</code>
            </h2>
            <BatchTimes stats={t.durationStats} />
          </section>
        ) : null,
      )}
      <Telemetry samples={stats.loading ? undefined : stats.data?.execution?.telemetry} />
      <section className="panel">
        <h2>Tasks and models</h2>
        <table className="results">
          <thead>
            <tr>
              <th>Task</th>
              <th>Host</th>
              <th>Duration</th>
              <th>Models</th>
            </tr>
          </thead>
          <tbody>
            {run.tasks.nodes.map((t) => (
              <tr key={t.id}>
                <td>
                  {t.transformation?.name} <code>{t.id}</code>
                </td>
                <td>{t.host ?? '—'}</td>
                <td>{fmtDuration(t.durationMs)}</td>
                <td>
                  {t.models.map((m) => (
                    <a key={m.id} className="chip" href={href('model', { uri: m.reference?.uri ?? m.id })}>
                      {m.reference?.uri ?? m.id} {m.evaluations.map((e) => `${e.name}=${fmtValue(e.value)}`).join(' ')}
                    </a>
                  ))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {run.tasks.pageInfo.hasNextPage && <p className="muted">Showing the first 20 top-level tasks.</p>}
      </section>
    </article>
  );
}

function MetricCurve({ name, points, loading }: { name: string; points: MetricPoint[] | undefined; loading: boolean }) {
  const data = useMemo(() => {
    if (!points) return null;
    const byContext = new Map<string, Array<{ x: number; y: number }>>();
    points.forEach((p, i) => {
      const key = p.context ?? name;
      if (!byContext.has(key)) byContext.set(key, []);
      byContext.get(key)!.push({ x: p.step === null ? i : Number(p.step), y: p.value });
    });
    return alignSeries([...byContext].map(([label, pts]) => ({ label, points: pts })));
  }, [points, name]);
  return (
    <section className="panel">
      <h2>Metric {name}</h2>
      {data ? (
        <LineChart name={`metric-${name}`} x={data.x} series={data.series} xLabel="step" yLabel={name} />
      ) : loading ? (
        <Loading />
      ) : null}
    </section>
  );
}

function BatchTimes({ stats }: { stats: DurationRow[] }) {
  const data = useMemo(() => {
    const x = stats.map((_, i) => i + 1);
    const pick = (f: (s: (typeof stats)[number]) => number | null) => stats.map(f);
    return {
      x,
      series: [
        { label: 'min ms', values: pick((s) => s.minMs) },
        { label: 'avg ms', values: pick((s) => s.avgMs) },
        { label: 'max ms', values: pick((s) => s.maxMs) },
      ],
    };
  }, [stats]);
  const count = stats.reduce((a, s) => a + s.count, 0);
  return (
    <>
      <p className="muted">
        {stats.length} epochs, {count} batches
      </p>
      <LineChart name="batch-times" x={data.x} series={data.series} xLabel="epoch" yLabel="batch time (ms)" height={220} />
    </>
  );
}

function Telemetry({ samples }: { samples: TelemetryPoint[] | undefined }) {
  const data = useMemo(() => {
    if (!samples?.length) return null;
    const byGpu = new Map<string, Array<{ x: number; y: number }>>();
    for (const s of samples) {
      if (s.gpuIndex === null || s.gpuUtilization === null) continue;
      const key = `${s.host ?? ''}#${s.gpuIndex} util %`;
      if (!byGpu.has(key)) byGpu.set(key, []);
      byGpu.get(key)!.push({ x: Date.parse(s.recordedAt) / 1000, y: s.gpuUtilization });
    }
    return byGpu.size ? alignSeries([...byGpu].map(([label, points]) => ({ label, points }))) : null;
  }, [samples]);
  if (!data) return null;
  return (
    <section className="panel">
      <h2>GPU telemetry</h2>
      <LineChart name="gpu-utilization" x={data.x} series={data.series} xLabel="time" yLabel="utilisation %" time height={220} />
    </section>
  );
}
