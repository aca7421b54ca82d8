import type { ProvenanceStore } from '../connectors/provenance/provenance-store';
import type { ParkedWait } from '../connectors/provenance/pg-parked-events';
import type { WorkflowRow } from '../connectors/provenance/rows';
import type { EventIssue, IngestEvent } from './events';
import type { TaskFacts } from './execution-cache';
import type { CatalogEntry, SpecCatalog } from './spec-catalog';

/** What an accepted event refers to, resolved against the store and the events before it. */
export interface ResolvedEvent {
  index: number;
  event: IngestEvent;
  /** Workflow version of the event's run (none for agent and relation events). */
  entry?: CatalogEntry;
  /** Transformation of the event's task, when the event belongs to a task. */
  transformationId?: string;
  runId?: string;
}

/** An event whose run or task is not stored (yet): parked, not rejected (docs/ingest.md). */
export interface WaitingEvent {
  index: number;
  event: IngestEvent;
  waits: ParkedWait;
}

export interface ResolvedBatch {
  accepted: ResolvedEvent[];
  issues: EventIssue[];
  /** Events that wait for a run or task no store row and no event before them begins (only with `park`). */
  waiting: WaitingEvent[];
  /** Ids of runs known at the end of the batch, for relations that name a run. */
  runIds: Set<string>;
}

interface TaskInfo {
  runId: string;
  transformationId: string;
}

const issue = (index: number, event: IngestEvent, field: string, code: string, message: string): EventIssue => ({
  index,
  eventId: event.id,
  field: `events[${index}].${field}`,
  code,
  message,
});

/**
 * Checks each event's references (workflow, run, transformation, task) in batch order, so an
 * event may refer to one begun earlier in the same batch. Two round trips fetch what the batch
 * names from the store (none for runs and tasks this process has seen stored); nothing is
 * written here.
 */
export async function resolveBatch(
  events: Array<{ index: number; event: IngestEvent }>,
  store: ProvenanceStore,
  catalog: SpecCatalog,
  /**
   * Whether an event whose run or task is unknown waits (parked by the caller) rather than being
   * rejected. Unknown only: a begin of it rejected earlier in the batch still rejects it.
   */
  park = false,
  /** Whether a transformation missing from the cache may be looked up once more (see below). */
  mayRefresh = true,
): Promise<ResolvedBatch> {
  const latestNames = new Set<string>();
  const versioned: Array<[string, number]> = [];
  const runRefs = new Set<string>();
  const taskRefs = new Set<string>();
  // Only what the batch does not begin itself needs a look-up (most task ends close a task
  // begun a few events earlier).
  const begunRuns = new Set<string>();
  const begunTasks = new Set<string>();
  for (const { event: e } of events) {
    if (e.type === 'workflowBegin') {
      if (e.version === undefined) latestNames.add(e.workflow);
      else versioned.push([e.workflow, e.version]);
      begunRuns.add(e.run);
    } else if ('run' in e && e.run && !begunRuns.has(e.run)) runRefs.add(e.run);
    // An association names a run or a task as its subject: which, the store says (writeBatch).
    if (e.type === 'relation' && e.relation === 'WAS_ASSOCIATED_WITH' && !begunRuns.has(e.subject)) {
      runRefs.add(e.subject);
      if (!begunTasks.has(e.subject)) taskRefs.add(e.subject);
    }
    if (e.type === 'taskBegin') begunTasks.add(e.task);
    if ((e.type === 'taskEnd' || (e.type === 'values' && e.task)) && !begunTasks.has(e.task!)) taskRefs.add(e.task!);
  }
  // Runs and tasks this process has seen stored need no look-up (their facts never change).
  const known = catalog.executions;
  const runs = new Map<string, string>(); // run id -> workflow id
  const tasks = new Map<string, TaskInfo>();
  const learnTask = (id: string, t: TaskFacts) => {
    tasks.set(id, { runId: t.runId, transformationId: t.transformationId });
    // A task's run is known through the task: a batch of taskEnd events names no run.
    if (!runs.has(t.runId)) runs.set(t.runId, t.workflowId);
  };
  for (const id of taskRefs) {
    const t = known.task(id);
    if (t) {
      learnTask(id, t);
      taskRefs.delete(id);
    }
  }
  for (const id of runRefs) {
    const wf = known.runWorkflow(id);
    if (wf !== undefined) {
      runs.set(id, wf);
      runRefs.delete(id);
    }
  }
  const [latest, versionedRows, refs] = await Promise.all([
    latestNames.size ? store.latestWorkflows([...latestNames]) : Promise.resolve(new Map<string, WorkflowRow>()),
    Promise.all(versioned.map(([n, v]) => store.workflowByNameVersion(n, v))),
    runRefs.size || taskRefs.size ? store.ingestRefs([...runRefs], [...taskRefs]) : Promise.resolve(null),
  ]);
  const versionedMap = new Map(versionedRows.filter((w): w is WorkflowRow => !!w).map((w) => [`${w.name}@${w.version}`, w]));
  for (const [id, wf] of refs?.runs ?? []) {
    runs.set(id, wf);
    known.addRun(id, wf);
  }
  for (const [id, t] of refs?.tasks ?? []) {
    learnTask(id, t);
    known.addTask(id, t);
  }

  const workflowIds = [
    ...[...latest.values()].map((w) => w.id),
    ...[...versionedMap.values()].map((w) => w.id),
    ...runs.values(),
  ];
  const catalog_ = await catalog.get(workflowIds);

  const accepted: ResolvedEvent[] = [];
  const issues: EventIssue[] = [];
  const waiting: WaitingEvent[] = [];
  // Runs and tasks whose begin this batch rejected: their events are rejected too, never parked
  // (nothing would ever release them).
  const failedRuns = new Set<string>();
  const failedTasks = new Set<string>();
  const wait = (index: number, event: IngestEvent, kind: ParkedWait['kind'], id: string): boolean => {
    if (!park || (kind !== 'task' && failedRuns.has(id)) || (kind !== 'run' && failedTasks.has(id))) return false;
    waiting.push({ index, event, waits: { kind, id } });
    return true;
  };
  // Versions whose cached transformations lacked one an event names.
  const stale = new Set<string>();
  const knownRun = (index: number, e: IngestEvent, runId: string): CatalogEntry | null => {
    const wf = runs.get(runId);
    const entry = wf ? catalog_.get(wf) : undefined;
    if (!entry) {
      if (wf === undefined && wait(index, e, 'run', runId)) return null;
      if (e.type === 'taskBegin') failedTasks.add(e.task);
      issues.push(
        issue(index, e, 'run', 'BAD_USER_INPUT', `unknown workflow execution "${runId}": send its workflowBegin first`),
      );
      return null;
    }
    return entry;
  };

  for (const { index, event: e } of events) {
    switch (e.type) {
      case 'workflowBegin': {
        const wf = e.version === undefined ? latest.get(e.workflow) : versionedMap.get(`${e.workflow}@${e.version}`);
        const entry = wf ? catalog_.get(wf.id) : undefined;
        if (!entry) {
          issues.push(
            issue(
              index,
              e,
              'workflow',
              'UNKNOWN_WORKFLOW',
              `workflow "${e.workflow}"${e.version === undefined ? '' : ` version ${e.version}`} is not registered; register its spec first`,
            ),
          );
          failedRuns.add(e.run);
          break;
        }
        runs.set(e.run, entry.workflow.id);
        accepted.push({ index, event: e, entry, runId: e.run });
        break;
      }
      case 'taskBegin': {
        const entry = knownRun(index, e, e.run);
        if (!entry) break;
        const tr = entry.transformationsByName.get(e.transformation);
        if (!tr) {
          stale.add(entry.workflow.id);
          failedTasks.add(e.task);
          issues.push(
            issue(
              index,
              e,
              'transformation',
              'BAD_USER_INPUT',
              `transformation "${e.transformation}" is not declared in workflow ${entry.workflow.name} version ${entry.workflow.version}`,
            ),
          );
          break;
        }
        tasks.set(e.task, { runId: e.run, transformationId: tr.id });
        accepted.push({ index, event: e, entry, transformationId: tr.id, runId: e.run });
        break;
      }
      case 'taskEnd': {
        const t = tasks.get(e.task);
        if (!t) {
          if (wait(index, e, 'task', e.task)) break;
          issues.push(issue(index, e, 'task', 'BAD_USER_INPUT', `unknown task "${e.task}": send its taskBegin first`));
          break;
        }
        const entry = knownRun(index, e, t.runId);
        if (entry) accepted.push({ index, event: e, entry, transformationId: t.transformationId, runId: t.runId });
        break;
      }
      case 'values': {
        const entry = knownRun(index, e, e.run);
        if (!entry) break;
        let transformationId: string | undefined;
        if (e.task) {
          const t = tasks.get(e.task);
          if (!t && wait(index, e, 'task', e.task)) break;
          if (!t || t.runId !== e.run) {
            issues.push(issue(index, e, 'task', 'BAD_USER_INPUT', `unknown task "${e.task}" in run "${e.run}"`));
            break;
          }
          transformationId = t.transformationId;
        }
        accepted.push({ index, event: e, entry, transformationId, runId: e.run });
        break;
      }
      case 'workflowEnd':
      case 'metric':
      case 'telemetry': {
        const entry = knownRun(index, e, e.run);
        if (entry) accepted.push({ index, event: e, entry, runId: e.run });
        break;
      }
      case 'relation':
        // Its subject is a run or a task: until one of them is stored (or begun in this batch),
        // which is unknown, and writing it now would file a run's association as a task's.
        if (
          e.relation === 'WAS_ASSOCIATED_WITH' &&
          !runs.has(e.subject) &&
          !tasks.has(e.subject) &&
          !begunRuns.has(e.subject) &&
          !begunTasks.has(e.subject) &&
          wait(index, e, 'execution', e.subject)
        )
          break;
        accepted.push({ index, event: e });
        break;
      case 'agent':
        accepted.push({ index, event: e });
        break;
    }
  }
  // Another replica may have grown the version (ProvLake's route adds transformations): look
  // once more before rejecting, and resolve the batch again if the store knew more.
  if (stale.size && mayRefresh && (await catalog.refresh([...stale]))) return resolveBatch(events, store, catalog, park, false);
  return { accepted, issues, waiting, runIds: new Set(runs.keys()) };
}
