import type { ResolvedEvent } from './resolve-batch';

/** What a stored task execution is, for ingest: facts fixed when the task is first written. */
export interface TaskFacts {
  runId: string;
  transformationId: string;
  /** The workflow version of the task's run. */
  workflowId: string;
}

/** Entries of each kind a process keeps (about 150 bytes each): the oldest go first. */
export const DEFAULT_EXECUTION_CACHE_ENTRIES = 200_000;

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
  private readonly runs = new Map<string, string>();
  private readonly tasks = new Map<string, TaskFacts>();

  constructor(private readonly maxEntries = DEFAULT_EXECUTION_CACHE_ENTRIES) {}

  /** The workflow id of a stored run, if known here. */
  runWorkflow(id: string): string | undefined {
    return this.runs.get(id);
  }

  task(id: string): TaskFacts | undefined {
    return this.tasks.get(id);
  }

  addRun(id: string, workflowId: string): void {
    this.runs.set(id, workflowId);
    if (this.runs.size > this.maxEntries) this.runs.delete(this.runs.keys().next().value!);
  }

  addTask(id: string, facts: TaskFacts): void {
    this.tasks.set(id, facts);
    if (this.tasks.size > this.maxEntries) this.tasks.delete(this.tasks.keys().next().value!);
  }

  /**
   * After a batch committed on the fast path, where every run and task it began was inserted as
   * new (a stored one would have refused the statement): they are stored exactly as begun.
   */
  addBegun(accepted: readonly ResolvedEvent[]): void {
    for (const r of accepted) {
      const e = r.event;
      if (e.type === 'workflowBegin') this.addRun(e.run, r.entry!.workflow.id);
      else if (e.type === 'taskBegin')
        this.addTask(e.task, { runId: e.run, transformationId: r.transformationId!, workflowId: r.entry!.workflow.id });
    }
  }
}
