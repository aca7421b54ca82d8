import { z } from 'zod';
import { fastParse } from './fast-parse';
import { findJsonProblem } from './json-limits';

/**
 * The ingest event model (docs/ingest.md). Events arrive as JSON and are validated here, one by
 * one, so that a bad event is rejected with its field path while the rest of its batch lands.
 */
const id = z.string().min(1).max(200);
// Epoch milliseconds up to JavaScript's last date (+275760-09-13), inside timestamptz's range.
const MAX_EPOCH_MS = 8.64e15;
const time = z
  .union([z.string().datetime({ offset: true }), z.number().finite().nonnegative().max(MAX_EPOCH_MS)])
  .transform((t, ctx) => {
    const d = new Date(t);
    if (Number.isNaN(d.getTime())) {
      ctx.addIssue({ code: 'custom', message: 'time is not a valid date' });
      return z.NEVER;
    }
    return d;
  });
// workflow.version is an integer column.
const INT4_MAX = 2_147_483_647;
const status = z.enum(['RUNNING', 'FINISHED', 'FAILED', 'KILLED']);
const jsonObject = z.record(z.string(), z.unknown());
const values = z
  .record(z.string().min(1).max(200), z.unknown())
  .refine((v) => Object.keys(v).length <= 1000, 'at most 1000 values per event');

const base = { id, time: time.optional() };

const WorkflowBegin = z.object({
  ...base,
  type: z.literal('workflowBegin'),
  run: id,
  workflow: z.string().min(1).max(200),
  version: z.number().int().positive().max(INT4_MAX).optional(),
  agent: id.optional(),
  attributes: jsonObject.optional(),
  used: values.optional(),
});
const WorkflowEnd = z.object({
  ...base,
  type: z.literal('workflowEnd'),
  run: id,
  status: status.default('FINISHED'),
  generated: values.optional(),
  attributes: jsonObject.optional(),
});
const TaskBegin = z.object({
  ...base,
  type: z.literal('taskBegin'),
  task: id,
  run: id,
  transformation: z.string().min(1).max(200),
  parent: id.optional(),
  host: z.string().max(500).optional(),
  // GENERATED: the task is known, with its inputs, before it starts (ProvLake's Generate); a later
  // taskBegin of the same task (another event id) starts it.
  status: z.enum(['RUNNING', 'GENERATED']).default('RUNNING'),
  used: values.optional(),
  attributes: jsonObject.optional(),
});
const TaskEnd = z.object({
  ...base,
  type: z.literal('taskEnd'),
  task: id,
  status: status.default('FINISHED'),
  generated: values.optional(),
  attributes: jsonObject.optional(),
});
const Values = z.object({
  ...base,
  type: z.literal('values'),
  run: id,
  task: id.optional(),
  used: values.optional(),
  generated: values.optional(),
});
const Metric = z.object({
  ...base,
  type: z.literal('metric'),
  run: id,
  task: id.optional(),
  name: z.string().min(1).max(200),
  value: z.number().finite(),
  step: z.number().int().safe().optional(),
  context: z.string().min(1).max(100).optional(),
});
const Gpu = z.object({
  index: z.number().int().min(0).max(1024),
  name: z.string().max(200).optional(),
  utilization: z.number().min(0).max(100).optional(),
  memoryUsed: z.number().int().nonnegative().optional(),
  memoryTotal: z.number().int().nonnegative().optional(),
  power: z.number().nonnegative().optional(),
  temperature: z.number().min(-100).max(200).optional(),
  energy: z.number().nonnegative().optional(),
});
const Telemetry = z.object({
  ...base,
  type: z.literal('telemetry'),
  run: id,
  task: id.optional(),
  host: z.string().max(500).optional(),
  gpu: z.array(Gpu).max(64).optional(),
  cpu: z.number().min(0).optional(),
  rss: z.number().int().nonnegative().optional(),
});
const Agent = z.object({
  ...base,
  type: z.literal('agent'),
  agent: id,
  kind: z.enum(['PERSON', 'SOFTWARE', 'ORGANIZATION']),
  name: z.string().max(500).optional(),
  attributes: jsonObject.optional(),
});
export const RELATION_KINDS = ['WAS_DERIVED_FROM', 'HAD_MEMBER', 'WAS_INFORMED_BY', 'WAS_ASSOCIATED_WITH'] as const;
const Relation = z.object({
  ...base,
  type: z.literal('relation'),
  relation: z.enum(RELATION_KINDS),
  subject: z.string().min(1).max(2000),
  object: z.string().min(1).max(2000),
  subjectStore: z.string().min(1).max(200).optional(),
  objectStore: z.string().min(1).max(200).optional(),
});

export const EventSchema = z.discriminatedUnion('type', [
  WorkflowBegin,
  WorkflowEnd,
  TaskBegin,
  TaskEnd,
  Values,
  Metric,
  Telemetry,
  Agent,
  Relation,
]);
export type IngestEvent = z.output<typeof EventSchema>;
export type EventOf<T extends IngestEvent['type']> = Extract<IngestEvent, { type: T }>;
export type GpuSample = z.output<typeof Gpu>;

export interface EventIssue {
  index: number;
  eventId: string | null;
  field: string;
  code: string;
  message: string;
}

/**
 * Parses one raw event; on failure returns the first problem with its full field path.
 * `stringsChecked`: the event came from a body whose strings cannot hold NUL or lone surrogates
 * (see findJsonProblem); anything else is checked.
 */
export function parseEvent(
  raw: unknown,
  index: number,
  { stringsChecked = false }: { stringsChecked?: boolean } = {},
): { event: IngestEvent } | { issue: EventIssue } {
  const eventId =
    raw && typeof raw === 'object' && typeof (raw as { id?: unknown }).id === 'string' ? (raw as { id: string }).id : null;
  // First what no store could hold, anywhere in the event (ids, names, nested values and keys).
  const problem = findJsonProblem(raw, { strings: !stringsChecked });
  if (problem) {
    return {
      issue: { index, eventId, field: `events[${index}]${problem.path}`, code: 'BAD_USER_INPUT', message: problem.message },
    };
  }
  const fast = fastParse(raw);
  if (fast) return { event: fast };
  const parsed = EventSchema.safeParse(raw);
  if (parsed.success) return { event: parsed.data };
  const first = parsed.error.issues[0];
  const field = [`events[${index}]`, ...first.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))]
    .join('')
    .replace(/\]\./g, '].');
  let message = first.message;
  if (first.code === 'invalid_union' && first.path.length === 1 && first.path[0] === 'type') {
    message = `unknown event type; expected one of ${EventSchema.options.map((o) => o.shape.type.value).join(', ')}`;
  }
  return { issue: { index, eventId, field, code: 'BAD_USER_INPUT', message } };
}

/**
 * A value is a data reference when its only keys are `$ref` and optionally `store` and
 * `extract`. `extract` (true, or an object of extraction options) asks the server to read the
 * file's metadata after the batch commits (docs/extract.md); its options are checked by the
 * extraction job, which fails with a message naming the option, never the ingest.
 */
export interface DataRefValue {
  uri: string;
  store: string;
  /** Extraction asked for, as written (`true` or an options object); absent for none. */
  extract?: unknown;
}
const REF_KEYS = new Set(['$ref', 'store', 'extract']);
export function asDataRef(value: unknown): DataRefValue | null {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return null;
  const keys = Object.keys(value);
  const v = value as { $ref?: unknown; store?: unknown; extract?: unknown };
  if (typeof v.$ref !== 'string' || v.$ref.length === 0 || v.$ref.length > 2000) return null;
  if (!keys.every((k) => REF_KEYS.has(k))) return null;
  if (v.store !== undefined && (typeof v.store !== 'string' || v.store.length === 0)) return null;
  const ref: DataRefValue = { uri: v.$ref, store: (v.store as string | undefined) ?? 'default' };
  // false / null: no extraction. A value of the wrong type is still a request: the job reports
  // it (BAD_OPTIONS), where the user looks for the result.
  if (v.extract !== undefined && v.extract !== false && v.extract !== null) ref.extract = v.extract;
  return ref;
}
