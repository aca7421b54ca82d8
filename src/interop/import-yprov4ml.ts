import path from 'node:path';
import { parseWorkflowSpec } from '../ingest/workflow-spec';
import { NS } from './namespaces';
import type { MetricPoint } from './metric-csv';
import { isMetricFile, type MetricFileRead } from './metric-files';
import { eventIds, specName, type ImportPlan } from './import-plan';
import { asText, end, first, type PAttrs, type PRelation, type ProvJsonDoc, type PValue } from './prov-json-reader';
import { namedNodes, type StatementNode } from './kept-statements';
import {
  attr,
  attrType,
  isMetricList,
  isStructural,
  isZoneless,
  listOf,
  localKey,
  record,
  recordTypes,
  timeOf,
  typed,
  valueType,
} from './yprov4ml-values';
import { LITERAL_TYPES_KEY, type LiteralTypeEntry, type LiteralTypeMap, type LiteralTypes } from './literal-types';

/**
 * yProv4ML PROV-JSON (and PROV-JSON in general) onto provml events. yProv4ML writes one
 * document per run: a run activity (`yProv4ML:level` 0, or `prov-ml:type` LearningExecution),
 * context activities (Context.TRAINING, ...), and entities for parameters, metrics (inline
 * lists, or files it references), datasets, model versions and other artifacts. Both the
 * older `prov-ml:` and the newer `yProv4ML:` attribute names are read. A document that is not
 * yProv4ML maps the same way: one run for the document, each activity a task of it.
 *
 * Nothing is dropped: every attribute of an activity is kept, keys and types as written, in the
 * attributes of its run or task, and every attribute of an entity under `entities.<id>` of the
 * activity that used or generated it (the run's for an entity of no activity), except the
 * inline metric lists, which become metric points. What an attribute means is mapped besides:
 * parameters to LEARNING_HYPERPARAMETER values, a model's own attributes (`total_params`, ...)
 * to MODEL_HYPERPARAMETER values (its `layers_description_path` to MODEL_SCHEMA), a dataset's
 * to DATASET_CHARACTERISTIC values, metric files to metric points.
 */
export interface YProvOptions {
  /** Directory of the file, to resolve the metric files it references. */
  baseDir: string;
  /** Name of the file, for the run name of documents that have no run activity. */
  fileName: string;
  digest: string;
  /** The metric files the document references, read beforehand (`metricFilesOf`, `readMetricFile`). */
  metricFiles: Map<string, MetricFileRead>;
}

type Role =
  | 'LEARNING_HYPERPARAMETER'
  | 'MODEL_HYPERPARAMETER'
  | 'MODEL_SCHEMA'
  | 'MODEL_REFERENCE'
  | 'LEARNING_DATASET_REFERENCE'
  | 'DATASET_CHARACTERISTIC'
  | 'DATA_REFERENCE'
  | 'PARAMETER';
interface Val {
  name: string;
  role: Role;
  direction: 'USED' | 'GENERATED';
  value: unknown;
  /** The type the document wrote it with, where the value does not say it (literal-types.ts). */
  type?: LiteralTypeEntry;
}

const SYSTEM = /^(yProv4ML|prov-ml|prov|provml):|^execution_(start|end)_time$|^(https?:)/;
const MODEL_FILE = /\.(pth|pt|ckpt|h5|hdf5|onnx|safetensors|pkl|joblib)$/i;

/** Local name of a written id (`context:Context.TRAINING` -> `Context.TRAINING`). */
const local = (id: string) => id.replace(/^.*?[:#/](?=[^:#/]*$)/, '') || id;

/**
 * An activity's name. yProv4ML names activities `context:<context>`, and the newest yProvML
 * `context:<context>-source:<source>` for what a logging source (`std.time`, `pyamdgpuinfo`)
 * recorded in a context: the whole name after `context:`, so that the sources of two contexts
 * stay two tasks (the local name would be the bare source, the same for both).
 */
const activityName = (id: string) => (/^context:./.test(id) ? id.slice('context:'.length) : local(id));

/** yProvML's artifact label without its prefix and its `-context:<c>[-source:<s>]` suffix. */
const artifactLabel = (label: string) => label.replace(/^(yProv4ML|prov-ml):/, '').replace(/-context:.*$/s, '') || label;

function contextOf(s: string | undefined): { context: string | null; stage: 'TRAINING' | 'VALIDATION' | 'TEST' | null } {
  const c = (s ?? '').replace(/^.*Context\./, '').toUpperCase();
  if (!c) return { context: null, stage: null };
  if (c.startsWith('TRAIN')) return { context: 'TRAINING', stage: 'TRAINING' };
  if (c.startsWith('VALID')) return { context: 'VALIDATION', stage: 'VALIDATION' };
  if (c.startsWith('TEST') || c.startsWith('EVAL')) return { context: 'TEST', stage: 'TEST' };
  return { context: c, stage: null };
}

/** provml's agent kinds from prov:type (a person unless the document says otherwise). */
function agentKind(type: string | undefined): 'PERSON' | 'SOFTWARE' | 'ORGANIZATION' {
  if (type && /SoftwareAgent$/.test(type)) return 'SOFTWARE';
  if (type && /Organi[sz]ation$/.test(type)) return 'ORGANIZATION';
  return 'PERSON';
}

/**
 * Statements provml has no place for (attribution, delegation, specialization, invalidation,
 * bundles, a usage's role, ...) are kept as written, by section and id, in the run's attributes
 * under `statements`, and the import says how many: nothing in the document is dropped.
 */
function keepUnmapped(
  doc: ProvJsonDoc,
  mapped: Set<PRelation>,
  runAttributes: Record<string, unknown>,
  warnings: string[],
  nodeOf: (iri: string) => StatementNode | undefined,
) {
  const statements: Record<string, Record<string, unknown>> = {};
  const counts: string[] = [];
  const nodes: Record<string, StatementNode> = {};
  for (const r of doc.relations) {
    if (mapped.has(r)) continue;
    (statements[r.type] ??= {})[r.id] = r.body;
    // Which provml node each end became, so the export can point the statement at it.
    for (const iri of namedNodes(r.type, r.body, doc.prefixes)) {
      const n = nodeOf(iri);
      if (n) nodes[iri] = n;
    }
  }
  for (const [section, body] of Object.entries(doc.other)) statements[section] = body as Record<string, unknown>;
  for (const [section, byId] of Object.entries(statements))
    counts.push(`${section} ${byId && typeof byId === 'object' ? Object.keys(byId).length : 1}`);
  if (!counts.length) return;
  // With the source's prefixes, `statements` is a PROV-JSON document of its own.
  runAttributes.statements = { prefix: doc.prefixes, ...statements };
  if (Object.keys(nodes).length) runAttributes.statementNodes = nodes;
  warnings.push(
    `kept as written (in the run's attributes, and as PROV statements in exports), with no provml equivalent: ${counts.join(', ')}`,
  );
}

/** Attributes with their literalTypes (literal-types.ts) where any part has one. */
function withTypes(attributes: Record<string, unknown>, types: LiteralTypes): Record<string, unknown> {
  const kept = Object.fromEntries(Object.entries(types).filter(([, v]) => v !== undefined)) as LiteralTypes;
  return Object.keys(kept).length ? { ...attributes, [LITERAL_TYPES_KEY]: kept } : attributes;
}

/** What an entity is, from its attributes (both attribute spellings). */
export function entityShape(id: string, e: PAttrs) {
  const label = artifactLabel(asText(attr(e, 'label')) ?? local(id));
  const type = asText(attr(e, 'type')) ?? '';
  const filePath = asText(attr(e, 'path')) ?? asText(attr(e, 'artifact_uri')) ?? asText(attr(e, 'artifact_path')) ?? '';
  const source = asText(attr(e, 'source')) ?? '';
  const isParam = /Parameter/.test(type) || attr(e, 'parameter_value') !== undefined || /^param_/.test(label);
  // The newest yProvML names a metric's logging source (`None`, `pyamdgpuinfo`), not its kind: a
  // metric file with a context and a source is a metric.
  const isMetric =
    /Metric/.test(type) ||
    /METRIC/.test(source) ||
    attr(e, 'metric_value_list') !== undefined ||
    (isMetricFile(filePath) && attr(e, 'source') !== undefined && attr(e, 'context') !== undefined);
  const inline = listOf(attr(e, 'metric_value_list'));
  const metricFile = (isParam || isMetric) && !inline && filePath && isMetricFile(filePath) ? filePath : null;
  return { label, type, filePath, source, isParam, isMetric, inline, metricFile };
}

/** The run's index among the experiment's runs: the row of a unified (exp, time) metric file. */
export function runIndexOf(doc: ProvJsonDoc): number | undefined {
  for (const a of doc.activity.values()) {
    if (typed(attr(a, 'level')) !== 0) continue;
    const r = typed(attr(a, 'run_id'));
    return typeof r === 'number' && Number.isInteger(r) ? r : undefined;
  }
  return undefined;
}

/** The metric files a document references, to read before planning. */
export function metricFilesOf(doc: ProvJsonDoc): string[] {
  const out = new Set<string>();
  for (const [id, e] of doc.entity) {
    const f = entityShape(id, e).metricFile;
    if (f) out.add(f);
  }
  return [...out];
}

export function planYProv4ml(doc: ProvJsonDoc, opts: YProvOptions): ImportPlan {
  const warnings: string[] = [];
  const acts = [...doc.activity.entries()];
  const runEntry =
    acts.find(([, a]) => typed(attr(a, 'level')) === 0) ??
    acts.find(([, a]) => /LearningExecution/.test(asText(attr(a, 'type')) ?? '')) ??
    null;
  const runActId = runEntry?.[0] ?? null;
  const experiment =
    asText(attr(runEntry?.[1], 'experiment_name')) ?? (runActId ? local(runActId) : opts.fileName.replace(/\.json$/i, ''));
  const runId = specName(experiment);
  const workflow = specName(`yprov4ml/${experiment.replace(/(_GR\d+)?_\d+$/, '')}`);

  // Tasks: every other activity; the transformation is its context (or local name).
  const taskOf = new Map<
    string,
    { task: string; transformation: string; stage: 'TRAINING' | 'VALIDATION' | 'TEST' | null; attrs: PAttrs }
  >();
  for (const [id, a] of acts) {
    if (id === runActId) continue;
    const name = activityName(id);
    const [ctx, source] = name.split('-source:');
    const { stage } = contextOf(ctx.includes('Context.') ? ctx : asText(attr(a, 'context')));
    const transformation = specName((source !== undefined ? `${ctx}-${source}` : name).replace(/^Context\./, '').toLowerCase());
    taskOf.set(id, { task: specName(`${runId}/${name}`), transformation, stage, attrs: a });
  }
  const owner = (actId: string | undefined) => (actId && taskOf.has(actId) ? actId : null);

  // Which activity used / generated each entity.
  const usedBy = new Map<string, string[]>();
  const genBy = new Map<string, string[]>();
  for (const r of doc.relations) {
    if (r.type === 'used') {
      const e = end(r, 'entity');
      const a = end(r, 'activity');
      if (e && a) (usedBy.get(e) ?? usedBy.set(e, []).get(e)!).push(a);
    } else if (r.type === 'wasGeneratedBy') {
      const e = end(r, 'entity');
      const a = end(r, 'activity');
      if (e && a) (genBy.get(e) ?? genBy.set(e, []).get(e)!).push(a);
    }
  }

  const values = new Map<string | null, Val[]>(); // by task activity id; null = the run
  // The spec grammar declares run-level values as used only: what a run generates itself
  // (a legacy file's model) goes to a `models` task, as newer yProv4ML writes it.
  const SYNTH = '\u0000models';
  const push = (act: string | null, v: Val) => {
    const key = act === null && v.direction === 'GENERATED' ? SYNTH : act;
    if (key === SYNTH && !taskOf.has(SYNTH))
      taskOf.set(SYNTH, { task: specName(`${runId}/models`), transformation: 'models', stage: null, attrs: new Map() });
    (values.get(key) ?? values.set(key, []).get(key)!).push(v);
  };
  const metrics: Array<{ act: string | null; name: string; context: string | null; points: MetricPoint[] }> = [];
  const refOf = new Map<string, { $ref: string; store: string }>();

  // Values written as attributes of the activities (log_param in some yProv4ML versions).
  for (const [id, a] of acts) {
    for (const [k, vs] of a)
      if (!SYSTEM.test(k) && vs.length)
        push(id === runActId ? null : id, {
          name: specName(k),
          role: 'LEARNING_HYPERPARAMETER',
          direction: 'USED',
          value: vs.length === 1 ? typed(vs[0]) : vs.map(typed),
          type: valueType(a, k),
        });
  }

  // Every entity's attributes as written, under the activity that used or generated it.
  const entitiesOf = new Map<string | null, Record<string, Record<string, unknown>>>();
  const entityTypesOf = new Map<string | null, Record<string, LiteralTypeMap>>();
  // Inline metric lists are left out only when they could be read as points.
  const keep = (act: string | null, id: string, e: PAttrs, listsRead: boolean) => {
    const m = entitiesOf.get(act) ?? entitiesOf.set(act, {}).get(act)!;
    const types = recordTypes(e, listsRead ? isMetricList : () => false);
    if (types) (entityTypesOf.get(act) ?? entityTypesOf.set(act, {}).get(act)!)[id] = types;
    return (m[id] = record(e, listsRead ? isMetricList : () => false));
  };
  // Points the store's metric series cannot hold (NaN, infinities: JSON and float8 series have
  // no place for them in provml) stay with the metric's entity, as written, and are counted.
  const setApart = (kept: Record<string, unknown>, label: string, points: MetricPoint[]) => {
    const odd = points.filter((p) => !Number.isFinite(p.value));
    if (!odd.length) return points;
    const apart = odd.map((p) => ({ step: p.step, value: p.written ?? String(p.value), time: p.time }));
    kept.nonFinitePoints = apart;
    warnings.push(
      `${label}: ${odd.length} of ${points.length} points are not finite (${[...new Set(apart.map((p) => p.value))].join(', ')}); ` +
        `kept with the entity's attributes (nonFinitePoints), not in the metric series`,
    );
    return points.filter((p) => Number.isFinite(p.value));
  };
  // What yProv4ML says about an entity besides what it is: one value each, named after the entity
  // unless the key already is (`train_loader_stat_total_samples`).
  const extras = (act: string | null, label: string, e: PAttrs, direction: Val['direction'], role: (k: string) => Role) => {
    for (const [k, vs] of e) {
      if (isStructural(k) || !vs.length) continue;
      const key = localKey(k);
      const name = specName(key.startsWith(label) ? key : `${label}.${key}`);
      push(act, {
        name,
        role: role(key),
        direction,
        value: vs.length === 1 ? typed(vs[0]) : vs.map(typed),
        type: valueType(e, k),
      });
    }
  };

  for (const [id, e] of doc.entity) {
    const { label, type, filePath, isParam, isMetric, inline, metricFile } = entityShape(id, e);
    const role = asText(attr(e, 'role'));
    const gen = (genBy.get(id) ?? [])[0];
    const use = (usedBy.get(id) ?? [])[0];
    const act = owner(gen ?? use);
    const kept = keep(act, id, e, inline !== null);
    const ref = () => {
      const r = { $ref: filePath || id, store: filePath ? 'fs' : 'prov' };
      refOf.set(id, r);
      return r;
    };
    const file = metricFile ? opts.metricFiles.get(metricFile) : undefined;
    if (metricFile && !file) warnings.push(`metric file ${metricFile} was not read`);
    if (file && file.report.status !== 'read')
      warnings.push(`${label}: ${metricFile}: ${file.report.status}${file.report.message ? ` (${file.report.message})` : ''}`);
    if (isParam) {
      // log_param: the value as written (older files), else the last point of its metric file.
      const written = attr(e, 'parameter_value');
      const points = file?.points ?? [];
      const last = points[points.length - 1];
      // A NaN parameter cannot be a JSON number: its value is the text the file wrote.
      const value =
        written !== undefined
          ? typed(written)
          : last
            ? Number.isFinite(last.value)
              ? last.value
              : (last.written ?? String(last.value))
            : null;
      push(act, {
        name: specName(label.replace(/^param_/, '')),
        role: 'LEARNING_HYPERPARAMETER',
        direction: 'USED',
        value,
        type: written !== undefined ? attrType(e, 'parameter_value') : undefined,
      });
      if (points.length > 1) warnings.push(`${label}: ${points.length} values in ${metricFile}; the last is the parameter`);
    } else if (isMetric) {
      const { context } = contextOf(asText(attr(e, 'context')) ?? label);
      const name = specName(asText(attr(e, 'name')) ?? label.replace(/_Context\.[A-Z]+$/, ''));
      let points: MetricPoint[] = [];
      if (inline) {
        const steps = listOf(attr(e, 'metric_epoch_list'));
        const times = listOf(attr(e, 'metric_timestamp_list'));
        points = inline.map((v, i) => {
          const value = typeof v === 'number' || typeof v === 'string' ? Number(v) : NaN;
          return {
            step: steps && Number.isInteger(steps[i]) ? (steps[i] as number) : i,
            value,
            ...(Number.isFinite(value) ? {} : { written: typeof v === 'string' ? v : JSON.stringify(v) }),
            time:
              times && typeof times[i] === 'number'
                ? (times[i] as number) < 1e11
                  ? Math.round((times[i] as number) * 1000)
                  : (times[i] as number)
                : null,
          };
        });
      } else if (file) points = file.points;
      else if (filePath) warnings.push(`metric ${name}: ${path.extname(filePath) || 'this'} files are not read`);
      points = setApart(kept, label, points);
      if (points.length) metrics.push({ act, name, context, points });
      // A metric file that could not be read is still a file the run generated.
      if (!points.length && filePath)
        push(act, { name: specName(`${name}_file`), role: 'DATA_REFERENCE', direction: 'GENERATED', value: ref() });
    } else {
      // An entity tied to no activity and to no file (yProv4ML's Experiment record) is not a value.
      if (!gen && !use && !filePath) continue;
      const actName = (gen ?? use) ? local((gen ?? use)!) : '';
      const isModel = /Model/.test(type) || /MODELS/.test(actName) || MODEL_FILE.test(filePath);
      const isDataset = /Dataset/.test(type) || /DATASETS/.test(actName) || /_loader$|dataset/i.test(label);
      const direction: 'USED' | 'GENERATED' = isModel || gen || role === 'output' ? 'GENERATED' : 'USED';
      const r = isModel ? 'MODEL_REFERENCE' : isDataset ? 'LEARNING_DATASET_REFERENCE' : 'DATA_REFERENCE';
      push(act, { name: specName(label), role: r, direction, value: ref() });
      if (isModel)
        extras(act, label, e, 'GENERATED', (k) => (/layers_description/.test(k) ? 'MODEL_SCHEMA' : 'MODEL_HYPERPARAMETER'));
      else if (isDataset) extras(act, label, e, 'USED', () => 'DATASET_CHARACTERISTIC');
      else extras(act, label, e, direction, () => 'PARAMETER');
    }
  }

  // The spec: one transformation per task, declaring the roles of what it used and generated.
  const decl = (vals: Val[], dir: 'USED' | 'GENERATED') => {
    const seen = new Map<string, Role>();
    for (const v of vals) if (v.direction === dir && !seen.has(v.name)) seen.set(v.name, v.role);
    return [...seen].map(([name, role]) => ({ name, role }));
  };
  const transformations = new Map<
    string,
    {
      name: string;
      kind: string;
      stageType?: string;
      used: Array<{ name: string; role: Role }>;
      generated: Array<{ name: string; role: Role }>;
    }
  >();
  for (const [actId, t] of taskOf) {
    const vals = values.get(actId) ?? [];
    const prev = transformations.get(t.transformation);
    const used = [...(prev?.used ?? []), ...decl(vals, 'USED')].filter(
      (a, i, all) => all.findIndex((b) => b.name === a.name) === i,
    );
    const generated = [...(prev?.generated ?? []), ...decl(vals, 'GENERATED')].filter(
      (a, i, all) => all.findIndex((b) => b.name === a.name) === i,
    );
    transformations.set(
      t.transformation,
      t.stage
        ? { name: t.transformation, kind: 'LEARNING_STAGE', stageType: t.stage, used, generated }
        : { name: t.transformation, kind: 'DATA_TRANSFORMATION', used, generated },
    );
  }
  const spec = parseWorkflowSpec({
    name: workflow,
    kind: 'LEARNING',
    description: `Imported from yProv4ML / PROV-JSON (${opts.fileName}).`,
    attributes: decl(values.get(null) ?? [], 'USED'),
    transformations: [...transformations.values()],
  });

  // Events, in the order ingest needs: agents, run, tasks, metrics, ends.
  const id = eventIds(`import:${opts.digest}`);
  const events: Array<Record<string, unknown>> = [];
  const toObject = (vals: Val[], dir: 'USED' | 'GENERATED') => {
    const o: Record<string, unknown> = {};
    for (const v of vals) if (v.direction === dir && !(v.name in o)) o[v.name] = v.value;
    return o;
  };
  // The written types of the values toObject keeps (the first of each name), for literalTypes.
  const typesOf = (vals: Val[], dir: 'USED' | 'GENERATED') => {
    const o: LiteralTypeMap = {};
    const seen = new Set<string>();
    for (const v of vals) {
      if (v.direction !== dir || seen.has(v.name)) continue;
      seen.add(v.name);
      if (v.type !== undefined) o[v.name] = v.type;
    }
    return Object.keys(o).length ? o : undefined;
  };
  // Statements mapped onto provml's own; the others are kept as written (`statements`, below).
  const mapped = new Set<PRelation>();
  // Every agent, declared or only named by an association, with its kind and attributes.
  const agentIds = new Map<string, string>();
  const agentOf = (a: string) => {
    let out = agentIds.get(a);
    if (!out) {
      const attrs = doc.agent.get(a);
      out = specName(local(a));
      agentIds.set(a, out);
      events.push({
        id: id(),
        type: 'agent',
        agent: out,
        kind: agentKind(asText(first(attrs, `${NS.prov}type`))),
        name: asText(first(attrs, `${NS.prov}label`)) ?? local(a),
        ...(attrs && attrs.size ? { attributes: withTypes(record(attrs), { attributes: recordTypes(attrs) }) } : {}),
      });
    }
    return out;
  };
  let agent: string | undefined;
  for (const r of doc.relations) {
    if (r.type !== 'wasAssociatedWith') continue;
    const a = end(r, 'agent');
    if (a && !agent) agent = agentOf(a);
  }
  for (const a of doc.agent.keys()) agentOf(a);
  const runAttrs = runEntry?.[1];
  // Times as written; Python's naive datetime.isoformat() (what the `prov` library writes for a
  // datetime without tzinfo) has no zone: read as UTC, never as this server's local time, and said.
  let zoneless = 0;
  const when = (v: PValue | undefined) => {
    if (isZoneless(v)) zoneless++;
    return timeOf(v);
  };
  const startOf = (a: PAttrs | undefined) => when(first(a, 'execution_start_time', `${NS.prov}startTime`));
  const endOf = (a: PAttrs | undefined) => when(first(a, 'execution_end_time', `${NS.prov}endTime`));
  // Each task's own times (an activity's prov:startTime / endTime), else the run's.
  const taskTimes = new Map([...taskOf].map(([actId, t]) => [actId, { start: startOf(t.attrs), end: endOf(t.attrs) }]));
  const starts = [...taskTimes.values()].flatMap((t) => (t.start === undefined ? [] : [t.start]));
  const ends = [...taskTimes.values()].flatMap((t) => (t.end === undefined ? [] : [t.end]));
  // The newest yProvML logs the run's times on its `-source:std.time` activity, not on the run's;
  // a document with no run activity spans its activities.
  const t0 =
    startOf(runAttrs) ??
    acts.map(([, a]) => timeOf(first(a, 'execution_start_time'))).find((t) => t !== undefined) ??
    (starts.length ? Math.min(...starts) : undefined);
  const t1 =
    endOf(runAttrs) ??
    acts.map(([, a]) => timeOf(first(a, 'execution_end_time'))).find((t) => t !== undefined) ??
    (ends.length ? Math.max(...ends) : undefined);
  if (t0 === undefined) warnings.push('the document gives no start time: the run and its tasks are dated 0 (1970-01-01)');
  if (zoneless)
    warnings.push(`${zoneless} time${zoneless === 1 ? '' : 's'} written without a time zone (a naive datetime), read as UTC`);
  const runStart = t0 ?? 0;
  const runEnd = t1 ?? runStart;
  // An activity's attributes as written, its entities' under `entities` (see the header).
  const RESERVED = new Set(['entities', 'statements', 'statementNodes', 'prefix', LITERAL_TYPES_KEY]);
  const attributesOf = (actId: string | null, a: PAttrs | undefined, extra: Record<string, unknown>, vals: Val[]) => {
    const out: Record<string, unknown> = { ...extra };
    if (actId !== null) out.activity = actId;
    const written = a ? recordTypes(a) : undefined;
    const ownTypes: LiteralTypeMap = {};
    for (const [k, v] of Object.entries(a ? record(a) : {})) {
      const key = k in out || RESERVED.has(k) ? `attribute:${k}` : k;
      out[key] = v;
      if (written?.[k] !== undefined) ownTypes[key] = written[k];
    }
    const owner = actId === runActId ? null : actId;
    const ents = entitiesOf.get(owner);
    if (ents) out.entities = ents;
    return withTypes(out, {
      attributes: Object.keys(ownTypes).length ? ownTypes : undefined,
      entities: entityTypesOf.get(owner),
      used: typesOf(vals, 'USED'),
      generated: typesOf(vals, 'GENERATED'),
    });
  };
  // The document's prefix section as written: yProv4ML's prefixes are not IRIs (`yProv4ML`,
  // `context`) and its `default` names the run's namespace, which no id carries once read.
  const runAttributes = attributesOf(
    runActId,
    runAttrs,
    {
      source: 'yProv4ML',
      document: opts.fileName,
      ...(Object.keys(doc.prefixes).length ? { prefix: doc.prefixes } : {}),
    },
    values.get(null) ?? [],
  );
  events.push({
    id: id(),
    type: 'workflowBegin',
    run: runId,
    workflow,
    time: runStart,
    ...(agent ? { agent } : {}),
    attributes: runAttributes,
    used: toObject(values.get(null) ?? [], 'USED'),
  });
  for (const [actId, t] of taskOf) {
    const vals = values.get(actId) ?? [];
    events.push({
      id: id(),
      type: 'taskBegin',
      task: t.task,
      run: runId,
      transformation: t.transformation,
      time: taskTimes.get(actId)?.start ?? runStart,
      attributes:
        actId === SYNTH ? withTypes({}, { generated: typesOf(vals, 'GENERATED') }) : attributesOf(actId, t.attrs, {}, vals),
      used: toObject(vals, 'USED'),
    });
  }
  for (const m of metrics) {
    const task = m.act ? taskOf.get(m.act)?.task : undefined;
    for (const p of m.points) {
      events.push({
        id: id(),
        type: 'metric',
        run: runId,
        ...(task ? { task } : {}),
        name: m.name,
        value: p.value,
        ...(p.step !== null ? { step: p.step } : {}),
        ...(m.context ? { context: m.context } : {}),
        time: p.time ?? runStart,
      });
    }
  }
  for (const [actId, t] of taskOf)
    events.push({
      id: id(),
      type: 'taskEnd',
      task: t.task,
      time: taskTimes.get(actId)?.end ?? Math.max(runEnd, taskTimes.get(actId)?.start ?? runEnd),
      generated: toObject(values.get(actId) ?? [], 'GENERATED'),
    });
  // An entity that is no value (a collection, a plan) is still a node: a reference in the `prov` store.
  const provRefs = new Set<string>(); // entities that became references in the `prov` store
  const refFor = (e: string | undefined) => {
    if (!e) return undefined;
    const known = refOf.get(e);
    if (known) return known;
    provRefs.add(e);
    return { $ref: e, store: 'prov' };
  };
  const nodeOf = (act: string | undefined) => (act === runActId ? runId : act ? taskOf.get(act)?.task : undefined);
  const relation = (r: PRelation, kind: string, subject: unknown, object: unknown) => {
    mapped.add(r);
    events.push({ id: id(), type: 'relation', relation: kind, ...(subject as object), ...(object as object) });
  };
  for (const r of doc.relations) {
    if (r.type === 'wasDerivedFrom' || r.type === 'hadMember') {
      const [s0, o0] = r.type === 'wasDerivedFrom' ? ['generatedEntity', 'usedEntity'] : ['collection', 'entity'];
      const g = refFor(end(r, s0));
      const u = refFor(end(r, o0));
      // A derivation that says more than which entity came from which (its activity, usage or
      // generation) keeps that as written too.
      const qualified = [...r.attrs.keys()].some((k) => k !== `${NS.prov}${s0}` && k !== `${NS.prov}${o0}`);
      if (g && u)
        relation(
          r,
          r.type === 'wasDerivedFrom' ? 'WAS_DERIVED_FROM' : 'HAD_MEMBER',
          { subject: g.$ref, subjectStore: g.store },
          { object: u.$ref, objectStore: u.store },
        );
      if (qualified) mapped.delete(r);
    } else if (r.type === 'wasInformedBy') {
      const informed = end(r, 'informed');
      const informant = end(r, 'informant');
      // A context activity informed by the run activity is a task of the run: the nesting says it.
      if (informed === runActId || informant === runActId) {
        if (taskOf.has(informed ?? '') || taskOf.has(informant ?? '')) mapped.add(r);
      } else if (taskOf.has(informed ?? '') && taskOf.has(informant ?? ''))
        relation(r, 'WAS_INFORMED_BY', { subject: nodeOf(informed) }, { object: nodeOf(informant) });
    } else if (r.type === 'wasAssociatedWith') {
      const a = end(r, 'agent');
      const subject = nodeOf(end(r, 'activity'));
      const plan = first(r.attrs, `${NS.prov}plan`);
      if (a && subject) relation(r, 'WAS_ASSOCIATED_WITH', { subject }, { object: agentOf(a) });
      if (plan !== undefined || r.attrs.size > 2) mapped.delete(r);
    } else if (r.type === 'used' || r.type === 'wasGeneratedBy') {
      // The usage or generation that placed the entity's value (see `owner` above).
      const e = end(r, 'entity');
      const placedBy = e ? (genBy.get(e)?.[0] ?? usedBy.get(e)?.[0]) : undefined;
      const kind = e && genBy.has(e) ? 'wasGeneratedBy' : 'used';
      const onlyEnds = [...r.attrs.keys()].every(
        (k) => k === `${NS.prov}entity` || k === `${NS.prov}activity` || k === `${NS.prov}time`,
      );
      if (e && r.type === kind && end(r, 'activity') === placedBy && onlyEnds) mapped.add(r);
    }
  }
  events.push({
    id: id(),
    type: 'workflowEnd',
    run: runId,
    time: runEnd,
    generated: toObject(values.get(null) ?? [], 'GENERATED'),
  });
  const statementNode = (iri: string): StatementNode | undefined => {
    if (iri === runActId) return ['run', runId];
    const task = taskOf.get(iri)?.task;
    if (task) return ['task', task];
    const agentId = agentIds.get(iri);
    if (agentId) return ['agent', agentId];
    const ref = refOf.get(iri) ?? (provRefs.has(iri) ? { $ref: iri, store: 'prov' } : undefined);
    return ref ? ['ref', ref.store, ref.$ref] : undefined;
  };
  keepUnmapped(doc, mapped, runAttributes, warnings, statementNode);
  const files = [...opts.metricFiles.values()].map((f) => f.report);
  return { source: runEntry ? 'yprov4ml' : 'prov-json', specs: [{ spec }], events, warnings, files };
}
