import { Arg, Ctx, FieldResolver, Int, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../context';
import type { ValueRow } from '../../connectors/provenance/rows';
import { LimitExceededError } from '../../errors';
import { AttributeValue, ModelReferenceValue } from '../../schema/ml/attribute-value.types';
import { TaskExecution, WorkflowExecution } from '../../schema/ml/execution.types';
import { Experiment } from '../../schema/ml/experiment.type';
import { DurationStats, GpuSummary, MetricPoint, TelemetrySample } from '../../schema/ml/observations.types';
import { Transformation } from '../../schema/ml/transformation.types';
import { Agent } from '../../schema/prov/agent.types';
import { TaskExecutionConnection, WorkflowExecutionConnection } from '../../schema/connections';
import { ExecutionFilter } from '../../schema/inputs/filters.input';
import { agentView, experimentView, transformationView, valueView } from '../../schema/views';
import { findRun, findTask, loadRun, loadTask, pageArgs, runViewOf, taskViewOf } from './views';

const byDirection = (rows: ValueRow[], direction: 'USED' | 'GENERATED') =>
  rows.filter((v) => v.direction === direction).map(valueView);

function boundedLimit(ctx: RequestContext, limit: number): number {
  const max = ctx.config.maxPageSize * 20;
  if (limit < 1 || limit > max) throw new LimitExceededError('limit', max, limit);
  return limit;
}

@Resolver(() => WorkflowExecution)
export class WorkflowExecutionResolver {
  @Query(() => WorkflowExecutionConnection, { description: 'Workflow executions (runs), by id.' })
  async executions(
    @Ctx() ctx: RequestContext,
    @Arg('filter', () => ExecutionFilter, { nullable: true }) filter: ExecutionFilter | null,
    @Arg('first', () => Int, { defaultValue: 50 }) first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null,
  ) {
    const page = await ctx.store.runs({ workflowName: filter?.workflow, status: filter?.status }, pageArgs(ctx, first, after));
    return { nodes: await Promise.all(page.items.map((r) => runViewOf(ctx, r))), pageInfo: page };
  }

  @Query(() => WorkflowExecution, {
    nullable: true,
    description: 'A run by its client-made id, or by the global id `run:<id>` results carry (the client-made id wins).',
  })
  execution(@Ctx() ctx: RequestContext, @Arg('id') id: string) {
    return findRun(ctx, id);
  }

  @FieldResolver(() => Experiment, { nullable: true })
  async experiment(@Root() r: WorkflowExecution, @Ctx() ctx: RequestContext) {
    const w = await ctx.loaders.workflow.load(r.row.workflowId);
    return w && experimentView(w);
  }

  @FieldResolver(() => Agent, { nullable: true, description: 'prov:wasAssociatedWith.' })
  async agent(@Root() r: WorkflowExecution, @Ctx() ctx: RequestContext) {
    if (!r.row.agentId) return null;
    const a = await ctx.loaders.agent.load(r.row.agentId);
    return a && agentView(a);
  }

  @FieldResolver(() => [AttributeValue], { description: 'Run-level values used (prov:used), e.g. log_param.' })
  async used(@Root() r: WorkflowExecution, @Ctx() ctx: RequestContext) {
    return byDirection(await ctx.loaders.runValues.load(r.row.id), 'USED');
  }

  @FieldResolver(() => [AttributeValue], { description: 'Run-level values generated, e.g. log_model.' })
  async generated(@Root() r: WorkflowExecution, @Ctx() ctx: RequestContext) {
    return byDirection(await ctx.loaders.runValues.load(r.row.id), 'GENERATED');
  }

  @FieldResolver(() => TaskExecutionConnection, { description: 'Top-level tasks of the run.' })
  async tasks(
    @Root() r: WorkflowExecution,
    @Ctx() ctx: RequestContext,
    @Arg('first', () => Int, { defaultValue: 50 }) first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null,
  ) {
    const page = await ctx.store.topTasksOfRun(r.row.id, pageArgs(ctx, first, after));
    return { nodes: await Promise.all(page.items.map((t) => taskViewOf(ctx, t))), pageInfo: page };
  }

  @FieldResolver(() => [String], { description: 'Names of the metric series logged in the run.' })
  metricNames(@Root() r: WorkflowExecution, @Ctx() ctx: RequestContext) {
    return ctx.loaders.metricNames.load(r.row.id);
  }

  @FieldResolver(() => [MetricPoint], { description: 'One metric series, ordered by step.' })
  async metrics(
    @Root() r: WorkflowExecution,
    @Ctx() ctx: RequestContext,
    @Arg('name') name: string,
    @Arg('context', () => String, { nullable: true }) context: string | null,
    @Arg('limit', () => Int, { defaultValue: 1000 }) limit: number,
  ) {
    const rows = await ctx.loaders.metricSeries({ name, context, limit: boundedLimit(ctx, limit) }).load(r.row.id);
    return rows.map((m) => ({ ...m, taskId: m.taskId && `task:${m.taskId}` }));
  }

  @FieldResolver(() => [GpuSummary], {
    description: "Per-GPU summary of the run's execution data (mean and peak utilisation, peak memory, energy).",
  })
  gpuSummary(@Root() r: WorkflowExecution, @Ctx() ctx: RequestContext) {
    return ctx.loaders.gpuSummary.load({ runId: r.row.id, taskId: null });
  }

  @FieldResolver(() => [TelemetrySample], { description: 'Execution data samples (GPU, CPU, RSS) of the run.' })
  async telemetry(
    @Root() r: WorkflowExecution,
    @Ctx() ctx: RequestContext,
    @Arg('limit', () => Int, { defaultValue: 1000 }) limit: number,
  ) {
    const rows = await ctx.loaders.telemetry(boundedLimit(ctx, limit)).load({ runId: r.row.id, taskId: null });
    return rows.map((s) => ({ ...s, taskId: s.taskId && `task:${s.taskId}` }));
  }
}

@Resolver(() => TaskExecution)
export class TaskExecutionResolver {
  @Query(() => TaskExecution, {
    nullable: true,
    description: 'A task by its client-made id, or by the global id `task:<id>` results carry (the client-made id wins).',
  })
  task(@Ctx() ctx: RequestContext, @Arg('id') id: string) {
    return findTask(ctx, id);
  }

  @FieldResolver(() => WorkflowExecution, { nullable: true })
  run(@Root() t: TaskExecution, @Ctx() ctx: RequestContext) {
    return loadRun(ctx, t.row.runId);
  }

  @FieldResolver(() => Transformation, { nullable: true, description: 'The declared transformation it executed.' })
  async transformation(@Root() t: TaskExecution, @Ctx() ctx: RequestContext) {
    const tr = await ctx.loaders.transformation.load(t.row.transformationId);
    return tr && transformationView(tr);
  }

  @FieldResolver(() => TaskExecution, { nullable: true, description: 'Enclosing task (epoch of a batch, training of an epoch).' })
  parent(@Root() t: TaskExecution, @Ctx() ctx: RequestContext) {
    return t.row.parentId ? loadTask(ctx, t.row.parentId) : null;
  }

  @FieldResolver(() => TaskExecutionConnection, { description: 'Nested tasks.' })
  async children(
    @Root() t: TaskExecution,
    @Ctx() ctx: RequestContext,
    @Arg('first', () => Int, { defaultValue: 50 }) first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null,
  ) {
    const page = await ctx.store.childTasks(t.row.id, pageArgs(ctx, first, after));
    return { nodes: await Promise.all(page.items.map((c) => taskViewOf(ctx, c))), pageInfo: page };
  }

  @FieldResolver(() => [TaskExecution], {
    description: 'prov:wasInformedBy: tasks whose output this task depended on, as stated by relation events.',
  })
  async wasInformedBy(@Root() t: TaskExecution, @Ctx() ctx: RequestContext) {
    const rels = await ctx.loaders.relationsFrom.load(`task:${t.row.id}`);
    const tasks = await Promise.all(
      rels
        .filter((r) => r.kind === 'WAS_INFORMED_BY' && r.object.startsWith('task:'))
        .map((r) => loadTask(ctx, r.object.slice(5))),
    );
    return tasks.filter((x) => x !== null);
  }

  @FieldResolver(() => [AttributeValue], { description: 'Values the task used (prov:used).' })
  async used(@Root() t: TaskExecution, @Ctx() ctx: RequestContext) {
    return byDirection(await ctx.loaders.valuesByTask.load(t.row.id), 'USED');
  }

  @FieldResolver(() => [AttributeValue], { description: 'Values the task generated (prov:wasGeneratedBy).' })
  async generated(@Root() t: TaskExecution, @Ctx() ctx: RequestContext) {
    return byDirection(await ctx.loaders.valuesByTask.load(t.row.id), 'GENERATED');
  }

  @FieldResolver(() => [DurationStats], {
    description:
      'Durations of the descendant tasks of transformation `of`, grouped by their parent: for a training, `of: "batch"` gives per-epoch batch times (the paper\'s Q4).',
  })
  async durationStats(@Root() t: TaskExecution, @Ctx() ctx: RequestContext, @Arg('of') of: string) {
    const rows = await ctx.loaders.durationStats(of).load(t.row.id);
    return rows.map((r) => ({ ...r, parentId: r.parentId && `task:${r.parentId}` }));
  }

  @FieldResolver(() => [ModelReferenceValue], {
    description: 'Trained models generated by this task or the tasks under it (epochs of a training).',
  })
  async models(@Root() t: TaskExecution, @Ctx() ctx: RequestContext) {
    return (await ctx.loaders.modelsUnderTask(ctx.config.maxPageSize).load(t.row.id)).map(valueView);
  }

  @FieldResolver(() => [GpuSummary], { description: 'Per-GPU summary of the execution data sampled during the task.' })
  gpuSummary(@Root() t: TaskExecution, @Ctx() ctx: RequestContext) {
    return ctx.loaders.gpuSummary.load({ runId: t.row.runId, taskId: t.row.id });
  }

  @FieldResolver(() => [TelemetrySample], { description: 'Execution data sampled during the task.' })
  async telemetry(
    @Root() t: TaskExecution,
    @Ctx() ctx: RequestContext,
    @Arg('limit', () => Int, { defaultValue: 1000 }) limit: number,
  ) {
    const rows = await ctx.loaders.telemetry(boundedLimit(ctx, limit)).load({ runId: t.row.runId, taskId: t.row.id });
    return rows.map((s) => ({ ...s, taskId: s.taskId && `task:${s.taskId}` }));
  }
}
