import type { ReactNode } from 'react';
import { errorsAt, topErrors, type GqlError } from '../graphql';
import { fmtBytes, fmtDuration, fmtTime, fmtValue } from '../format';
import { href } from '../router';
import { useQuery } from '../use-query';
import { ErrorList, Loading, Unavailable } from '../components/status';
import { FootprintMap } from '../components/footprint-map';
import { MODEL_CARD } from '../model-card-query';

interface NameValue {
  name: string;
  value: unknown;
}
interface ObjectMeta {
  size: string;
  modified: string;
  contentType?: string | null;
  etag?: string | null;
}
interface RawFile {
  id: string;
  uri: string;
  store: string;
  object: ObjectMeta | null;
  extraction: { status: string; characteristics: NameValue[] | null } | null;
  knowledge: { iri: string; label: string | null; basin: string | null; field: string | null; wells: string[] } | null;
  document: { geometry: unknown } | null;
  usedBy: Array<{ id: string; transformation?: { name: string } | null; generated?: NameValue[] }>;
}
interface Dataset {
  name: string;
  dataReference: {
    id: string;
    uri: string;
    object: ObjectMeta | null;
    wasGeneratedBy: Array<{
      id: string;
      transformation?: { name: string } | null;
      used?: NameValue[];
      run?: { id: string } | null;
    }>;
    wasDerivedFrom: RawFile[];
  } | null;
}
interface GpuRow {
  host: string | null;
  gpuIndex: number;
  gpuName: string | null;
  samples: number;
  avgUtilization: number | null;
  maxUtilization: number | null;
  maxMemoryUsed: string | null;
  maxTemperature: number | null;
  energy: number | null;
}
interface ModelCardData {
  model: {
    id: string;
    name: string;
    recordedAt: string;
    reference: { uri: string; store: string; object: ObjectMeta | null } | null;
    hyperparameters: Array<NameValue & { role: string }>;
    evaluations: NameValue[];
    datasets: Dataset[];
    trainingExecution: {
      id: string;
      host: string | null;
      startedAt: string | null;
      endedAt: string | null;
      durationMs: number | null;
      durationStats: Array<{ count: number; minMs: number | null; avgMs: number | null; maxMs: number | null }>;
      parent: { id: string; startedAt: string | null; endedAt: string | null } | null;
      run: {
        id: string;
        startedAt: string | null;
        endedAt: string | null;
        attributes: Record<string, unknown>;
        experiment: { name: string } | null;
        gpuSummary: GpuRow[];
      } | null;
    } | null;
  } | null;
}

// Characteristics worth a row of their own; the rest stay in the full list.
const PREPARATION_KEYS = ['tile_size', 'noise_threshold', 'inline_range', 'crossline_range'];

export default function ModelCardPage({ params }: { params: URLSearchParams }) {
  const uri = params.get('uri') ?? '/models/model188.hdf5';
  const q = useQuery<ModelCardData>(MODEL_CARD, { uri });
  // Another model or run is another page: never show the previous one while the next loads.
  if (q.loading) return <Loading />;
  const m = q.data?.model;
  const fatal = topErrors(q.errors, 'model');
  if (!m) return fatal.length ? <ErrorList errors={fatal} /> : <p className="error">No model at {uri}.</p>;
  const train = m.trainingExecution;
  const run = train?.run;
  const attrs = run?.attributes ?? {};
  const objErrors = errorsAt(q.errors, ['model', 'reference', 'object']);
  return (
    <article className="model-card" data-testid="model-card">
      <h1>
        Model <code>{m.reference?.uri ?? m.id}</code>
      </h1>
      <p className="muted">
        {m.id} · recorded {fmtTime(m.recordedAt)} ·{' '}
        {m.reference && <a href={href('lineage', { start: m.reference.uri, dir: 'BACKWARD' })}>lineage ←</a>}
        {' · '}
        {m.reference && <a href={href('lineage', { start: m.reference.uri, dir: 'FORWARD' })}>uses →</a>}
      </p>
      <div className="cards">
        <section className="card">
          <h2>Evaluations</h2>
          <Table rows={m.evaluations.map((e) => [e.name, fmtValue(e.value)])} testid="evaluations" />
        </section>
        <section className="card">
          <h2>Hyperparameters</h2>
          <Table
            rows={m.hyperparameters.map((h) => [h.name, fmtValue(h.value), h.role.toLowerCase().replace(/_/g, ' ')])}
            testid="hyperparameters"
          />
        </section>
        <section className="card">
          <h2>Model file</h2>
          {objErrors.length ? (
            <Unavailable errors={objErrors} what="Object metadata" />
          ) : m.reference?.object ? (
            <Table
              rows={[
                ['store', m.reference.store],
                ['size', fmtBytes(m.reference.object.size)],
                ['modified', fmtTime(m.reference.object.modified)],
                ['type', m.reference.object.contentType ?? '—'],
                ['etag', m.reference.object.etag ?? '—'],
              ]}
            />
          ) : (
            <p className="muted">Not in its store.</p>
          )}
        </section>
        <section className="card" data-testid="training">
          <h2>Training execution</h2>
          {train ? (
            <Table
              rows={[
                ['run', run ? <a href={href('run', { id: run.id })}>{run.id}</a> : '—'],
                ['workflow', run?.experiment?.name ?? '—'],
                ['cluster', fmtValue(attrs.cluster)],
                ['nodes', fmtValue(attrs.nodes)],
                ['job id', fmtValue(attrs.jobId)],
                ['GPUs', fmtValue(attrs.gpus)],
                ['task', train.id],
                ['host', train.host ?? '—'],
                ['training started', fmtTime(train.parent?.startedAt ?? train.startedAt)],
                ['model epoch ended', fmtTime(train.endedAt)],
                ['run time', fmtTime(run?.startedAt) + ' → ' + fmtTime(run?.endedAt)],
                ...train.durationStats.map((d) => [
                  'batches (this epoch)',
                  `${d.count} · min ${fmtDuration(d.minMs)} · avg ${fmtDuration(d.avgMs)} · max ${fmtDuration(d.maxMs)}`,
                ]),
              ]}
            />
          ) : (
            <p className="muted">No training task recorded.</p>
          )}
          {run && run.gpuSummary.length > 0 && (
            <table className="small">
              <thead>
                <tr>
                  <th>GPU</th>
                  <th>avg / max util.</th>
                  <th>peak mem.</th>
                  <th>max temp.</th>
                  <th>energy</th>
                </tr>
              </thead>
              <tbody>
                {run.gpuSummary.map((g) => (
                  <tr key={`${g.host}-${g.gpuIndex}`}>
                    <td>
                      {g.host}#{g.gpuIndex} {g.gpuName}
                    </td>
                    <td>
                      {fmtValue(g.avgUtilization)}% / {fmtValue(g.maxUtilization)}%
                    </td>
                    <td>{fmtBytes(g.maxMemoryUsed)}</td>
                    <td>{g.maxTemperature === null ? '—' : `${fmtValue(g.maxTemperature)} °C`}</td>
                    <td>{g.energy === null ? '—' : `${fmtValue(g.energy / 3.6e6)} kWh`}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      </div>
      {m.datasets.map((d, i) => (
        <DatasetSection
          key={`${d.name}-${i}`}
          dataset={d}
          errors={q.errors}
          path={['model', 'datasets', i, 'dataReference']}
          model={m.reference?.uri ?? m.id}
          measure={m.evaluations[0]?.name}
        />
      ))}
    </article>
  );
}

const BEST_MODEL = `query WebBestModel($dataset: String!, $measure: String!) {
  bestModel(dataset: $dataset, measure: $measure) { reference { uri } evaluations { name value } }
}`;

function DatasetSection({
  dataset,
  errors,
  path,
  model,
  measure,
}: {
  dataset: Dataset;
  errors: GqlError[];
  path: Array<string | number>;
  model: string;
  measure: string | undefined;
}) {
  const ref = dataset.dataReference;
  // Q3: the model with the least value of this model's first measure among those trained on the set.
  const best = useQuery<{
    bestModel: { reference: { uri: string } | null; evaluations: Array<{ name: string; value: unknown }> } | null;
  }>(BEST_MODEL, { dataset: ref?.uri ?? '', measure: measure ?? '' }, !ref || !measure);
  if (!ref) return null;
  const bestModel = best.data?.bestModel;
  const prep = ref.wasGeneratedBy[0];
  const used = prep?.used ?? [];
  const shown = used.filter((u) => PREPARATION_KEYS.includes(u.name));
  return (
    <section className="dataset" data-testid={`dataset-${dataset.name}`}>
      <h2>
        {dataset.name}: <code>{ref.uri}</code>
      </h2>
      {bestModel?.reference && (
        <p className="muted" data-testid="best-on-set">
          Least {measure} among the models trained on this set:{' '}
          {bestModel.reference.uri === model ? (
            <strong>this model</strong>
          ) : (
            <a href={href('model', { uri: bestModel.reference.uri })}>{bestModel.reference.uri}</a>
          )}{' '}
          ({measure} {fmtValue(bestModel.evaluations.find((e) => e.name === measure)?.value)})
        </p>
      )}
      <div className="cards">
        <section className="card">
          <h3>How it was made</h3>
          {prep ? (
            <>
              <p className="muted">
                by {prep.transformation?.name ?? 'task'} <code>{prep.id}</code>
                {prep.run && (
                  <>
                    {' '}
                    in <a href={href('run', { id: prep.run.id })}>{prep.run.id}</a>
                  </>
                )}
              </p>
              <Table rows={(shown.length ? shown : used).map((u) => [u.name, fmtValue(u.value)])} testid="preparation" />
            </>
          ) : (
            <p className="muted">No generating task recorded.</p>
          )}
        </section>
        {ref.wasDerivedFrom.map((raw, j) => (
          <RawFileCards key={raw.id} raw={raw} errors={errors} path={[...path, 'wasDerivedFrom', j]} />
        ))}
      </div>
    </section>
  );
}

function RawFileCards({ raw, errors, path }: { raw: RawFile; errors: GqlError[]; path: Array<string | number> }) {
  const kErr = errorsAt(errors, [...path, 'knowledge']);
  const dErr = errorsAt(errors, [...path, 'document']);
  const oErr = errorsAt(errors, [...path, 'object']);
  const facts = raw.extraction?.characteristics ?? raw.usedBy.flatMap((t) => t.generated ?? []);
  const geometry = raw.document?.geometry ?? facts.find((f) => f.name === 'footprint_wgs84')?.value;
  return (
    <>
      <section className="card" data-testid="raw-file">
        <h3>
          Raw file <a href={href('lineage', { start: raw.uri, dir: 'FORWARD' })}>{raw.uri}</a>
        </h3>
        {oErr.length ? (
          <Unavailable errors={oErr} what="Object metadata" />
        ) : (
          raw.object && (
            <p className="muted">{`${fmtBytes(raw.object.size)} · ${raw.object.contentType ?? ''} · store ${raw.store}`}</p>
          )
        )}
        <Table
          rows={facts
            .filter((f) => !['textual_header', 'footprint', 'footprint_wgs84'].includes(f.name))
            .map((f) => [f.name, fmtValue(f.value)])}
          testid="facts"
        />
      </section>
      <section className="card" data-testid="knowledge">
        <h3>Knowledge</h3>
        {kErr.length ? (
          <Unavailable errors={kErr} what="Basin and field" />
        ) : raw.knowledge ? (
          <Table
            rows={[
              ['basin', raw.knowledge.basin ?? '—'],
              ['field', raw.knowledge.field ?? '—'],
              ['label', raw.knowledge.label ?? '—'],
              ['wells', raw.knowledge.wells.join(', ') || '—'],
              ['IRI', raw.knowledge.iri],
            ]}
          />
        ) : (
          <p className="muted">No knowledge store describes it.</p>
        )}
      </section>
      <section className="card" data-testid="footprint">
        <h3>Footprint</h3>
        {dErr.length ? <Unavailable errors={dErr} what="Polygon" /> : null}
        {geometry ? <FootprintMap geometry={geometry} /> : !dErr.length && <p className="muted">No polygon.</p>}
        {dErr.length > 0 && geometry ? <p className="muted">Drawn from the extracted facts.</p> : null}
      </section>
    </>
  );
}

function Table({ rows, testid }: { rows: ReactNode[][]; testid?: string }) {
  return (
    <table className="kv-table" data-testid={testid}>
      <tbody>
        {rows.map((r, i) => (
          <tr key={i}>{r.map((c, j) => (j === 0 ? <th key={j}>{c}</th> : <td key={j}>{c}</td>))}</tr>
        ))}
      </tbody>
    </table>
  );
}
