import type { IngestTx, ProvenanceStore } from '../connectors/provenance/provenance-store';
import type {
  AgentRow,
  BatchRows,
  Ending,
  AttributeRow,
  MetricRow,
  RelationRow,
  RunRow,
  TaskRow,
  TelemetryRow,
  ValueRow,
} from '../connectors/provenance/rows';
import { asDataRef, type DataRefValue } from './events';
import type { ResolvedEvent } from './resolve-batch';
import { attributeKey, type CatalogEntry } from './spec-catalog';
import type { LiveChangeInput, StreamHead } from './live-changes';

interface PendingValue {
  entry: CatalogEntry;
  runId: string;
  taskId: string | null;
  transformationId: string | null;
  direction: 'USED' | 'GENERATED';
  name: string;
  value: unknown;
  ref: DataRefValue | null;
  at: Date;
}

/** A generated task starts: the same merge as insertTasks' ON CONFLICT, for a batch that holds both. */
function startGenerated(task: TaskRow, begin: TaskRow): void {
  task.status = 'RUNNING';
  task.startedAt = begin.startedAt;
  task.parentId ??= begin.parentId;
  task.host ??= begin.host;
  task.attributes = { ...task.attributes, ...begin.attributes };
}
const refKey = (r: DataRefValue) => `${r.store}\u0000${r.uri}`;

type PendingRelation = RelationRow & { subjectRef?: DataRefValue; objectRef?: DataRefValue };
type MissingAttribute = Omit<AttributeRow, 'id' | 'declared'>;

/** A batch mapped to PROV-ML rows, before the ids of data references and new attributes are known. */
export interface MappedBatch {
  eventIds: string[];
  agents: AgentRow[];
  runs: RunRow[];
  runEnds: Ending[];
  tasks: TaskRow[];
  taskEnds: Ending[];
  metrics: MetricRow[];
  telemetry: TelemetryRow[];
  values: PendingValue[];
  relations: PendingRelation[];
  /** Data references the batch names (each once). */
  refs: DataRefValue[];
  /** Attributes the batch uses that its workflow does not know yet. */
  missing: MissingAttribute[];
}

/**
 * Ends folded into begin rows that the store did not write: the run or task was already stored
 * (a begin resent under a new event id, with its end, in one batch), so the end must update it.
 */
function endsNotWritten(
  rows: Iterable<{ id: string; status: string; endedAt: Date | null; attributes: Record<string, unknown> }>,
  written: Set<string>,
): Ending[] {
  const out: Ending[] = [];
  for (const r of rows) {
    if (r.endedAt && !written.has(r.id)) out.push({ id: r.id, status: r.status, endedAt: r.endedAt, attributes: r.attributes });
  }
  return out;
}

/**
 * Maps the accepted, non-duplicate events of a batch to PROV-ML rows (pure: the store is not
 * read). A task or run begun and ended in the same batch is one row.
 */
export function mapBatch(events: ResolvedEvent[], runIds: Set<string>, now: Date): MappedBatch {
  // By id: a batch may declare the same agent twice (two runs of one job), and one INSERT ... ON
  // CONFLICT may touch a row only once.
  const agents = new Map<string, AgentRow>();
  const runs = new Map<string, RunRow>();
  const runEnds: Ending[] = [];
  const tasks = new Map<string, TaskRow>();
  const taskEnds: Ending[] = [];
  const values: PendingValue[] = [];
  const metrics: MetricRow[] = [];
  const telemetry: TelemetryRow[] = [];
  const relations: PendingRelation[] = [];

  const addValues = (
    r: ResolvedEvent,
    taskId: string | null,
    transformationId: string | null,
    direction: 'USED' | 'GENERATED',
    map: Record<string, unknown> | undefined,
    at: Date,
  ) => {
    if (!map) return;
    for (const [name, value] of Object.entries(map)) {
      values.push({
        entry: r.entry!,
        runId: r.runId!,
        taskId,
        transformationId,
        direction,
        name,
        value,
        ref: asDataRef(value),
        at,
      });
    }
  };

  for (const r of events) {
    const e = r.event;
    const at = e.time ?? now;
    switch (e.type) {
      case 'agent':
        agents.set(e.agent, {
          id: e.agent,
          kind: e.kind,
          name: e.name ?? agents.get(e.agent)?.name ?? null,
          attributes: { ...agents.get(e.agent)?.attributes, ...e.attributes },
        });
        break;
      case 'workflowBegin':
        runs.set(e.run, {
          id: e.run,
          workflowId: r.entry!.workflow.id,
          agentId: e.agent ?? null,
          status: 'RUNNING',
          startedAt: at,
          endedAt: null,
          attributes: e.attributes ?? {},
        });
        addValues(r, null, null, 'USED', e.used, at);
        break;
      case 'workflowEnd': {
        const begun = runs.get(e.run);
        // Begun in this batch: fold the end into the insert instead of a second statement.
        if (begun) Object.assign(begun, { status: e.status, endedAt: at, attributes: { ...begun.attributes, ...e.attributes } });
        else runEnds.push({ id: e.run, status: e.status, endedAt: at, attributes: e.attributes ?? {} });
        addValues(r, null, null, 'GENERATED', e.generated, at);
        break;
      }
      case 'taskBegin': {
        const row: TaskRow = {
          id: e.task,
          runId: e.run,
          transformationId: r.transformationId!,
          parentId: e.parent ?? null,
          status: e.status,
          host: e.host ?? null,
          startedAt: at,
          endedAt: null,
          attributes: e.attributes ?? {},
        };
        const earlier = tasks.get(e.task);
        if (!earlier) tasks.set(e.task, row);
        else if (earlier.status === 'GENERATED' && row.status === 'RUNNING') startGenerated(earlier, row);
        // Otherwise a task begun twice keeps its first begin, as the store does (insertTasks).
        addValues(r, e.task, r.transformationId!, 'USED', e.used, at);
        break;
      }
      case 'taskEnd': {
        const begun = tasks.get(e.task);
        if (begun) Object.assign(begun, { status: e.status, endedAt: at, attributes: { ...begun.attributes, ...e.attributes } });
        else taskEnds.push({ id: e.task, status: e.status, endedAt: at, attributes: e.attributes ?? {} });
        addValues(r, e.task, r.transformationId!, 'GENERATED', e.generated, at);
        break;
      }
      case 'values':
        addValues(r, e.task ?? null, r.transformationId ?? null, 'USED', e.used, at);
        addValues(r, e.task ?? null, r.transformationId ?? null, 'GENERATED', e.generated, at);
        break;
      case 'metric':
        metrics.push({
          runId: e.run,
          taskId: e.task ?? null,
          name: e.name,
          value: e.value,
          step: e.step === undefined ? null : String(e.step),
          context: e.context ?? null,
          recordedAt: at,
        });
        break;
      case 'telemetry': {
        const base = {
          runId: e.run,
          taskId: e.task ?? null,
          host: e.host ?? null,
          cpuPercent: e.cpu ?? null,
          rssBytes: e.rss === undefined ? null : String(e.rss),
          recordedAt: at,
        };
        const gpus = e.gpu?.length ? e.gpu : [null];
        for (const g of gpus) {
          telemetry.push({
            ...base,
            gpuIndex: g?.index ?? null,
            gpuName: g?.name ?? null,
            gpuUtilization: g?.utilization ?? null,
            gpuMemoryUsed: g?.memoryUsed === undefined ? null : String(g.memoryUsed),
            gpuMemoryTotal: g?.memoryTotal === undefined ? null : String(g.memoryTotal),
            gpuPower: g?.power ?? null,
            gpuTemperature: g?.temperature ?? null,
            gpuEnergy: g?.energy ?? null,
          });
        }
        break;
      }
      case 'relation': {
        if (e.relation === 'WAS_DERIVED_FROM' || e.relation === 'HAD_MEMBER') {
          relations.push({
            kind: e.relation,
            subject: '',
            object: '',
            subjectRef: { uri: e.subject, store: e.subjectStore ?? 'default' },
            objectRef: { uri: e.object, store: e.objectStore ?? 'default' },
          });
        } else if (e.relation === 'WAS_INFORMED_BY') {
          relations.push({ kind: e.relation, subject: `task:${e.subject}`, object: `task:${e.object}` });
        } else {
          const subject = runIds.has(e.subject) ? `run:${e.subject}` : `task:${e.subject}`;
          relations.push({ kind: e.relation, subject, object: `agent:${e.object}` });
        }
        break;
      }
    }
  }

  const refs = new Map<string, DataRefValue>();
  for (const v of values) if (v.ref) refs.set(refKey(v.ref), v.ref);
  for (const rel of relations) for (const ref of [rel.subjectRef, rel.objectRef]) if (ref) refs.set(refKey(ref), ref);

  const missing = new Map<string, MissingAttribute>();
  for (const v of values) {
    const key = attributeKey(v.transformationId, v.direction, v.name);
    if (v.entry.attributes.has(key)) continue;
    missing.set(`${v.entry.workflow.id}\u0000${key}`, {
      workflowId: v.entry.workflow.id,
      transformationId: v.transformationId,
      name: v.name,
      role: v.ref ? 'DATA_REFERENCE' : 'PARAMETER',
      direction: v.direction,
    });
  }
  return {
    eventIds: events.map((r) => r.event.id),
    agents: [...agents.values()],
    runs: [...runs.values()],
    runEnds,
    tasks: [...tasks.values()],
    taskEnds,
    metrics,
    telemetry,
    values,
    relations,
    refs: [...refs.values()],
    missing: [...missing.values()],
  };
}

/** A mapped batch's final rows, once its data references and new attributes have ids. */
export function finishRows(m: MappedBatch, refIds: Map<string, string>, created: AttributeRow[]): BatchRows {
  const createdByKey = new Map(
    created.map((a) => [`${a.workflowId}\u0000${attributeKey(a.transformationId, a.direction, a.name)}`, a]),
  );

  const valueRows: Array<Omit<ValueRow, 'id'>> = m.values.map((v) => {
    const key = attributeKey(v.transformationId, v.direction, v.name);
    const attr = v.entry.attributes.get(key) ?? createdByKey.get(`${v.entry.workflow.id}\u0000${key}`)!;
    return {
      runId: v.runId,
      taskId: v.taskId,
      attributeId: attr.id,
      name: v.name,
      role: attr.role,
      direction: v.direction,
      // A data reference keeps its value too, so exports can round-trip it as written.
      value: v.value,
      dataRefId: v.ref ? refIds.get(refKey(v.ref))! : null,
      recordedAt: v.at,
    };
  });
  const relationRows: RelationRow[] = m.relations.map((rel) => ({
    kind: rel.kind,
    subject: rel.subjectRef ? `ref:${refIds.get(refKey(rel.subjectRef))}` : rel.subject,
    object: rel.objectRef ? `ref:${refIds.get(refKey(rel.objectRef))}` : rel.object,
  }));

  return {
    eventIds: m.eventIds,
    agents: m.agents,
    runs: m.runs,
    runEnds: m.runEnds,
    tasks: m.tasks,
    taskEnds: m.taskEnds,
    values: valueRows,
    metrics: m.metrics,
    telemetry: m.telemetry,
    relations: relationRows,
  };
}

/** A batch's rows holding only its event ids (the fast statement then only claims them). */
const onlyClaims = (eventIds: string[]): BatchRows => ({
  eventIds,
  agents: [],
  runs: [],
  runEnds: [],
  tasks: [],
  taskEnds: [],
  values: [],
  metrics: [],
  telemetry: [],
  relations: [],
});

/** Data references and undeclared attributes first (values point at both), then the rows. */
async function prepareRows(tx: IngestTx, m: MappedBatch): Promise<{ rows: BatchRows; created: AttributeRow[] }> {
  const refIds = await tx.ensureDataRefs(m.refs);
  const created = await tx.ensureAttributes(m.missing);
  return { rows: finishRows(m, refIds, created), created };
}

/**
 * The careful path: writes a batch whose event ids were claimed one by one (duplicates left out
 * by the caller) with one statement per table, each merging with what is stored (a task begun
 * again, a GENERATED task started, a run begun twice). Returns attributes it had to create
 * (names no spec declared), so the caller can cache them once the transaction has committed.
 */
export async function writeBatch(tx: IngestTx, events: ResolvedEvent[], runIds: Set<string>, now: Date): Promise<AttributeRow[]> {
  const { rows, created } = await prepareRows(tx, mapBatch(events, runIds, now));
  // Each table once, in one fixed order for every batch (with each table's rows in key order),
  // so concurrent batches lock shared rows in the same order.
  await tx.upsertAgents(rows.agents);
  const runsWritten = await tx.insertRuns(rows.runs);
  await tx.endRuns([...rows.runEnds, ...endsNotWritten(rows.runs, runsWritten)]);
  const tasksWritten = await tx.insertTasks(rows.tasks);
  await tx.endTasks([...rows.taskEnds, ...endsNotWritten(rows.tasks, tasksWritten)]);
  await tx.insertValues(rows.values);
  await tx.insertMetrics(rows.metrics);
  await tx.insertTelemetry(rows.telemetry);
  await tx.insertRelations(rows.relations);
  return created;
}

/**
 * The fast path, for a batch that is all new (no event id, run or task of it stored before, the
 * common case): every row and the batch's live-log changes in one statement, where the claims of
 * event ids and the new runs and tasks are plain INSERTs. When any of them is stored already (a
 * resend, a task begun again) the statement fails whole with FastPathConflict and the caller
 * takes the careful path; nothing of this attempt remains. A batch that needs no new data
 * references or attributes is one statement in all, committed on its own. One that needs them
 * claims its event ids first, in a statement of their own, then creates them, then writes the
 * rest: the careful path's lock order (claims, data references, attributes, rows), so that a
 * fast and a careful batch sharing an id and a new data reference wait for each other instead of
 * deadlocking (a deadlock was broken by PostgreSQL after deadlock_timeout, 1 s).
 */
export async function writeFreshBatch(
  store: ProvenanceStore,
  mapped: MappedBatch,
  changes: readonly LiveChangeInput[],
): Promise<{ created: AttributeRow[]; heads: StreamHead[] }> {
  if (!mapped.refs.length && !mapped.missing.length) {
    const heads = await store.writeFresh(finishRows(mapped, new Map(), []), changes);
    return { created: [], heads };
  }
  return store.transaction(async (tx) => {
    await tx.insertFresh(onlyClaims(mapped.eventIds), []);
    const { rows, created } = await prepareRows(tx, mapped);
    const heads = await tx.insertFresh({ ...rows, eventIds: [] }, changes);
    return { created, heads };
  });
}
