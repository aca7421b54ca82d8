/** The event model of docs/ingest.md, as the capture client builds it. */

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** One ingest event: a client-made `id`, a `type`, and the fields of that type. */
export interface IngestEvent extends JsonObject {
  id: string;
  type: string;
}

/** A data reference (ProvLake's get_data_reference): a value that points into a store. */
export interface DataRef extends JsonObject {
  $ref: string;
}

export const STATUSES = ['RUNNING', 'FINISHED', 'FAILED', 'KILLED'] as const;
export type Status = (typeof STATUSES)[number];

export function ref(uri: string, store?: string): DataRef {
  if (typeof uri !== 'string' || !uri) throw new TypeError('ref: uri must be a non-empty string');
  return store === undefined ? { $ref: uri } : { $ref: uri, store };
}

/**
 * Compact JSON that the server accepts whatever the job handed over: JSON has no NaN or
 * Infinity, so they travel as strings (as the Python client does) and the rest of the event
 * survives; a bigint travels as its decimal string.
 */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
    if (typeof v === 'bigint') return v.toString();
    return v;
  });
}

export function isIngestEvent(value: unknown): value is IngestEvent {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    typeof (value as { id?: unknown }).id === 'string' &&
    typeof (value as { type?: unknown }).type === 'string'
  );
}
