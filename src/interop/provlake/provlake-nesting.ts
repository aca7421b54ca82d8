/**
 * Which task is running around a ProvLake cycle iteration. The library's ProvCycle names no
 * parent (model/cycle_prov_obj.py sends iteration, run, times and values only), but a script runs
 * its cycles inside a task: `with ProvTask(..., "train") as t: for e in epochs: with ProvCycle(...)`.
 * So an iteration is nested under the task of its run that began last and is still running when
 * the iteration begins (Q4/Q5 then see training → epoch → batch). The tasks open at the start of a
 * body come from the store; the requests of the body open and close tasks in their order.
 */
export class OpenTasks {
  /** run → task id → begin (epoch ms), in the order they were opened. */
  private readonly byRun = new Map<string, Map<string, number>>();

  constructor(open: Iterable<{ runId: string; id: string; startedAt: Date | null }> = []) {
    for (const t of open) if (t.startedAt) this.open(t.runId, t.id, t.startedAt.getTime());
  }

  open(run: string, task: string, at: number): void {
    let tasks = this.byRun.get(run);
    if (!tasks) this.byRun.set(run, (tasks = new Map()));
    if (!tasks.has(task)) tasks.set(task, at);
  }

  close(run: string, task: string): void {
    this.byRun.get(run)?.delete(task);
  }

  /** The innermost task open in `run` at `at`, skipping those `skip` says (the cycle's own iterations). */
  enclosing(run: string, at: number, skip: (task: string) => boolean): string | undefined {
    let best: string | undefined;
    let bestAt = -Infinity;
    // Ties go to the one opened later: it is the inner one.
    for (const [task, began] of this.byRun.get(run) ?? []) {
      if (began <= at && began >= bestAt && !skip(task)) {
        best = task;
        bestAt = began;
      }
    }
    return best;
  }
}
