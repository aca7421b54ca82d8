import { useMemo, useState, type FormEvent } from 'react';
import { fmtValue } from '../format';
import { href, navigate } from '../router';
import { useQuery } from '../use-query';
import { ErrorList, Loading } from '../components/status';
import { LineChart, alignSeries } from '../components/line-chart';
import { RUN_FIELDS, runParameters, seriesQuery, type MetricPoint, type RunData } from '../run-queries';

const MAX_RUNS = 5;

function runsQuery(n: number): string {
  const vars = Array.from({ length: n }, (_, i) => `$r${i}: String!`).join(', ');
  const body = Array.from({ length: n }, (_, i) => `r${i}: execution(id: $r${i}) { ${RUN_FIELDS} }`).join('\n');
  return `query WebCompareRuns(${vars}) { ${body} }`;
}

/** 2-5 runs side by side: the parameters that differ first, then each shared metric overlaid. */
export default function ComparePage({ params }: { params: URLSearchParams }) {
  const ids = params.getAll('run').slice(0, MAX_RUNS);
  const vars = Object.fromEntries(ids.map((id, i) => [`r${i}`, id]));
  const q = useQuery<Record<string, RunData | null>>(runsQuery(Math.max(ids.length, 1)), vars, ids.length < 2);
  const runs = ids.map((_, i) => q.data?.[`r${i}`] ?? null);
  const loaded = runs.filter((r): r is RunData => r !== null);
  const names = [...new Set(loaded.flatMap((r) => r.metricNames))];
  const sq = useQuery<SeriesData>(
    seriesQuery(Math.max(ids.length, 1), names, false),
    vars,
    ids.length < 2 || loaded.length < ids.length,
  );
  return (
    <article data-testid="compare-page">
      <h1>Compare runs</h1>
      <RunPicker ids={ids} />
      {ids.length < 2 ? (
        <p className="muted">Pick 2 to {MAX_RUNS} runs (or tick them on the runs search).</p>
      ) : q.loading ? (
        <Loading />
      ) : (
        <>
          <ErrorList errors={[...q.errors, ...sq.errors]} />
          {runs.map((r, i) => (r ? null : <p key={ids[i]} className="error">{`No run ${ids[i]}.`}</p>))}
          {loaded.length >= 2 && <ParamDiff runs={loaded} />}
          {names.map((n, j) => (
            <OverlaidMetric key={n} name={n} index={j} runs={loaded} data={sq.data} />
          ))}
        </>
      )}
    </article>
  );
}

function RunPicker({ ids }: { ids: string[] }) {
  const [text, setText] = useState(ids.join(', '));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const run = text
      .split(/[\s,]+/)
      .filter(Boolean)
      .slice(0, MAX_RUNS);
    navigate(href('compare', { run }));
  };
  return (
    <form className="filters" onSubmit={submit}>
      <label className="wide">
        Runs (comma-separated ids)
        <input
          name="runs"
          value={text}
          placeholder="demo-training-lr0.01, demo-training-lr0.001"
          onChange={(e) => setText(e.target.value)}
        />
      </label>
      <button type="submit">Compare</button>
    </form>
  );
}

function ParamDiff({ runs }: { runs: RunData[] }) {
  const maps = runs.map(runParameters);
  const keys = [...new Set(maps.flatMap((m) => [...m.keys()]))].sort();
  const differs = (k: string) => new Set(maps.map((m) => JSON.stringify(m.get(k) ?? null))).size > 1;
  const ordered = [...keys.filter(differs), ...keys.filter((k) => !differs(k))];
  return (
    <section className="panel">
      <h2>Parameters</h2>
      <table className="results" data-testid="param-diff">
        <thead>
          <tr>
            <th>parameter</th>
            {runs.map((r) => (
              <th key={r.id}>
                <a href={href('run', { id: r.id })}>{r.id.replace(/^run:/, '')}</a>
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {ordered.map((k) => (
            <tr key={k} className={differs(k) ? 'differs' : undefined}>
              <th>{k}</th>
              {maps.map((m, i) => (
                <td key={i}>{fmtValue(m.get(k))}</td>
              ))}
            </tr>
          ))}
          <tr>
            <th>status</th>
            {runs.map((r) => (
              <td key={r.id}>{r.status}</td>
            ))}
          </tr>
        </tbody>
      </table>
    </section>
  );
}

type SeriesData = Record<string, (Record<string, MetricPoint[]> & { id: string }) | null>;

function OverlaidMetric({ name, index, runs, data }: { name: string; index: number; runs: RunData[]; data: SeriesData | null }) {
  // `runs` is rebuilt on each render from the same query result; its ids are what the chart needs.
  const labels = runs.map((r) => r.id.replace(/^run:/, '')).join('\n');
  const aligned = useMemo(() => {
    const series = labels.split('\n').map((_, i) => data?.[`r${i}`]?.[`m${index}`]);
    if (!series.every((s) => s !== undefined)) return null;
    return alignSeries(
      labels.split('\n').map((label, i) => ({
        label,
        points: series[i]!.map((p, k) => ({ x: p.step === null ? k : Number(p.step), y: p.value })),
      })),
    );
  }, [labels, data, index]);
  return (
    <section className="panel">
      <h2>Metric {name}</h2>
      {aligned ? (
        <LineChart name={`compare-${name}`} x={aligned.x} series={aligned.series} xLabel="step" yLabel={name} />
      ) : (
        <Loading />
      )}
    </section>
  );
}
