import { findDataRefs, findRun } from '../connectors/provenance/id-lookup';
import type { EdgeKind, ProvenanceStore } from '../connectors/provenance/provenance-store';
import type { MetricRow, RunRow, TaskRow, ValueRow, WorkflowRow } from '../connectors/provenance/rows';
import { LimitExceededError, NotFoundError } from '../errors';
import { agentIri, instanceIri, provml, refIri, runIri, taskIri } from './namespaces';
import { json, str, type AttrValue, type ProvRecord, type RelationType } from './prov-records';
import { RunState, StoreRecords, valueRecords } from './store-records';
import { keptAgentIds, keptRecordsOf } from './kept-statements';

/** What to export: the whole store, one run, or the lineage of one entity (a data URI). */
export type ExportScope = { kind: 'all' } | { kind: 'run'; runId: string } | { kind: 'entity'; uri: string; depth: number };

export interface ExportLimits {
  maxDepth: number;
  nodeCap: number;
}
export const DEFAULT_EXPORT_LIMITS: ExportLimits = { maxDepth: 50, nodeCap: 20_000 };

const PAGE = 2000;
const METRIC_CHUNK = 10_000;

/** The PROV records of a scope, read page by page: memory stays bounded by one run's state. */
export async function* provRecords(
  store: ProvenanceStore,
  scope: ExportScope,
  limits: ExportLimits = DEFAULT_EXPORT_LIMITS,
): AsyncGenerator<ProvRecord> {
  const records = new StoreRecords(store);
  if (scope.kind === 'entity') {
    yield* lineageRecords(store, records, scope.uri, scope.depth, limits);
    return;
  }
  if (scope.kind === 'run') {
    const run = await findRun(store, scope.runId);
    if (!run) throw new NotFoundError('run', scope.runId);
    yield* runRecords(store, records, run, true);
    // The run's agent, and every agent its kept statements name (actedOnBehalfOf's responsible...).
    const agentIds = [...new Set([...(run.agentId ? [run.agentId] : []), ...keptAgentIds(run.attributes)])];
    for (const a of await store.agentsByIds(agentIds)) if (a) yield* records.agent(a);
    return;
  }
  for (let after: string | null = null; ;) {
    const page = await store.workflows({}, { first: PAGE, after });
    for (const wf of page.items) yield* records.workflow(wf);
    if (!page.hasNextPage) break;
    after = page.endCursor;
  }
  for (let after: string | null = null; ;) {
    const page = await store.agents({ first: PAGE, after });
    for (const a of page.items) yield* records.agent(a);
    if (!page.hasNextPage) break;
    after = page.endCursor;
  }
  for (let after: string | null = null; ;) {
    const page = await store.runs({}, { first: 100, after });
    for (const run of page.items) yield* runRecords(store, records, run, false);
    if (!page.hasNextPage) break;
    after = page.endCursor;
  }
  for (let after: string | null = null; ;) {
    const page = await store.relations({ first: PAGE, after });
    yield* await explicitRelations(store, records, page.items);
    if (!page.hasNextPage) break;
    after = page.endCursor;
  }
}

async function workflowOf(store: ProvenanceStore, run: RunRow): Promise<WorkflowRow | null> {
  const [wf] = await store.workflowsByIds([run.workflowId]);
  return wf;
}

async function* runRecords(
  store: ProvenanceStore,
  records: StoreRecords,
  run: RunRow,
  withRelations: boolean,
): AsyncGenerator<ProvRecord> {
  const wf = await workflowOf(store, run);
  if (wf) yield* records.workflow(wf);
  yield* records.runNode(run, wf);
  yield* keptRecordsOf(run.attributes);
  const state = new RunState();
  state.noteTypes(`run:${run.id}`, run.attributes);
  const nodeIds: string[] = [`run:${run.id}`];
  for (let after: string | null = null; ;) {
    const page = await store.tasksOfRun(run.id, { first: PAGE, after });
    for (const t of page.items) {
      state.parent.set(t.id, t.parentId);
      state.noteTypes(`task:${t.id}`, t.attributes);
      nodeIds.push(`task:${t.id}`);
    }
    yield* await records.taskNodes(page.items);
    if (!page.hasNextPage) break;
    after = page.endCursor;
  }
  for (let after: string | null = null; ;) {
    const page = await store.valuesOfRun(run.id, { first: PAGE, after });
    for (const v of page.items) if (v.dataRefId) nodeIds.push(`ref:${v.dataRefId}`);
    yield* await valueRecords(page.items, records, state, () => true);
    if (!page.hasNextPage) break;
    after = page.endCursor;
  }
  yield* metricRecords(store, run.id);
  yield* state.derivations(run.id);
  if (withRelations) {
    for (let i = 0; i < nodeIds.length; i += 1000) {
      const rels = (await store.relationsFrom(nodeIds.slice(i, i + 1000))).flat();
      yield* await explicitRelations(store, records, rels);
    }
  }
}

/** One entity per metric series (run, name, context), in chunks of 10,000 points. */
async function* metricRecords(store: ProvenanceStore, runId: string): AsyncGenerator<ProvRecord> {
  const series = new Map<string, { name: string; context: string | null; chunk: number; points: MetricRow[] }>();
  const flush = (s: { name: string; context: string | null; chunk: number; points: MetricRow[] }): ProvRecord[] => {
    const id = instanceIri('metric', runId, s.name, s.context ?? '', String(s.chunk));
    const attrs: Array<[string, AttrValue]> = [
      [provml('metricName'), str(s.name)],
      [
        provml('series'),
        json(s.points.map((p) => [p.step === null ? null : Number(p.step), p.value, p.recordedAt.toISOString(), p.taskId])),
      ],
    ];
    if (s.context) attrs.push([provml('context'), str(s.context)]);
    s.chunk += 1;
    s.points = [];
    return [
      {
        record: 'node',
        type: 'entity',
        id,
        classes: [provml('MetricSeries')],
        label: `${s.name}${s.context ? ` (${s.context})` : ''}`,
        attrs,
      },
      { record: 'relation', type: 'wasGeneratedBy', subject: id, object: runIri(runId), attrs: [] },
    ];
  };
  for (let after: string | null = null; ;) {
    const page = await store.metricsOfRun(runId, { first: PAGE, after });
    for (const m of page.items) {
      const key = `${m.name}\u0000${m.context ?? ''}`;
      let s = series.get(key);
      if (!s) series.set(key, (s = { name: m.name, context: m.context, chunk: 0, points: [] }));
      s.points.push(m);
      if (s.points.length >= METRIC_CHUNK) yield* flush(s);
    }
    if (!page.hasNextPage) break;
    after = page.endCursor;
  }
  for (const s of series.values()) if (s.points.length) yield* flush(s);
}

const RELATION_TYPE: Partial<Record<string, RelationType>> = {
  WAS_DERIVED_FROM: 'wasDerivedFrom',
  HAD_MEMBER: 'hadMember',
  WAS_INFORMED_BY: 'wasInformedBy',
  WAS_ASSOCIATED_WITH: 'wasAssociatedWith',
};

/** Explicit relations, stored between node ids (`ref:12`, `task:x`, `agent:y`), as IRIs. */
async function explicitRelations(
  store: ProvenanceStore,
  records: StoreRecords,
  rels: Array<{ kind: string; subject: string; object: string }>,
): Promise<ProvRecord[]> {
  const refIds = rels
    .flatMap((r) => [r.subject, r.object])
    .filter((n) => n.startsWith('ref:'))
    .map((n) => n.slice(4));
  const { records: out, byId } = await records.refNodes(refIds);
  const toIri = (node: string): string | null => {
    const i = node.indexOf(':');
    const kind = node.slice(0, i);
    const key = node.slice(i + 1);
    if (kind === 'ref') {
      const r = byId.get(key);
      return r ? refIri(r.store, r.uri) : null;
    }
    if (kind === 'task') return taskIri(key);
    if (kind === 'run') return runIri(key);
    if (kind === 'agent') return agentIri(key);
    return null;
  };
  for (const r of rels) {
    const type = RELATION_TYPE[r.kind];
    const s = toIri(r.subject);
    const o = toIri(r.object);
    if (type && s && o) out.push({ record: 'relation', type, subject: s, object: o, attrs: [] });
  }
  return out;
}

const ALL_KINDS: ReadonlySet<EdgeKind> = new Set<EdgeKind>([
  'USED',
  'WAS_GENERATED_BY',
  'WAS_DERIVED_FROM',
  'WAS_INFORMED_BY',
  'WAS_ASSOCIATED_WITH',
  'HAD_MEMBER',
  'WAS_PART_OF',
]);

/** The backward lineage of a data URI, `depth` levels deep (lineageStep, as the lineage query). */
async function* lineageRecords(
  store: ProvenanceStore,
  records: StoreRecords,
  uri: string,
  depth: number,
  limits: ExportLimits,
): AsyncGenerator<ProvRecord> {
  if (!Number.isInteger(depth) || depth < 0 || depth > limits.maxDepth)
    throw new LimitExceededError('export depth', limits.maxDepth, depth);
  const refs = await findDataRefs(store, uri);
  if (!refs.length) throw new NotFoundError('data reference', uri);
  const nodes = new Set(refs.map((r) => `ref:${r.id}`));
  const explicit: Array<{ kind: string; subject: string; object: string }> = [];
  let frontier = [...nodes];
  for (let d = 0; d < depth && frontier.length; d++) {
    const next: string[] = [];
    for (const e of await store.lineageStep(frontier, 'BACKWARD', ALL_KINDS)) {
      if (RELATION_TYPE[e.kind]) explicit.push({ kind: e.kind, subject: e.from, object: e.to });
      if (!nodes.has(e.to)) {
        nodes.add(e.to);
        next.push(e.to);
        if (nodes.size > limits.nodeCap) throw new LimitExceededError('export nodes', limits.nodeCap, nodes.size);
      }
    }
    frontier = next;
  }
  const ids = (kind: string) => [...nodes].filter((n) => n.startsWith(`${kind}:`)).map((n) => n.slice(kind.length + 1));
  const refSet = new Set(ids('ref'));
  const tasks = (await store.tasksByIds(ids('task'))).filter((t): t is TaskRow => t !== null);
  const runIds = new Set([...ids('run'), ...tasks.map((t) => t.runId)]);
  const runs = (await store.runsByIds([...runIds])).filter((r): r is RunRow => r !== null);
  yield* (await records.refNodes([...refSet])).records;
  for (const run of runs) {
    const wf = await workflowOf(store, run);
    if (wf) yield* records.workflow(wf);
    yield* records.runNode(run, wf);
    // The statements an import kept as written belong to the run: a lineage that touches it
    // gives them all, as a run's export does (an end outside the lineage keeps its IRI).
    yield* keptRecordsOf(run.attributes);
    const runTasks = tasks.filter((t) => t.runId === run.id);
    const state = new RunState();
    state.noteTypes(`run:${run.id}`, run.attributes);
    for (const t of runTasks) {
      state.parent.set(t.id, t.parentId);
      state.noteTypes(`task:${t.id}`, t.attributes);
    }
    yield* await records.taskNodes(runTasks);
    const values: ValueRow[] = [
      ...(nodes.has(`run:${run.id}`) ? (await store.runValuesByRunIds([run.id])).flat() : []),
      ...(await store.valuesByTaskIds(runTasks.map((t) => t.id))).flat(),
    ];
    yield* await valueRecords(values, records, state, (id) => refSet.has(id));
    yield* state.derivations(run.id);
  }
  const agentIds = [
    ...new Set([
      ...ids('agent'),
      ...runs.map((r) => r.agentId).filter((a): a is string => a !== null),
      ...runs.flatMap((r) => keptAgentIds(r.attributes)),
    ]),
  ];
  for (const a of await store.agentsByIds(agentIds)) if (a) yield* records.agent(a);
  yield* await explicitRelations(store, records, explicit);
}
