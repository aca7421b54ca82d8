import type { ResolvedEvent } from './resolve-batch';

/**
 * What one ingest commit changed, per live stream, for subscriptions (docs/live.md). Built from
 * the batch's accepted, non-duplicate events inside the ingest transaction and appended to the
 * store's live log there, so a change is in the log exactly when its rows are.
 */
export type RunEventKind = 'RUN_STARTED' | 'RUN_ENDED' | 'TASK_BEGUN' | 'TASK_ENDED';

/** A lifecycle event as rows written before 2026-12-08 hold it (readers take both forms). */
export interface LiveRunEvent {
  kind: RunEventKind;
  task?: string;
  transformation?: string;
  status: string;
  /** Time of the event (see LiveTime). */
  at: LiveTime;
}

/**
 * A lifecycle event as written now: a tuple, like a metric point. A batch carries a thousand
 * task begins and ends, and the keys made ~40 % of the payload's JSON, stringified in Node and
 * lexed by PostgreSQL's json_in with every batch.
 */
export type LiveRunEventTuple = [
  kind: RunEventKind,
  task: string | null,
  transformation: string | null,
  status: string,
  at: LiveTime,
];

/** A stored lifecycle event, whichever form its row holds, as the object form. */
export const runEventOf = (e: LiveRunEvent | LiveRunEventTuple): LiveRunEvent => {
  if (!Array.isArray(e)) return e;
  const [kind, task, transformation, status, at] = e;
  const out: LiveRunEvent = { kind, status, at };
  if (task !== null) out.task = task;
  if (transformation !== null) out.transformation = transformation;
  return out;
};

/**
 * A time in the live log: epoch milliseconds, as written since migration 014 (`Date#toISOString`
 * was the largest cost of building a batch's changes, ~1 µs an event); ISO text in older rows.
 * Readers take either with `new Date(at)`.
 */
export type LiveTime = number | string;

/** A metric point as a tuple: a batch carries thousands, and the keys would double its size. */
export type LiveMetricPoint = [
  name: string,
  value: number,
  step: number | null,
  context: string | null,
  task: string | null,
  at: LiveTime,
];

export interface LiveRunChange {
  run: string;
  kind: 'RUN_STARTED' | 'RUN_ENDED';
  status: string;
  workflow: string;
  version: number;
  at: LiveTime;
}

/** The payload of one change of one stream: a run stream has events and metrics, a study stream runs. */
export interface LivePayload {
  events?: Array<LiveRunEventTuple | LiveRunEvent>;
  metrics?: LiveMetricPoint[];
  runs?: LiveRunChange[];
}

export interface LiveChangeInput {
  stream: string;
  payload: LivePayload;
}

/** The newest committed change of a stream: what a NOTIFY or Redis message carries. */
export interface StreamHead {
  stream: string;
  seq: number;
}

export const runStream = (run: string) => `run:${run}`;
export const studyStream = (study: string) => `study:${study}`;

/** The live changes of a batch, one per stream touched, events in batch order. */
export function liveChangesOf(events: readonly ResolvedEvent[], now: Date): LiveChangeInput[] {
  const byStream = new Map<string, LivePayload>();
  const payload = (stream: string) => {
    let p = byStream.get(stream);
    if (!p) byStream.set(stream, (p = {}));
    return p;
  };
  const runEvent = (run: string, ev: LiveRunEventTuple) => (payload(runStream(run)).events ??= []).push(ev);
  const studyRun = (r: ResolvedEvent, change: LiveRunChange) => {
    const study = r.entry?.workflow.studyId;
    if (study) (payload(studyStream(study)).runs ??= []).push(change);
  };
  for (const r of events) {
    const e = r.event;
    const at = (e.time ?? now).getTime();
    switch (e.type) {
      case 'workflowBegin':
      case 'workflowEnd': {
        const kind = e.type === 'workflowBegin' ? 'RUN_STARTED' : 'RUN_ENDED';
        const status = e.type === 'workflowBegin' ? 'RUNNING' : e.status;
        runEvent(e.run, [kind, null, null, status, at]);
        const wf = r.entry!.workflow;
        studyRun(r, { run: e.run, kind, status, workflow: wf.name, version: wf.version, at });
        break;
      }
      case 'taskBegin':
        runEvent(e.run, ['TASK_BEGUN', e.task, e.transformation, e.status, at]);
        break;
      case 'taskEnd':
        runEvent(r.runId!, ['TASK_ENDED', e.task, null, e.status, at]);
        break;
      case 'metric':
        (payload(runStream(e.run)).metrics ??= []).push([e.name, e.value, e.step ?? null, e.context ?? null, e.task ?? null, at]);
        break;
      default:
        break;
    }
  }
  return [...byStream].map(([stream, p]) => ({ stream, payload: p }));
}
