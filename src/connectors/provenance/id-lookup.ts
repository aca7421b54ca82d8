import type { ProvenanceStore } from './provenance-store';
import type { DataRefRow, RunRow, StudyRow, TaskRow, ValueRow } from './rows';

/**
 * Ids asked of the API may be client-made keys (`big`) or the global ids results carry
 * (`run:big`, `ref:17`, `value:42`): every id a result returns must be accepted back.
 */

/**
 * The keys an id asked as `kind` may stand for: the id as given (a client-made key), then, when
 * it reads as a global id of that kind, its key. The id as given wins when both exist.
 */
export function keyCandidates(kind: string, id: string): string[] {
  return id.startsWith(`${kind}:`) && id.length > kind.length + 1 ? [id, id.slice(kind.length + 1)] : [id];
}

/** The numeric key of a global id of `kind` (`ref:17` → `17`), else null. */
export function numericKey(kind: string, id: string): string | null {
  const m = new RegExp(`^${kind}:(\\d{1,18})$`).exec(id);
  return m ? m[1] : null;
}

async function firstOf<T>(keys: string[], load: (keys: string[]) => Promise<Array<T | null>>): Promise<T | null> {
  const rows = await load(keys);
  return rows.find((r): r is T => r !== null) ?? null;
}

export const findRun = (store: ProvenanceStore, id: string): Promise<RunRow | null> =>
  firstOf(keyCandidates('run', id), (k) => store.runsByIds(k));

export const findTask = (store: ProvenanceStore, id: string): Promise<TaskRow | null> =>
  firstOf(keyCandidates('task', id), (k) => store.tasksByIds(k));

export const findStudy = (store: ProvenanceStore, id: string): Promise<StudyRow | null> =>
  firstOf(keyCandidates('study', id), (k) => store.studiesByIds(k));

/** A value by its global id `value:<n>`, else null. */
export async function findValue(store: ProvenanceStore, id: string): Promise<ValueRow | null> {
  const key = numericKey('value', id);
  return key ? ((await store.valuesByIds([key]))[0] ?? null) : null;
}

/**
 * The data references an entity argument names: by URI first (a URI may look like anything),
 * then a data reference's global id `ref:<n>`, or a value's `value:<n>` that references data.
 */
export async function findDataRefs(store: ProvenanceStore, uriOrId: string): Promise<DataRefRow[]> {
  const [byUri] = await store.dataRefsByUris([uriOrId]);
  if (byUri.length) return byUri;
  const refKey = numericKey('ref', uriOrId) ?? (await findValue(store, uriOrId))?.dataRefId ?? null;
  if (!refKey) return [];
  const [ref] = await store.dataRefsByIds([refKey]);
  return ref ? [ref] : [];
}
