import type { ProvenanceStore } from '../connectors/provenance/provenance-store';
import { ErrorCode } from '../errors';
import type { EventIssue } from '../ingest/events';
import type { IngestResult } from '../ingest/ingest-batch';
import type { Logger } from '../logger';
import type { StudyScope } from './study-scope';
import { StudyScopedStore } from './study-scoped-store';

type Raw = Record<string, unknown>;
const str = (v: unknown): string | null => (typeof v === 'string' && v.length ? v : null);

/**
 * Events of a batch that a study-limited token may not write: a run of a workflow outside its
 * studies, an event of such a run or task, or a run or task id another study already holds (the
 * write would land in that study's run), an agent event for an agent only other studies' runs
 * name. Relation events are refused: their ends are URIs
 * that no study owns. Unknown runs and malformed events are left to ingest, which rejects them.
 */
export async function forbiddenEvents(raw: readonly unknown[], store: ProvenanceStore, scope: StudyScope): Promise<EventIssue[]> {
  const events = raw.map((e) => (e && typeof e === 'object' && !Array.isArray(e) ? (e as Raw) : null));
  const latest = new Set<string>();
  const versioned: Array<[string, number]> = [];
  const runIds = new Set<string>();
  const taskIds = new Set<string>();
  const agentIds = new Set<string>();
  for (const e of events) {
    if (!e) continue;
    if (e.type === 'agent' && str(e.agent)) agentIds.add(str(e.agent)!);
    const run = str(e.run);
    const task = str(e.task);
    if (run) runIds.add(run);
    if (task) taskIds.add(task);
    const wf = str(e.workflow);
    if (e.type === 'workflowBegin' && wf) {
      if (typeof e.version === 'number') versioned.push([wf, e.version]);
      else latest.add(wf);
    }
  }
  const [latestRows, versionedRows, runs, tasks, agents, visibleAgents] = await Promise.all([
    latest.size ? store.latestWorkflows([...latest]) : Promise.resolve(new Map()),
    Promise.all(versioned.map(([n, v]) => store.workflowByNameVersion(n, v))),
    store.runsByIds([...runIds]),
    store.tasksByIds([...taskIds]),
    store.agentsByIds([...agentIds]),
    scope.agentsVisible([...agentIds]),
  ]);
  // An agent event updates the agent's record: one that only other studies' runs name is theirs.
  const foreignAgents = new Set(agents.filter((a) => a !== null && !visibleAgents.has(a.id)).map((a) => a!.id));
  const workflowStudy = new Map<string, string | null>();
  for (const w of latestRows.values()) workflowStudy.set(w.name, w.studyId);
  for (const w of versionedRows) if (w) workflowStudy.set(`${w.name}@${w.version}`, w.studyId);
  const existingRuns = new Map(runs.filter((r) => r !== null).map((r) => [r.id, r.workflowId]));
  const existingTasks = new Map(tasks.filter((t) => t !== null).map((t) => [t.id, t.runId]));
  const visibleWorkflows = await scope.workflowsVisible([...existingRuns.values()]);
  const runAllowed = new Map<string, boolean>();
  for (const [id, wf] of existingRuns) runAllowed.set(id, visibleWorkflows.has(wf));
  const taskAllowed = new Map<string, boolean>();
  for (const [id, run] of existingTasks) taskAllowed.set(id, runAllowed.get(run) ?? false);

  const issues: EventIssue[] = [];
  const forbid = (index: number, e: Raw, field: string, message: string) =>
    issues.push({ index, eventId: str(e.id), field: `events[${index}].${field}`, code: ErrorCode.FORBIDDEN, message });
  const studies = scope.studies.join(', ');
  events.forEach((e, index) => {
    if (!e) return;
    const run = str(e.run);
    const task = str(e.task);
    if (e.type === 'agent' && foreignAgents.has(str(e.agent) ?? '')) {
      forbid(index, e, 'agent', `agent ${String(e.agent)} belongs to studies outside this token's (${studies})`);
      return;
    }
    if (e.type === 'relation') {
      forbid(index, e, 'relation', 'relation events need a token for every study: their ends belong to no one study');
      return;
    }
    if (e.type === 'workflowBegin' && run) {
      const wf = str(e.workflow) ?? '';
      const key = typeof e.version === 'number' ? `${wf}@${e.version}` : wf;
      if (workflowStudy.has(key) && !scope.studyVisible(workflowStudy.get(key))) {
        forbid(index, e, 'workflow', `workflow ${wf} is not in this token's studies (${studies})`);
        runAllowed.set(run, false);
        return;
      }
      if (runAllowed.get(run) === false) {
        forbid(index, e, 'run', `run ${run} belongs to a study outside this token's (${studies})`);
        return;
      }
      runAllowed.set(run, true);
      return;
    }
    if (run && runAllowed.get(run) === false) {
      forbid(index, e, 'run', `run ${run} belongs to a study outside this token's (${studies})`);
      return;
    }
    if (e.type === 'taskBegin' && task && run) {
      if (taskAllowed.get(task) === false) {
        forbid(index, e, 'task', `task ${task} belongs to a study outside this token's (${studies})`);
        return;
      }
      taskAllowed.set(task, runAllowed.get(run) ?? true);
      return;
    }
    if (task && taskAllowed.get(task) === false)
      forbid(index, e, 'task', `task ${task} belongs to a study outside this token's (${studies})`);
  });
  return issues;
}

const EVENT_FIELD = /^events\[(\d+)\]/;

/**
 * Runs `ingest` over the events a study-limited token may write (each store is scoped or not:
 * an unscoped store runs the batch as it is); the others are rejected with FORBIDDEN, each at its
 * own index, and the batch keeps its allowed events.
 */
export async function ingestWithinStudies(
  raw: readonly unknown[],
  store: ProvenanceStore,
  ingest: (events: readonly unknown[]) => Promise<IngestResult>,
  audit?: { log: Logger; token: string },
): Promise<IngestResult> {
  if (!(store instanceof StudyScopedStore)) return ingest(raw);
  const refused = await forbiddenEvents(raw, store.inner, store.scope);
  if (!refused.length) return ingest(raw);
  audit?.log.warn('denied', {
    what: 'ingest events',
    token: audit.token,
    reason: 'study',
    events: refused.length,
    code: 'FORBIDDEN',
  });
  const out = new Set(refused.map((i) => i.index));
  const kept: number[] = [];
  raw.forEach((_e, i) => {
    if (!out.has(i)) kept.push(i);
  });
  const r = kept.length
    ? await ingest(kept.map((i) => raw[i]))
    : { accepted: 0, duplicates: 0, rejected: 0, parked: 0, duplicateIds: [], issues: [], parkedEvents: [] };
  const back = (i: EventIssue): EventIssue => ({
    ...i,
    index: kept[i.index],
    field: i.field.replace(EVENT_FIELD, () => `events[${kept[i.index]}]`),
  });
  return {
    ...r,
    rejected: r.rejected + refused.length,
    issues: [...r.issues.map(back), ...refused].sort((a, b) => a.index - b.index),
    parkedEvents: r.parkedEvents.map((p) => ({ ...p, index: kept[p.index] })),
  };
}
