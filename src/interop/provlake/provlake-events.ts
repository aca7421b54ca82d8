import type { ProvLakeRequest, ProvLakeTime } from './provlake-requests';
import {
  GLOBAL_WORKFLOW,
  cyclePrefix,
  cycleTaskId,
  endStatus,
  epochMs,
  eventId,
  hashOf,
  isoOf,
  ms,
  runIdOf,
  taskIdOf,
} from './provlake-ids';
import { OpenTasks } from './provlake-nesting';
import { convertValues } from './provlake-values';

/**
 * Maps ProvLake requests onto provml ingest events (docs/ingest.md), in the order the library
 * sends them (capture/__init__.py, 0.2.x):
 *   ProvWorkflow.begin / end        workflow {startTime} / {endTime, status, values, stdout}
 *   ProvTask(...)                   task type Generate: {generatedTime}, values = the inputs
 *   ProvTask.begin                  task type Input: {startTime}, no values
 *   ProvTask.end                    task type Output: {endTime, status, stdout, stderr}, values = outputs
 *   ProvCycle.begin / end           cycle type Input / Output, values = its inputs / outputs
 * Generate is a task known before it starts (taskBegin with status GENERATED, its inputs used),
 * Input starts it, Output ends it. Versions before March 2021 sent no Generate and put the inputs
 * in Input; those land the same. Ids: provlake-ids.ts. A request also carries the begin of its run
 * and of its parent cycle (under the same ids as the real ones), so a bag that lost those still
 * lands and a resend is a no-op.
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

/** A ProvTask or ProvCycle made without a ProvWorkflow sends no run and no dataflow. */
const dataflowOf = (r: ProvLakeRequest, wf: string | number | null | undefined): string | undefined =>
  r.dataflow_name ?? (wf === null || wf === undefined ? GLOBAL_WORKFLOW : undefined);

/** Runs whose cycle iterations this body begins: their open tasks are looked up first (OpenTasks). */
export function runsWithCycles(requests: ProvLakeRequest[]): string[] {
  const runs = new Set<string>();
  for (const r of requests) {
    if (r.act_type === 'cycle') runs.add(runIdOf(r.prov_obj.cycle.wf_execution));
    else if (r.act_type === 'task' && r.prov_obj.task.parent_cycle_name) runs.add(runIdOf(r.prov_obj.task.wf_execution));
  }
  return [...runs];
}

export function mapRequests(
  requests: ProvLakeRequest[],
  prefix = (i: number) => `body[${i}]`,
  open: OpenTasks = new OpenTasks(),
): MappedBody {
  const events: MappedEvent[] = [];
  const runs = new Map<string, RunNeeds>();
  const need = (run: string, dataflow: string | null | undefined, transformation?: string) => {
    let n = runs.get(run);
    if (!n) runs.set(run, (n = { dataflow: dataflow ?? null, transformations: new Set() }));
    if (!n.dataflow && dataflow) n.dataflow = dataflow;
    if (transformation) n.transformations.add(transformation);
  };
  /**
   * The task running around an iteration of `cycle` that begins at `at`: not one of the cycle's
   * own iterations, nor the task `inside` it whose request carries the iteration's begin.
   */
  const enclosing = (run: string, cycle: string, at: ProvLakeTime | null | undefined, inside?: string) => {
    const t = epochMs(at);
    return t === undefined ? undefined : open.enclosing(run, t, (id) => id === inside || id.startsWith(cyclePrefix(run, cycle)));
  };

  requests.forEach((r, i) => {
    const push = (event: Record<string, unknown>) => events.push({ event: defined(event), request: i });
    const requestAttrs = { context: r.context, custom_metadata: r.custom_metadata };
    const beginRun = (
      run: string,
      dataflow: string | undefined,
      time: ProvLakeTime | null | undefined,
      extra: Record<string, unknown> = {},
      used?: Record<string, unknown>,
    ) => {
      if (dataflow)
        push({
          id: eventId(run, 'begin'),
          type: 'workflowBegin',
          run,
          workflow: dataflow,
          time: ms(time),
          attributes: defined({ ...requestAttrs, ...extra }),
          used,
        });
    };

    if (r.act_type === 'workflow') {
      const o = r.prov_obj;
      const run = runIdOf(o.wf_execution);
      need(run, r.dataflow_name);
      const { startTime, endTime, generatedTime, status, values, stdout, stderr, ...others } = o;
      const rest = Object.fromEntries(Object.entries(others).filter(([k]) => k !== 'wf_execution'));
      const converted = convertValues(values, `${prefix(i)}.prov_obj.values`);
      const ended = !!endTime || (!!status && status !== 'RUNNING' && status !== 'GENERATED');
      beginRun(
        run,
        r.dataflow_name ?? undefined,
        startTime ?? generatedTime ?? endTime,
        { ...rest, usedMetadata: ended ? undefined : converted.metadata },
        ended ? undefined : converted.values,
      );
      if (ended) {
        push({
          id: eventId(run, 'end'),
          type: 'workflowEnd',
          run,
          status: endStatus(status),
          time: ms(endTime),
          generated: converted.values,
          attributes: defined({ stdout, stderr, generatedMetadata: converted.metadata }),
        });
      }
      return;
    }

    if (r.act_type === 'cycle') {
      const o = r.prov_obj;
      const c = o.cycle;
      const run = runIdOf(c.wf_execution);
      const dataflow = dataflowOf(r, c.wf_execution);
      const task = cycleTaskId(run, o.cycle_name, c.iteration_id);
      need(run, dataflow, o.cycle_name);
      const converted = convertValues(o.values, `${prefix(i)}.prov_obj.values`);
      const input = o.type === 'Input';
      beginRun(run, dataflow, c.startTime);
      push({
        id: eventId(task, 'begin'),
        type: 'taskBegin',
        task,
        run,
        transformation: o.cycle_name,
        parent: enclosing(run, o.cycle_name, c.startTime),
        time: ms(c.startTime),
        used: input ? converted.values : undefined,
        attributes: defined({
          ...requestAttrs,
          iteration: c.iteration_id,
          usedMetadata: input ? converted.metadata : undefined,
        }),
      });
      if (input) {
        const at = epochMs(c.startTime);
        if (at !== undefined) open.open(run, task, at);
        return;
      }
      push({
        id: eventId(task, 'end'),
        type: 'taskEnd',
        task,
        status: endStatus(c.status),
        time: ms(c.endTime),
        generated: converted.values,
        attributes: defined({ stdout: c.stdout, stderr: c.stderr, generatedMetadata: converted.metadata }),
      });
      open.close(run, task);
      return;
    }

    const o = r.prov_obj;
    const t = o.task;
    const run = runIdOf(t.wf_execution);
    const dataflow = dataflowOf(r, t.wf_execution);
    const task = taskIdOf(run, o.dt, String(t.id));
    need(run, dataflow, o.dt);
    const converted = convertValues(o.values, `${prefix(i)}.prov_obj.values`);
    const known = t.startTime ?? t.generatedTime ?? t.endTime;
    beginRun(run, dataflow, known);
    // The library writes parent_cycle_iteration only when truthy (`if self.parent_cycle_iteration:`),
    // so a task of iteration 0 arrives with the cycle's name alone.
    let parent: string | undefined;
    if (t.parent_cycle_name) {
      need(run, dataflow, t.parent_cycle_name);
      parent = cycleTaskId(run, t.parent_cycle_name, t.parent_cycle_iteration ?? 0);
      push({
        id: eventId(parent, 'begin'),
        type: 'taskBegin',
        task: parent,
        run,
        transformation: t.parent_cycle_name,
        parent: enclosing(run, t.parent_cycle_name, known, task),
        time: ms(known),
      });
    }
    const beginAttrs = defined({
      ...requestAttrs,
      person: o.person,
      attributeAssociations: t.attribute_associations,
      provlakeTaskId: t.id,
      generatedTime: isoOf(t.generatedTime),
    });
    if (o.is_extension) {
      // ProvLake.extend() (versions before 0.2): more values of a task already begun.
      const direction = o.type === 'Output' ? 'generated' : 'used';
      push({ id: eventId(task, 'extend', hashOf(o.values)), type: 'values', run, task, [direction]: converted.values });
      return;
    }
    const begin = { type: 'taskBegin', task, run, transformation: o.dt, parent };
    if (o.type === 'Generate') {
      push({
        ...begin,
        id: eventId(task, 'generate'),
        status: 'GENERATED',
        time: ms(t.generatedTime ?? t.startTime),
        used: converted.values,
        attributes: defined({ ...beginAttrs, usedMetadata: converted.metadata }),
      });
    } else {
      // Input starts the task (older versions: with its inputs); an Output whose Input was lost
      // starts it too, under the same event id.
      const input = o.type === 'Input';
      push({
        ...begin,
        id: eventId(task, 'begin'),
        time: ms(t.startTime ?? t.generatedTime ?? t.endTime),
        used: input ? converted.values : undefined,
        attributes: defined({ ...beginAttrs, usedMetadata: input ? converted.metadata : undefined }),
      });
      const at = epochMs(t.startTime ?? t.generatedTime);
      if (input && at !== undefined) open.open(run, task, at);
    }
    if (o.person) {
      // ProvTask(person_id=...): the person is a PROV agent the task was associated with.
      push({ id: eventId('agent', o.person), type: 'agent', agent: o.person, kind: 'PERSON', name: o.person });
      push({ id: eventId(task, 'person'), type: 'relation', relation: 'WAS_ASSOCIATED_WITH', subject: task, object: o.person });
    }
    if (o.type === 'Output' || (o.type === 'Input' && t.endTime)) {
      const output = o.type === 'Output';
      push({
        id: eventId(task, 'end'),
        type: 'taskEnd',
        task,
        status: endStatus(t.status),
        time: ms(t.endTime),
        generated: output ? converted.values : undefined,
        attributes: defined({
          stdout: t.stdout,
          stderr: t.stderr,
          generatedMetadata: output ? converted.metadata : undefined,
          // ProvTask.end(attribute_associations=...) replaces those given at construction.
          attributeAssociations: output ? t.attribute_associations : undefined,
        }),
      });
      open.close(run, task);
    }
  });
  return { events, runs };
}
