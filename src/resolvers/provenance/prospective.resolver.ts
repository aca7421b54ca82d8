import { Arg, Ctx, FieldResolver, ID, Int, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../context';
import { Attribute } from '../../schema/ml/attribute.types';
import { Experiment } from '../../schema/ml/experiment.type';
import { Study } from '../../schema/ml/study.type';
import { Transformation } from '../../schema/ml/transformation.types';
import { ExperimentConnection, StudyConnection, WorkflowExecutionConnection } from '../../schema/connections';
import { ExperimentFilter } from '../../schema/inputs/filters.input';
import { attributeView, experimentView, studyView, transformationView } from '../../schema/views';
import { pageArgs, runViewOf } from './views';
import { findStudy } from '../../connectors/provenance/id-lookup';

@Resolver(() => Study)
export class StudyResolver {
  @Query(() => StudyConnection, { description: 'PROV-ML Studies, by id.' })
  async studies(
    @Ctx() ctx: RequestContext,
    @Arg('first', () => Int, { defaultValue: 50 }) first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null,
  ) {
    const page = await ctx.store.studies(pageArgs(ctx, first, after));
    return { nodes: page.items.map(studyView), pageInfo: page };
  }

  @FieldResolver(() => ExperimentConnection, { description: 'Experiments (workflow versions) of the study.' })
  async experiments(
    @Root() study: Study,
    @Ctx() ctx: RequestContext,
    @Arg('first', () => Int, { defaultValue: 50 }) first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null,
  ) {
    const page = await ctx.store.workflows({ studyId: study.row.id }, pageArgs(ctx, first, after));
    return { nodes: page.items.map(experimentView), pageInfo: page };
  }
}

@Resolver(() => Experiment)
export class ExperimentResolver {
  @Query(() => ExperimentConnection, { description: 'PROV-ML Experiments: registered workflow versions.' })
  async experiments(
    @Ctx() ctx: RequestContext,
    @Arg('filter', () => ExperimentFilter, { nullable: true }) filter: ExperimentFilter | null,
    @Arg('first', () => Int, { defaultValue: 50 }) first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null,
  ) {
    const studyId = filter?.studyId ? ((await findStudy(ctx.store, filter.studyId))?.id ?? filter.studyId) : undefined;
    const page = await ctx.store.workflows({ name: filter?.name, studyId }, pageArgs(ctx, first, after));
    return { nodes: page.items.map(experimentView), pageInfo: page };
  }

  @FieldResolver(() => Study, { nullable: true })
  async study(@Root() e: Experiment, @Ctx() ctx: RequestContext) {
    if (!e.row.studyId) return null;
    const s = await ctx.loaders.study.load(e.row.studyId);
    return s && studyView(s);
  }

  @FieldResolver(() => [Transformation], { description: 'Declared transformations (prospective).' })
  async transformations(@Root() e: Experiment, @Ctx() ctx: RequestContext) {
    return (await ctx.loaders.transformationsByWorkflow.load(e.row.id)).map(transformationView);
  }

  @FieldResolver(() => [Attribute], { description: 'Run-level attributes (not of any transformation).' })
  async attributes(@Root() e: Experiment, @Ctx() ctx: RequestContext) {
    const all = await ctx.loaders.attributesByWorkflow.load(e.row.id);
    return all.filter((a) => a.transformationId === null).map(attributeView);
  }

  @FieldResolver(() => WorkflowExecutionConnection, { description: 'Executions of this version.' })
  async executions(
    @Root() e: Experiment,
    @Ctx() ctx: RequestContext,
    @Arg('first', () => Int, { defaultValue: 50 }) first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null,
  ) {
    const page = await ctx.store.runs({ workflowId: e.row.id }, pageArgs(ctx, first, after));
    return { nodes: await Promise.all(page.items.map((r) => runViewOf(ctx, r))), pageInfo: page };
  }
}

@Resolver(() => Transformation)
export class TransformationResolver {
  @FieldResolver(() => Experiment, { nullable: true })
  async experiment(@Root() t: Transformation, @Ctx() ctx: RequestContext) {
    const w = await ctx.loaders.workflow.load(t.row.workflowId);
    return w && experimentView(w);
  }

  @FieldResolver(() => [Attribute], { description: 'Declared attributes; direction USED or GENERATED filters.' })
  async attributes(
    @Root() t: Transformation,
    @Ctx() ctx: RequestContext,
    @Arg('direction', () => String, { nullable: true }) direction: string | null,
  ) {
    const all = await ctx.loaders.attributesByWorkflow.load(t.row.workflowId);
    return all.filter((a) => a.transformationId === t.row.id && (!direction || a.direction === direction)).map(attributeView);
  }
}

@Resolver(() => Attribute)
export class AttributeResolver {
  @FieldResolver(() => ID, { nullable: true, description: 'Global id of the transformation; null for run-level attributes.' })
  transformationId(@Root() a: Attribute) {
    return a.row.transformationId ? `transformation:${a.row.transformationId}` : null;
  }
}
