import { createHash } from 'node:crypto';
import type { ProvLakeRequest, ProvLakeTime } from './provlake-requests';
import { convertValues } from './provlake-values';

/**
 * Maps ProvLake requests onto provml ingest events (docs/ingest.md). Ids are deterministic, made
 * from the run, the task and the phase, so a resent bag is all duplicates and changes nothing:
 *   run   = String(wf_execution)
 *   task  = `${run}:${dt}:${task.id}`             (ProvLake's own dte id is wfe + dt + task id)
 *   cycle = `${run}:cycle:${cycle_name}:${iteration_id}`, a task whose transformation is the cycle
 * A task request also carries the begin of its run and of its parent cycle (with the same ids as
 * the real ones), so a bag that lost or reordered those still lands, and a resend is a no-op.
 */
export interface MappedEvent {
  event: Record<string, unknown>;
  /** Index of the request in the body it came from. */
  request: number;
}

/** What the spec of a run must declare for the mapped events to be accepted. */
export interface RunNeeds {
  dataflow: string | null;
  transformations: Set<string>;
}

export interface MappedBody {
  events: MappedEvent[];
  runs: Map<string, RunNeeds>;
}

const MAX_ID = 200;
const eventId = (...parts: string[]): string => {
  const plain = `provlake:${parts.join(':')}`;
  return plain.length <= MAX_ID ? plain : `provlake:${createHash('sha256').update(parts.join('\u0000')).digest('hex')}`;
};
const hashOf = (v: unknown): string =>
  createHash('sha256')
    .update(JSON.stringify(v ?? null))
    .digest('hex')
    .slice(0, 16);

/** Python time() seconds → epoch milliseconds (our events' numeric time); ISO strings pass. */
const ms = (t: ProvLakeTime | null | undefined): number | string | undefined =>
  t === null || t === undefined ? undefined : typeof t === 'number' ? Math.round(t * 1000) : t;

/** ProvLake statuses (utils/constants.py Status) → ours. */
const endStatus = (s: string | null | undefined): string => (s === 'ERRORED' ? 'FAILED' : s === 'KILLED' ? 'KILLED' : 'FINISHED');

/** Keeps only keys with a value, so that optional attributes do not appear as nulls. */
const defined = (o: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(
    Object.entries(o).filter(
      ([, v]) =>
        v !== undefined &&
        v !== null &&
        v !== '' &&
        !(typeof v === 'object' && !Array.isArray(v) && Object.keys(v as object).length === 0),
    ),
  );

/** Run ids are limited like event ids; a longer wf_execution is hashed. */
const runIdOf = (wf: string | number): string => {
  const s = String(wf);
  return s.length <= 150 ? s : `provlake-run-${createHash('sha256').update(s).digest('hex').slice(0, 32)}`;
};
const taskIdOf = (...parts: string[]): string => {
  const s = parts.join(':');
  return s.length <= MAX_ID ? s : `provlake-task-${createHash('sha256').update(s).digest('hex')}`;
};

export function mapRequests(requests: ProvLakeRequest[], prefix = (i: number) => `body[${i}]`): MappedBody {
  const events: MappedEvent[] = [];
  const runs = new Map<string, RunNeeds>();
  const need = (run: string, dataflow: string | null | undefined, transformation?: string) => {
    let n = runs.get(run);
    if (!n) runs.set(run, (n = { dataflow: dataflow ?? null, transformations: new Set() }));
    if (!n.dataflow && dataflow) n.dataflow = dataflow;
    if (transformation) n.transformations.add(transformation);
  };

  requests.forEach((r, i) => {
    const push = (event: Record<string, unknown>) => events.push({ event: defined(event), request: i });
    const requestAttrs = { context: r.context, custom_metadata: r.custom_metadata };
    const beginRun = (
      run: string,
      time: ProvLakeTime | null | undefined,
      extra: Record<string, unknown> = {},
      used?: Record<string, unknown>,
    ) => {
      if (r.dataflow_name)
        push({
          id: eventId(run, 'begin'),
          type: 'workflowBegin',
          run,
          workflow: r.dataflow_name,
          time: ms(time),
          attributes: defined({ ...requestAttrs, ...extra }),
          used,
        });
    };

    if (r.act_type === 'workflow') {
      const o = r.prov_obj;
      const run = runIdOf(o.wf_execution);
      need(run, r.dataflow_name);
      const { startTime, endTime, status, values, stdout, stderr, ...others } = o;
      const rest = Object.fromEntries(Object.entries(others).filter(([k]) => k !== 'wf_execution'));
      const converted = convertValues(values, `${prefix(i)}.prov_obj.values`);
      const ended = !!endTime || (!!status && status !== 'RUNNING');
      beginRun(run, startTime ?? endTime, rest, ended ? undefined : converted.values);
      if (ended) {
        push({
          id: eventId(run, 'end'),
          type: 'workflowEnd',
          run,
          status: endStatus(status),
          time: ms(endTime),
          generated: converted.values,
          attributes: defined({ stdout, stderr, customMetadata: converted.customMetadata }),
        });
      }
      return;
    }

    if (r.act_type === 'cycle') {
      const o = r.prov_obj;
      const run = runIdOf(o.cycle.wf_execution);
      const task = taskIdOf(run, 'cycle', o.cycle_name, String(o.cycle.iteration_id));
      need(run, r.dataflow_name, o.cycle_name);
      const converted = convertValues(o.values, `${prefix(i)}.prov_obj.values`);
      beginRun(run, o.cycle.startTime);
      push({
        id: eventId(task, 'begin'),
        type: 'taskBegin',
        task,
        run,
        transformation: o.cycle_name,
        time: ms(o.cycle.startTime),
        used: o.type === 'Input' ? converted.values : undefined,
        attributes: defined({
          ...requestAttrs,
          iteration: o.cycle.iteration_id,
          customMetadata: o.type === 'Input' ? converted.customMetadata : undefined,
        }),
      });
      if (o.type === 'Output') {
        push({
          id: eventId(task, 'end'),
          type: 'taskEnd',
          task,
          status: endStatus(o.cycle.status),
          time: ms(o.cycle.endTime),
          generated: converted.values,
          attributes: defined({ stdout: o.cycle.stdout, stderr: o.cycle.stderr, customMetadata: converted.customMetadata }),
        });
      }
      return;
    }

    const o = r.prov_obj;
    const t = o.task;
    const run = runIdOf(t.wf_execution);
    const task = taskIdOf(run, o.dt, String(t.id));
    need(run, r.dataflow_name, o.dt);
    const converted = convertValues(o.values, `${prefix(i)}.prov_obj.values`);
    beginRun(run, t.startTime ?? t.generatedTime);
    // The library writes parent_cycle_iteration only when truthy (`if self.parent_cycle_iteration:`),
    // so a task of iteration 0 arrives with the cycle's name alone.
    let parent: string | undefined;
    if (t.parent_cycle_name) {
      need(run, r.dataflow_name, t.parent_cycle_name);
      parent = taskIdOf(run, 'cycle', t.parent_cycle_name, String(t.parent_cycle_iteration ?? 0));
      push({
        id: eventId(parent, 'begin'),
        type: 'taskBegin',
        task: parent,
        run,
        transformation: t.parent_cycle_name,
        time: ms(t.startTime ?? t.generatedTime),
      });
    }
    const beginAttrs = defined({
      ...requestAttrs,
      person: o.person,
      attributeAssociations: t.attribute_associations,
      provlakeTaskId: t.id,
    });
    if (o.is_extension) {
      // ProvLake.extend(): more values of a task already begun, outside its begin and end.
      const direction = o.type === 'Output' ? 'generated' : 'used';
      push({ id: eventId(task, 'extend', hashOf(o.values)), type: 'values', run, task, [direction]: converted.values });
      return;
    }
    const begin = {
      id: eventId(task, 'begin'),
      type: 'taskBegin',
      task,
      run,
      transformation: o.dt,
      parent,
      attributes: beginAttrs,
    };
    if (o.type === 'Input') {
      push({
        ...begin,
        time: ms(t.startTime),
        used: converted.values,
        attributes: defined({ ...beginAttrs, customMetadata: converted.customMetadata }),
      });
      if (t.endTime) push({ id: eventId(task, 'end'), type: 'taskEnd', task, status: endStatus(t.status), time: ms(t.endTime) });
      return;
    }
    // Output ends the task; Generate (generatedTime, status GENERATED) is a task known only by
    // what it generated, begun and ended at that time.
    const at = o.type === 'Generate' ? (t.generatedTime ?? t.endTime) : t.endTime;
    push({ ...begin, time: ms(t.startTime ?? at) });
    push({
      id: eventId(task, 'end'),
      type: 'taskEnd',
      task,
      status: endStatus(t.status),
      time: ms(at),
      generated: converted.values,
      attributes: defined({ stdout: t.stdout, stderr: t.stderr, customMetadata: converted.customMetadata }),
    });
  });
  return { events, runs };
}
