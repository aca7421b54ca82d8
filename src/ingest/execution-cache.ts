import type { ResolvedEvent } from './resolve-batch';

/** What a stored task execution is, for ingest: facts fixed when the task is first written. */
export interface TaskFacts {
  readonly runId: string;
  readonly transformationId: string;
  /** The workflow version of the task's run. */
  readonly workflowId: string;
}

/** Entries of each kind a process keeps (about 150 bytes each): the oldest go first. */
export const DEFAULT_EXECUTION_CACHE_ENTRIES = 200_000;

/**
 * A bounded map that forgets its oldest half at a time: two generations, the older dropped whole
 * when the newer fills. (Deleting a Map's first entry one at a time is O(size) in V8 until the
 * table is rehashed: measured at seconds per 100k inserts once full.)
 */
class Generations<V> {
  private current = new Map<string, V>();
  private previous = new Map<string, V>();

  constructor(private readonly half: number) {}

  get(key: string): V | undefined {
    const v = this.current.get(key);
    if (v !== undefined) return v;
    const old = this.previous.get(key);
    // Still in use: keep it through the next turn-over.
    if (old !== undefined) this.set(key, old);
    return old;
  }

  set(key: string, value: V): void {
    this.current.set(key, value);
    if (this.current.size >= this.half) {
      this.previous = this.current;
      this.current = new Map();
    }
  }
}

/**
 * Per-process cache of runs and tasks that ingest has seen stored, so that most batches (the
 * ends of tasks begun a batch earlier, events of a run begun long ago) resolve without a look-up.
 * Only facts that never change once written are kept: a run's workflow version, a task's run and
 * transformation (no write path changes them, nothing deletes runs or tasks). Status and times are
 * never cached. An entry comes either from a read of the store or from a batch that committed and
 * wrote the row itself, so it is true for every replica writing the same store; anything missing
 * is asked of the store.
 */
export class ExecutionCache {
  private readonly runs: Generations<string>;
  private readonly tasks: Generations<TaskFacts>;

  /** `maxEntries` of each kind at most (between half and all of them are kept). */
  constructor(maxEntries = DEFAULT_EXECUTION_CACHE_ENTRIES) {
    const half = Math.max(1, Math.floor(maxEntries / 2));
    this.runs = new Generations(half);
    this.tasks = new Generations(half);
  }

  /** The workflow id of a stored run, if known here. */
  runWorkflow(id: string): string | undefined {
    return this.runs.get(id);
  }

  task(id: string): TaskFacts | undefined {
    return this.tasks.get(id);
  }

  addRun(id: string, workflowId: string): void {
    this.runs.set(id, workflowId);
  }

  addTask(id: string, facts: TaskFacts): void {
    this.tasks.set(id, facts);
  }

  /**
   * After a batch committed on the fast path, where every run and task it began was inserted as
   * new (a stored one would have refused the statement): they are stored exactly as begun.
   * Tasks the same batch also ended are left out: later batches seldom name a finished task (a
   * resent end is a duplicate by its event id), a miss costs one look-up, and the batch tasks of a
   * training, begun and ended a few events apart, were most of the entries (each a long-lived
   * Map entry with its id: old-generation garbage at 1,000 a batch).
   */
  addBegun(accepted: readonly ResolvedEvent[]): void {
    const ended = new Set<string>();
    for (const r of accepted) if (r.event.type === 'taskEnd') ended.add(r.event.task);
    // Tasks of one run and transformation share one (immutable) facts object.
    let shared: TaskFacts | undefined;
    for (const r of accepted) {
      const e = r.event;
      if (e.type === 'workflowBegin') this.addRun(e.run, r.entry!.workflow.id);
      else if (e.type === 'taskBegin' && !ended.has(e.task)) {
        const workflowId = r.entry!.workflow.id;
        if (shared?.runId !== e.run || shared.transformationId !== r.transformationId || shared.workflowId !== workflowId)
          shared = { runId: e.run, transformationId: r.transformationId!, workflowId };
        this.addTask(e.task, shared);
      }
    }
  }
}
