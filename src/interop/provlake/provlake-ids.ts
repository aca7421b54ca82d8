import { createHash } from 'node:crypto';
import type { ProvLakeTime } from './provlake-requests';

/**
 * Ids and times of the ProvLake mapping. Ids are deterministic, made from the run, the task and
 * the phase, so a resent bag is all duplicates and changes nothing:
 *   run   = String(wf_execution)                 (a Python time() float by default)
 *   task  = `${run}:${dt}:${task.id}`             (ProvLake's own dte id is wfe + dt + task id)
 *   cycle = `${run}:cycle:${cycle_name}:${iteration_id}`, a task whose transformation is the cycle
 */

/** Where ProvLake puts a ProvTask made without a ProvWorkflow (utils/constants.py Vocabulary). */
export const GLOBAL_RUN = 'global';
export const GLOBAL_WORKFLOW = 'global_workflow';

const MAX_ID = 200;
export const eventId = (...parts: string[]): string => {
  const plain = `provlake:${parts.join(':')}`;
  return plain.length <= MAX_ID ? plain : `provlake:${createHash('sha256').update(parts.join('\u0000')).digest('hex')}`;
};
export const hashOf = (v: unknown): string =>
  createHash('sha256')
    .update(JSON.stringify(v ?? null))
    .digest('hex')
    .slice(0, 16);

/** Run ids are limited like event ids; a longer wf_execution is hashed; none is the global run. */
export const runIdOf = (wf: string | number | null | undefined): string => {
  if (wf === null || wf === undefined) return GLOBAL_RUN;
  const s = String(wf);
  return s.length <= 150 ? s : `provlake-run-${createHash('sha256').update(s).digest('hex').slice(0, 32)}`;
};
export const taskIdOf = (...parts: string[]): string => {
  const s = parts.join(':');
  return s.length <= MAX_ID ? s : `provlake-task-${createHash('sha256').update(s).digest('hex')}`;
};
export const cyclePrefix = (run: string, cycle: string): string => `${run}:cycle:${cycle}:`;
export const cycleTaskId = (run: string, cycle: string, iteration: string | number): string =>
  taskIdOf(run, 'cycle', cycle, String(iteration));

/** Python time() seconds → epoch milliseconds (our events' numeric time); ISO strings pass. */
export const ms = (t: ProvLakeTime | null | undefined): number | string | undefined =>
  t === null || t === undefined ? undefined : typeof t === 'number' ? Math.round(t * 1000) : t;
/** The same instant as epoch milliseconds, to compare. */
export const epochMs = (t: ProvLakeTime | null | undefined): number | undefined => {
  const v = ms(t);
  return v === undefined ? undefined : typeof v === 'number' ? v : Date.parse(v);
};
/** The same instant as an ISO string, for attributes. */
export const isoOf = (t: ProvLakeTime | null | undefined): string | undefined => {
  const v = epochMs(t);
  return v === undefined ? undefined : new Date(v).toISOString();
};

/** ProvLake statuses (utils/constants.py Status: GENERATED, RUNNING, FINISHED, ERRORED) at an end → ours. */
export const endStatus = (s: string | null | undefined): string =>
  s === 'ERRORED' ? 'FAILED' : s === 'KILLED' ? 'KILLED' : 'FINISHED';
