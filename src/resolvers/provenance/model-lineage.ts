import type { RequestContext } from '../../context';
import type { TaskRow, ValueRow } from '../../connectors/provenance/rows';

/** The task that generated a value and its ancestors (epoch -> training), nearest first: one query. */
export async function taskChain(ctx: RequestContext, taskId: string | null): Promise<TaskRow[]> {
  return taskId ? ctx.loaders.taskAncestors.load(taskId) : [];
}

/**
 * Values in scope of a model: those its generating task and the task's ancestors used, and the
 * run-level ones; a value nearer the model hides one of the same name further up.
 */
export async function valuesInScope(ctx: RequestContext, model: ValueRow, roles: ReadonlySet<string>): Promise<ValueRow[]> {
  const [chain, runLevel] = await Promise.all([taskChain(ctx, model.taskId), ctx.loaders.runValues.load(model.runId)]);
  const perTask = await Promise.all(chain.map((t) => ctx.loaders.valuesByTask.load(t.id)));
  const seen = new Set<string>();
  const out: ValueRow[] = [];
  for (const rows of [...perTask, runLevel]) {
    for (const v of rows) {
      if (v.direction !== 'USED' || !roles.has(v.role) || seen.has(v.name)) continue;
      seen.add(v.name);
      out.push(v);
    }
  }
  return out;
}
