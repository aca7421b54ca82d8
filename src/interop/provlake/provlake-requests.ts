import { z } from 'zod';
import { BadUserInputError } from '../../errors';

/**
 * The retrospective request format of IBM's ProvLake capture library
 * (github.com/IBM/multi-data-lineage-capture-py). Its ManagedPersister POSTs a JSON *list* of
 * requests to `<service>/retrospective-provenance`, one per captured activity:
 *
 *   { act_type: "workflow" | "task" | "cycle", dataflow_name, prov_obj: {...},
 *     custom_metadata?, context? }
 *
 * (model/activity_prov_obj.py `_inject_prov_request_args`, persistence/managed_persister.py
 * `add_request` adds `context`). The prov_obj shapes are those of model/workflow_prov_obj.py,
 * task_prov_obj.py and cycle_prov_obj.py `as_dict` (0.2.x; test/fixtures/provlake/ holds a
 * recorded session), and of versions before March 2021, whose Input carried the values and which
 * had no Generate. Unknown keys are kept (older versions merged the storage configuration into
 * the workflow object).
 */

/** Python's time() floats, ids made from them, or strings: the library uses all three. */
const Id = z.union([z.string().min(1).max(150), z.number().finite()]);
/** Seconds since the epoch (time()), or an ISO-8601 string. */
const Time = z.union([z.number().finite().nonnegative(), z.string().datetime({ offset: true })]);
const Values = z.record(z.string().min(1).max(200), z.unknown());
const Text = z.string().max(1_000_000);

const WorkflowObj = z
  .object({
    wf_execution: Id,
    generatedTime: Time.nullish(),
    startTime: Time.nullish(),
    endTime: Time.nullish(),
    status: z.string().max(50).nullish(),
    values: Values.nullish(),
    stdout: Text.nullish(),
    stderr: Text.nullish(),
  })
  .passthrough();

const TaskObj = z
  .object({
    task: z
      .object({
        id: Id,
        // null for a ProvTask made without a ProvWorkflow: ProvLake's global workflow execution.
        wf_execution: Id.nullish(),
        startTime: Time.nullish(),
        endTime: Time.nullish(),
        generatedTime: Time.nullish(),
        parent_cycle_iteration: Id.nullish(),
        parent_cycle_name: z.string().min(1).max(200).nullish(),
        status: z.string().max(50).nullish(),
        stdout: Text.nullish(),
        stderr: Text.nullish(),
        attribute_associations: z.record(z.string(), z.unknown()).nullish(),
      })
      .passthrough(),
    dt: z.string().min(1).max(200),
    type: z.enum(['Input', 'Output', 'Generate']),
    values: Values.nullish(),
    person: z.string().min(1).max(200).nullish(),
    is_extension: z.boolean().nullish(),
  })
  .passthrough();

const CycleObj = z
  .object({
    cycle: z
      .object({
        iteration_id: Id,
        wf_execution: Id.nullish(),
        startTime: Time.nullish(),
        endTime: Time.nullish(),
        status: z.string().max(50).nullish(),
        stdout: Text.nullish(),
        stderr: Text.nullish(),
      })
      .passthrough(),
    cycle_name: z.string().min(1).max(200),
    type: z.enum(['Input', 'Output']),
    values: Values.nullish(),
  })
  .passthrough();

const common = {
  dataflow_name: z.string().min(1).max(200).nullish(),
  custom_metadata: z.record(z.string(), z.unknown()).nullish(),
  context: z.string().max(200).nullish(),
};

export const ProvLakeRequestSchema = z.discriminatedUnion('act_type', [
  z.object({ act_type: z.literal('workflow'), prov_obj: WorkflowObj, ...common }).passthrough(),
  z.object({ act_type: z.literal('task'), prov_obj: TaskObj, ...common }).passthrough(),
  z.object({ act_type: z.literal('cycle'), prov_obj: CycleObj, ...common }).passthrough(),
]);

export type ProvLakeRequest = z.output<typeof ProvLakeRequestSchema>;
export type ProvLakeTime = z.output<typeof Time>;

/** At most this many requests in one body (a bag; the library's default bag size is 1). */
export const MAX_REQUESTS = 5000;

/**
 * Validates a retrospective body: a list of requests (what the library sends) or one request.
 * Every problem is reported together, each naming its field (`body[2].prov_obj.task.id`).
 */
export function parseRetrospectiveBody(body: unknown): ProvLakeRequest[] {
  const list = Array.isArray(body) ? body : [body];
  const prefix = (i: number) => (Array.isArray(body) ? `body[${i}]` : 'body');
  if (list.length > MAX_REQUESTS) {
    throw new BadUserInputError(`at most ${MAX_REQUESTS} requests per body, got ${list.length}`, 'body');
  }
  const problems: Array<{ field: string; message: string }> = [];
  const out: ProvLakeRequest[] = [];
  list.forEach((raw, i) => {
    const r = ProvLakeRequestSchema.safeParse(raw);
    if (r.success) out.push(r.data);
    else
      for (const issue of r.error.issues)
        problems.push({
          field: [prefix(i), ...issue.path].join('.').replace(/\.(\d+)(?=\.|$)/g, '[$1]'),
          message: issue.message,
        });
  });
  if (problems.length) {
    const first = problems[0];
    throw new BadUserInputError(`invalid ProvLake request at ${first.field}: ${first.message}`, first.field, { problems });
  }
  return out;
}
