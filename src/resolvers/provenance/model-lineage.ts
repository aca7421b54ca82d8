import type { RequestContext } from '../../context';
import type { TaskRow, ValueRow } from '../../connectors/provenance/rows';

const MAX_ANCESTORS = 16;

/** The task that generated a value and its ancestors (epoch -> training), nearest first. */
export async function taskChain(ctx: RequestContext, taskId: string | null): Promise<TaskRow[]> {
  const chain: TaskRow[] = [];
  let id = taskId;
  while (id && chain.length < MAX_ANCESTORS) {
    const t = await ctx.loaders.task.load(id);
    if (!t) break;
    chain.push(t);
    id = t.parentId;
  }
  return chain;
}

/**
 * Values in scope of a model: those its generating task and the task's ancestors used, and the
 * run-level ones; a value nearer the model hides one of the same name further up.
 */
export async function valuesInScope(ctx: RequestContext, model: ValueRow, roles: ReadonlySet<string>): Promise<ValueRow[]> {
  const chain = await taskChain(ctx, model.taskId);
  const perTask = await Promise.all(chain.map((t) => ctx.loaders.valuesByTask.load(t.id)));
  const runLevel = await ctx.loaders.runValues.load(model.runId);
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
