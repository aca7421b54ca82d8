import { useState, type FormEvent } from 'react';
import { parseConditions } from '../conditions';
import { fmtTime, fmtValue } from '../format';
import { href, navigate } from '../router';
import { useQuery } from '../use-query';
import { ErrorList, Loading } from '../components/status';
import { Pager, usePager } from '../components/pager';

const PAGE = 20;

/** Rows per page: `first` in the URL (1-100), else 20. */
function pageSize(params: URLSearchParams): number {
  const n = Number(params.get('first'));
  return Number.isInteger(n) && n >= 1 && n <= 100 ? n : PAGE;
}

interface NameValue {
  name: string;
  value: unknown;
}
interface PageInfo {
  endCursor: string | null;
  hasNextPage: boolean;
}

const MODELS = `query SearchModels($filter: ModelFilter, $first: Int!, $after: String) {
  models(filter: $filter, first: $first, after: $after) {
    nodes {
      id
      reference { uri }
      recordedAt
      hyperparameters { name value }
      evaluations { name value }
      trainingExecution { id run { id experiment { name } } }
    }
    pageInfo { endCursor hasNextPage }
  }
}`;
interface ModelsData {
  models: {
    nodes: Array<{
      id: string;
      reference: { uri: string } | null;
      recordedAt: string;
      hyperparameters: NameValue[];
      evaluations: NameValue[];
      trainingExecution: { id: string; run: { id: string; experiment: { name: string } | null } | null } | null;
    }>;
    pageInfo: PageInfo;
  };
}

const RUNS = `query SearchRuns($filter: ExecutionFilter, $first: Int!, $after: String) {
  executions(filter: $filter, first: $first, after: $after) {
    nodes { id __typename status startedAt endedAt metricNames experiment { name } }
    pageInfo { endCursor hasNextPage }
  }
}`;
interface RunsData {
  executions: {
    nodes: Array<{
      id: string;
      __typename: string;
      status: string;
      startedAt: string | null;
      endedAt: string | null;
      metricNames: string[];
      experiment: { name: string } | null;
    }>;
    pageInfo: PageInfo;
  };
}

const EXPERIMENTS = `query SearchExperiments($filter: ExperimentFilter, $first: Int!, $after: String) {
  experiments(filter: $filter, first: $first, after: $after) {
    nodes { id name kind version createdAt study { name } executions(first: 5) { nodes { id } pageInfo { hasNextPage } } }
    pageInfo { endCursor hasNextPage }
  }
}`;
interface ExperimentsData {
  experiments: {
    nodes: Array<{
      id: string;
      name: string;
      kind: string;
      version: number;
      createdAt: string;
      study: { name: string } | null;
      executions: { nodes: Array<{ id: string }>; pageInfo: PageInfo };
    }>;
    pageInfo: PageInfo;
  };
}

const STUDIES = `query SearchStudies($first: Int!, $after: String) {
  studies(first: $first, after: $after) {
    nodes { id name description createdAt experiments(first: 20) { nodes { id name version } } }
    pageInfo { endCursor hasNextPage }
  }
}`;
interface StudiesData {
  studies: {
    nodes: Array<{
      id: string;
      name: string;
      description: string | null;
      createdAt: string;
      experiments: { nodes: Array<{ id: string; name: string; version: number }> };
    }>;
    pageInfo: PageInfo;
  };
}

const KINDS = ['models', 'runs', 'experiments', 'studies'] as const;
type Kind = (typeof KINDS)[number];

/** Search: the four kinds of the store, filtered by the API's own filters, paged by cursor. */
export function SearchPage({ params }: { params: URLSearchParams }) {
  const kind = (KINDS as readonly string[]).includes(params.get('kind') ?? '') ? (params.get('kind') as Kind) : 'models';
  return (
    <section>
      <h1>Search</h1>
      <div className="tabs" role="tablist">
        {KINDS.map((k) => (
          <a
            key={k}
            role="tab"
            aria-selected={k === kind}
            className={k === kind ? 'active' : undefined}
            href={href('search', { kind: k })}
          >
            {k}
          </a>
        ))}
      </div>
      {kind === 'models' && <ModelSearch params={params} />}
      {kind === 'runs' && <RunSearch params={params} />}
      {kind === 'experiments' && <ExperimentSearch params={params} />}
      {kind === 'studies' && <StudySearch />}
    </section>
  );
}

function ModelSearch({ params }: { params: URLSearchParams }) {
  const [workflow, setWorkflow] = useState(params.get('workflow') ?? '');
  const [hp, setHp] = useState(params.get('hp') ?? '');
  const [ev, setEv] = useState(params.get('ev') ?? '');
  const hpParsed = parseConditions(params.get('hp') ?? '');
  const evParsed = parseConditions(params.get('ev') ?? '');
  const problems = [...hpParsed.problems, ...evParsed.problems];
  const filter = {
    ...(params.get('workflow') ? { workflow: params.get('workflow') } : {}),
    ...(hpParsed.conditions.length ? { hyperparameters: hpParsed.conditions } : {}),
    ...(evParsed.conditions.length ? { evaluations: evParsed.conditions } : {}),
  };
  const pager = usePager(JSON.stringify(filter));
  const q = useQuery<ModelsData>(MODELS, { filter, first: pageSize(params), after: pager.after }, problems.length > 0);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    navigate(href('search', { kind: 'models', workflow: workflow || undefined, hp: hp || undefined, ev: ev || undefined }));
  };
  const rows = q.data?.models.nodes ?? [];
  return (
    <>
      <form className="filters" onSubmit={submit}>
        <label>
          Hyperparameters
          <input name="hp" value={hp} placeholder="learning_rate = 0.01" onChange={(e) => setHp(e.target.value)} />
        </label>
        <label>
          Evaluations
          <input name="ev" value={ev} placeholder="loss < 0.01" onChange={(e) => setEv(e.target.value)} />
        </label>
        <label>
          Workflow
          <input name="workflow" value={workflow} placeholder="seismic-training" onChange={(e) => setWorkflow(e.target.value)} />
        </label>
        <button type="submit">Search</button>
      </form>
      {problems.length > 0 && <ErrorList errors={problems.map((message) => ({ message }))} />}
      <ErrorList errors={q.errors} />
      {q.loading && !q.data ? (
        <Loading />
      ) : (
        <table className="results" data-testid="model-results" aria-busy={q.loading}>
          <thead>
            <tr>
              <th>Model</th>
              <th>Run</th>
              <th>Hyperparameters</th>
              <th>Evaluations</th>
              <th>Recorded</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((m) => {
              const run = m.trainingExecution?.run;
              return (
                <tr key={m.id}>
                  <td>
                    <a href={href('model', { uri: m.reference?.uri ?? m.id })}>{m.reference?.uri ?? m.id}</a>
                  </td>
                  <td>{run ? <a href={href('run', { id: run.id })}>{run.id.replace(/^run:/, '')}</a> : '—'}</td>
                  <td className="kv">{m.hyperparameters.map((h) => `${h.name}=${fmtValue(h.value)}`).join(' · ')}</td>
                  <td className="kv">{m.evaluations.map((h) => `${h.name}=${fmtValue(h.value)}`).join(' · ')}</td>
                  <td>{fmtTime(m.recordedAt)}</td>
                </tr>
              );
            })}
            {!rows.length && !q.loading && (
              <tr>
                <td colSpan={5} className="muted">
                  No model matches.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      )}
      <Pager pager={pager} pageInfo={q.data?.models.pageInfo} />
    </>
  );
}

function RunSearch({ params }: { params: URLSearchParams }) {
  const [workflow, setWorkflow] = useState(params.get('workflow') ?? '');
  const [status, setStatus] = useState(params.get('status') ?? '');
  const [picked, setPicked] = useState<string[]>([]);
  const filter = {
    ...(params.get('workflow') ? { workflow: params.get('workflow') } : {}),
    ...(params.get('status') ? { status: params.get('status') } : {}),
  };
  const pager = usePager(JSON.stringify(filter));
  const q = useQuery<RunsData>(RUNS, { filter, first: pageSize(params), after: pager.after });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    navigate(href('search', { kind: 'runs', workflow: workflow || undefined, status: status || undefined }));
  };
  const toggle = (id: string) => setPicked((p) => (p.includes(id) ? p.filter((x) => x !== id) : [...p, id].slice(-5)));
  return (
    <>
      <form className="filters" onSubmit={submit}>
        <label>
          Workflow
          <input name="workflow" value={workflow} placeholder="seismic-training" onChange={(e) => setWorkflow(e.target.value)} />
        </label>
        <label>
          Status
          <select name="status" value={status} onChange={(e) => setStatus(e.target.value)}>
            <option value="">any</option>
            {['RUNNING', 'FINISHED', 'FAILED', 'KILLED'].map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <button type="submit">Search</button>
        <a
          className={`button${picked.length < 2 ? ' disabled' : ''}`}
          aria-disabled={picked.length < 2}
          href={picked.length >= 2 ? href('compare', { run: picked }) : undefined}
          data-testid="compare-selected"
        >
          Compare {picked.length} selected
        </a>
      </form>
      <ErrorList errors={q.errors} />
      {q.loading && !q.data ? (
        <Loading />
      ) : (
        <table className="results" data-testid="run-results" aria-busy={q.loading}>
          <thead>
            <tr>
              <th />
              <th>Run</th>
              <th>Workflow</th>
              <th>Status</th>
              <th>Started</th>
              <th>Ended</th>
              <th>Metrics</th>
            </tr>
          </thead>
          <tbody>
            {(q.data?.executions.nodes ?? []).map((r) => (
              <tr key={r.id}>
                <td>
                  <input
                    type="checkbox"
                    aria-label={`pick ${r.id}`}
                    checked={picked.includes(r.id)}
                    onChange={() => toggle(r.id)}
                  />
                </td>
                <td>
                  <a href={href('run', { id: r.id })}>{r.id.replace(/^run:/, '')}</a>
                </td>
                <td>{r.experiment?.name ?? '—'}</td>
                <td>{r.status}</td>
                <td>{fmtTime(r.startedAt)}</td>
                <td>{fmtTime(r.endedAt)}</td>
                <td>{r.metricNames.join(', ') || '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager pager={pager} pageInfo={q.data?.executions.pageInfo} />
    </>
  );
}

function ExperimentSearch({ params }: { params: URLSearchParams }) {
  const [name, setName] = useState(params.get('name') ?? '');
  const filter = params.get('name') ? { name: params.get('name') } : {};
  const pager = usePager(JSON.stringify(filter));
  const q = useQuery<ExperimentsData>(EXPERIMENTS, { filter, first: pageSize(params), after: pager.after });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    navigate(href('search', { kind: 'experiments', name: name || undefined }));
  };
  return (
    <>
      <form className="filters" onSubmit={submit}>
        <label>
          Name
          <input name="name" value={name} placeholder="seismic-training" onChange={(e) => setName(e.target.value)} />
        </label>
        <button type="submit">Search</button>
      </form>
      <ErrorList errors={q.errors} />
      <table className="results">
        <thead>
          <tr>
            <th>Experiment</th>
            <th>Kind</th>
            <th>Version</th>
            <th>Study</th>
            <th>Runs</th>
          </tr>
        </thead>
        <tbody>
          {(q.data?.experiments.nodes ?? []).map((x) => (
            <tr key={x.id}>
              <td>
                <a href={href('search', { kind: 'runs', workflow: x.name })}>{x.name}</a>
              </td>
              <td>{x.kind}</td>
              <td>{x.version}</td>
              <td>{x.study?.name ?? '—'}</td>
              <td>
                {x.executions.nodes.map((r) => (
                  <a key={r.id} className="chip" href={href('run', { id: r.id })}>
                    {r.id.replace(/^run:/, '')}
                  </a>
                ))}
                {x.executions.pageInfo.hasNextPage && <a href={href('search', { kind: 'runs', workflow: x.name })}>more…</a>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <Pager pager={pager} pageInfo={q.data?.experiments.pageInfo} />
    </>
  );
}

function StudySearch() {
  const pager = usePager('studies');
  const q = useQuery<StudiesData>(STUDIES, { first: PAGE, after: pager.after });
  return (
    <>
      <ErrorList errors={q.errors} />
      <table className="results">
        <thead>
          <tr>
            <th>Study</th>
            <th>Description</th>
            <th>Experiments</th>
          </tr>
        </thead>
        <tbody>
          {(q.data?.studies.nodes ?? []).map((s) => (
            <tr key={s.id}>
              <td>{s.name}</td>
              <td>{s.description ?? '—'}</td>
              <td>
                {s.experiments.nodes.map((x) => (
                  <a key={x.id} className="chip" href={href('search', { kind: 'runs', workflow: x.name })}>
                    {x.name} v{x.version}
                  </a>
                ))}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <Pager pager={pager} pageInfo={q.data?.studies.pageInfo} />
    </>
  );
}
