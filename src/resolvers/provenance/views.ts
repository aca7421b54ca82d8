import type DataLoader from 'dataloader';
import type { RequestContext } from '../../context';
import { keyCandidates } from '../../connectors/provenance/id-lookup';
import type { RunRow, TaskRow } from '../../connectors/provenance/rows';
import { LimitExceededError } from '../../errors';
import type { Node } from '../../schema/prov/node.interface';
import type { TaskExecution, WorkflowExecution } from '../../schema/ml/execution.types';
import {
  agentView,
  attributeView,
  dataRefView,
  experimentView,
  parseGlobalId,
  runView,
  studyView,
  taskView,
  transformationView,
  valueView,
} from '../../schema/views';

/** Turns store rows into schema objects through the request's loaders (kinds need a lookup). */
export async function runViewOf(ctx: RequestContext, row: RunRow): Promise<WorkflowExecution> {
  const wf = await ctx.loaders.workflow.load(row.workflowId);
  return runView(row, wf?.kind ?? 'DATA');
}

export async function taskViewOf(ctx: RequestContext, row: TaskRow): Promise<TaskExecution> {
  // Reads that join the transformation carry its kind (tasksByIds does): no round trip then.
  if (row.transformationKind) return taskView(row, row.transformationKind);
  const tr = await ctx.loaders.transformation.load(row.transformationId);
  return taskView(row, tr?.kind ?? 'DATA_TRANSFORMATION');
}

export async function loadRun(ctx: RequestContext, id: string): Promise<WorkflowExecution | null> {
  const row = await ctx.loaders.run.load(id);
  return row ? runViewOf(ctx, row) : null;
}

export async function loadTask(ctx: RequestContext, id: string): Promise<TaskExecution | null> {
  const row = await ctx.loaders.task.load(id);
  return row ? taskViewOf(ctx, row) : null;
}

/** The first of `keys` the loader finds (ids asked of the API: see keyCandidates). */
async function firstLoaded<T>(loader: DataLoader<string, T | null, string>, keys: string[]): Promise<T | null> {
  for (const r of await loader.loadMany(keys)) if (r && !(r instanceof Error)) return r;
  return null;
}

/** A run asked by id: its client-made id or the global id `run:<id>` a result carries. */
export async function findRun(ctx: RequestContext, id: string): Promise<WorkflowExecution | null> {
  const row = await firstLoaded(ctx.loaders.run, keyCandidates('run', id));
  return row ? runViewOf(ctx, row) : null;
}

/** A task asked by id: its client-made id or the global id `task:<id>`. */
export async function findTask(ctx: RequestContext, id: string): Promise<TaskExecution | null> {
  const row = await firstLoaded(ctx.loaders.task, keyCandidates('task', id));
  return row ? taskViewOf(ctx, row) : null;
}

/** The activity a value belongs to: its task, or its run for run-level values. */
export async function loadActivity(ctx: RequestContext, runId: string, taskId: string | null) {
  return taskId ? loadTask(ctx, taskId) : loadRun(ctx, runId);
}

export async function loadNode(ctx: RequestContext, id: string): Promise<Node | null> {
  const g = parseGlobalId(id);
  if (!g) return null;
  const { kind, key } = g;
  const l = ctx.loaders;
  switch (kind) {
    case 'run':
      return loadRun(ctx, key);
    case 'task':
      return loadTask(ctx, key);
    case 'study': {
      const r = await l.study.load(key);
      return r && studyView(r);
    }
    case 'experiment': {
      if (!/^\d+$/.test(key)) return null;
      const r = await l.workflow.load(key);
      return r && experimentView(r);
    }
    case 'transformation': {
      if (!/^\d+$/.test(key)) return null;
      const r = await l.transformation.load(key);
      return r && transformationView(r);
    }
    case 'value': {
      if (!/^\d+$/.test(key)) return null;
      const r = await l.value.load(key);
      return r && valueView(r);
    }
    case 'ref': {
      if (!/^\d+$/.test(key)) return null;
      const r = await l.dataRef.load(key);
      return r && dataRefView(r);
    }
    case 'attribute': {
      if (!/^\d+$/.test(key)) return null;
      const r = await l.attribute.load(key);
      return r && attributeView(r);
    }
    case 'agent': {
      const r = await l.agent.load(key);
      return r && agentView(r);
    }
    default:
      return null;
  }
}

/** Page size within the configured bound: a larger request is an error, not a silent cut. */
export function pageArgs(ctx: RequestContext, first: number, after?: string | null) {
  if (first < 0 || first > ctx.config.maxPageSize) {
    throw new LimitExceededError('page size (first)', ctx.config.maxPageSize, first);
  }
  return { first, after: after ?? null };
}
