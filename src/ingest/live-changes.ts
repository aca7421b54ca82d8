import type { ResolvedEvent } from './resolve-batch';

/**
 * What one ingest commit changed, per live stream, for subscriptions (docs/live.md). Built from
 * the batch's accepted, non-duplicate events inside the ingest transaction and appended to the
 * store's live log there, so a change is in the log exactly when its rows are.
 */
export type RunEventKind = 'RUN_STARTED' | 'RUN_ENDED' | 'TASK_BEGUN' | 'TASK_ENDED';

export interface LiveRunEvent {
  kind: RunEventKind;
  task?: string;
  transformation?: string;
  status: string;
  /** Time of the event (see LiveTime). */
  at: LiveTime;
}

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
  events?: LiveRunEvent[];
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
  const runEvent = (run: string, ev: LiveRunEvent) => (payload(runStream(run)).events ??= []).push(ev);
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
        runEvent(e.run, { kind, status, at });
        const wf = r.entry!.workflow;
        studyRun(r, { run: e.run, kind, status, workflow: wf.name, version: wf.version, at });
        break;
      }
      case 'taskBegin':
        runEvent(e.run, { kind: 'TASK_BEGUN', task: e.task, transformation: e.transformation, status: e.status, at });
        break;
      case 'taskEnd':
        runEvent(r.runId!, { kind: 'TASK_ENDED', task: e.task, status: e.status, at });
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
