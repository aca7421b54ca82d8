import type { EventOf, IngestEvent } from './events';

/**
 * A hand-written parser for the shapes that make up nearly every batch (task begins and ends
 * without value maps, metrics), about ten times cheaper than the zod schema. It accepts only
 * what the schema accepts and returns what the schema would return; on anything else (a missing
 * or odd field, a time given as a string, value maps) it returns null and the caller runs the
 * schema, so rejected events keep the schema's typed, field-naming messages.
 * test/unit/fast-parse.test.ts checks it against the schema.
 */

// Mirrors events.ts: ids and names 1..200 code units, epoch milliseconds 0..8.64e15.
const MAX_EPOCH_MS = 8.64e15;
const isId = (v: unknown): v is string => typeof v === 'string' && v.length >= 1 && v.length <= 200;
const optionalId = (v: unknown): boolean => v === undefined || isId(v);

/** undefined: no time; null: not a shape this parser takes. */
function time(v: unknown): Date | undefined | null {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !(v >= 0 && v <= MAX_EPOCH_MS)) return null;
  return new Date(v);
}

const END_STATUS = new Set(['RUNNING', 'FINISHED', 'FAILED', 'KILLED']);

function taskBegin(e: Record<string, unknown>, at: Date | undefined): EventOf<'taskBegin'> | null {
  if (e.used !== undefined || e.attributes !== undefined) return null;
  if (!isId(e.task) || !isId(e.run) || !isId(e.transformation) || !optionalId(e.parent)) return null;
  if (e.host !== undefined && (typeof e.host !== 'string' || e.host.length > 500)) return null;
  const status = e.status === undefined ? 'RUNNING' : e.status;
  if (status !== 'RUNNING' && status !== 'GENERATED') return null;
  const out: EventOf<'taskBegin'> = {
    id: e.id as string,
    type: 'taskBegin',
    task: e.task,
    run: e.run,
    transformation: e.transformation,
    status,
  };
  if (at) out.time = at;
  if (e.parent !== undefined) out.parent = e.parent as string;
  if (e.host !== undefined) out.host = e.host as string;
  return out;
}

function taskEnd(e: Record<string, unknown>, at: Date | undefined): EventOf<'taskEnd'> | null {
  if (e.generated !== undefined || e.attributes !== undefined || !isId(e.task)) return null;
  const status = e.status === undefined ? 'FINISHED' : e.status;
  if (typeof status !== 'string' || !END_STATUS.has(status)) return null;
  const out: EventOf<'taskEnd'> = {
    id: e.id as string,
    type: 'taskEnd',
    task: e.task,
    status: status as EventOf<'taskEnd'>['status'],
  };
  if (at) out.time = at;
  return out;
}

function metric(e: Record<string, unknown>, at: Date | undefined): EventOf<'metric'> | null {
  if (!isId(e.run) || !optionalId(e.task) || !isId(e.name)) return null;
  if (typeof e.value !== 'number' || !Number.isFinite(e.value)) return null;
  if (e.step !== undefined && !Number.isSafeInteger(e.step)) return null;
  if (e.context !== undefined && (typeof e.context !== 'string' || e.context.length < 1 || e.context.length > 100)) return null;
  const out: EventOf<'metric'> = { id: e.id as string, type: 'metric', run: e.run, name: e.name, value: e.value };
  if (at) out.time = at;
  if (e.task !== undefined) out.task = e.task as string;
  if (e.step !== undefined) out.step = e.step as number;
  if (e.context !== undefined) out.context = e.context as string;
  return out;
}

/** The event as the schema would parse it, or null to let the schema decide. */
export function fastParse(raw: unknown): IngestEvent | null {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return null;
  const e = raw as Record<string, unknown>;
  if (!isId(e.id)) return null;
  const at = time(e.time);
  if (at === null) return null;
  switch (e.type) {
    case 'taskBegin':
      return taskBegin(e, at);
    case 'taskEnd':
      return taskEnd(e, at);
    case 'metric':
      return metric(e, at);
    default:
      return null;
  }
}
