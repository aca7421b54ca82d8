import { Arg, Ctx, FieldResolver, Int, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../context';
import { Attribute } from '../../schema/ml/attribute.types';
import { AttributeValue, ModelReferenceValue } from '../../schema/ml/attribute-value.types';
import { DataReference } from '../../schema/ml/data-reference.type';
import { TaskExecution } from '../../schema/ml/execution.types';
import { Activity } from '../../schema/prov/activity.interface';
import { ModelConnection } from '../../schema/connections';
import { ModelFilter } from '../../schema/inputs/filters.input';
import { attributeView, dataRefView, valueView } from '../../schema/views';
import { findDataRefs, findRun as findRunRow, findValue } from '../../connectors/provenance/id-lookup';
import { valuesInScope } from './model-lineage';
import { checkedModelConditions } from './model-conditions';
import { loadActivity, loadTask, pageArgs } from './views';

const HYPERPARAMETER_ROLES = new Set(['LEARNING_HYPERPARAMETER']);
const DATASET_ROLES = new Set(['LEARNING_DATASET_REFERENCE']);

@Resolver(() => AttributeValue)
export class AttributeValueResolver {
  @FieldResolver(() => Attribute, { nullable: true, description: 'The declared attribute (prospective) it is a value of.' })
  async attribute(@Root() v: AttributeValue, @Ctx() ctx: RequestContext) {
    const attrs = await ctx.loaders.attributesByWorkflow.load((await ctx.loaders.run.load(v.row.runId))?.workflowId ?? '0');
    const a = attrs.find((x) => x.id === v.row.attributeId);
    return a ? attributeView(a) : null;
  }

  @FieldResolver(() => Activity, { nullable: true, description: 'The task or run that used or generated it.' })
  execution(@Root() v: AttributeValue, @Ctx() ctx: RequestContext) {
    return loadActivity(ctx, v.row.runId, v.row.taskId);
  }

  @FieldResolver(() => DataReference, { nullable: true, description: 'The referenced data, when the value is a data reference.' })
  async dataReference(@Root() v: AttributeValue, @Ctx() ctx: RequestContext) {
    if (!v.row.dataRefId) return null;
    const d = await ctx.loaders.dataRef.load(v.row.dataRefId);
    return d && dataRefView(d);
  }
}

@Resolver(() => ModelReferenceValue)
export class ModelResolver {
  @Query(() => ModelConnection, { description: 'Trained models (PROV-ML ModelReferenceValues).' })
  async models(
    @Ctx() ctx: RequestContext,
    @Arg('filter', () => ModelFilter, { nullable: true }) filter: ModelFilter | null,
    @Arg('first', () => Int, { defaultValue: 50 }) first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null,
  ) {
    const runId = filter?.run ? ((await findRunRow(ctx.store, filter.run))?.id ?? filter.run) : undefined;
    const conditions = checkedModelConditions(filter);
    const page = await ctx.store.models({ workflowName: filter?.workflow, runId, ...conditions }, pageArgs(ctx, first, after));
    return { nodes: page.items.map(valueView), pageInfo: page };
  }

  @Query(() => ModelReferenceValue, {
    nullable: true,
    description:
      'The latest model generated at this URI; also by the ids results carry: the model value `value:<n>` itself, or the latest model at data reference `ref:<n>`.',
  })
  async model(
    @Ctx() ctx: RequestContext,
    @Arg('uri') uri: string,
    @Arg('store', () => String, { nullable: true }) store: string | null,
  ) {
    const inStore = (v: { store: string }) => !store || v.store === store;
    let models = (await ctx.loaders.modelsByUri.load(uri)).filter(inStore);
    if (!models.length) {
      const value = await findValue(ctx.store, uri);
      if (value) return value.role === 'MODEL_REFERENCE' ? valueView(value) : null;
      const [ref] = await findDataRefs(ctx.store, uri);
      if (ref) models = (await ctx.loaders.modelsByUri.load(ref.uri)).filter((v) => v.store === ref.store && inStore(v));
    }
    const last = models[models.length - 1];
    return last ? valueView(last) : null;
  }

  @Query(() => ModelReferenceValue, {
    nullable: true,
    description:
      "The model trained on `dataset` with the least (MIN) or greatest (MAX) value of evaluation measure `measure` (the paper's Q3).",
  })
  async bestModel(
    @Ctx() ctx: RequestContext,
    @Arg('dataset') dataset: string,
    @Arg('measure') measure: string,
    @Arg('store', () => String, { nullable: true }) store: string | null,
    @Arg('order', () => String, { defaultValue: 'MIN', description: 'MIN or MAX.' }) order: string,
  ) {
    const refs = (await findDataRefs(ctx.store, dataset)).filter((r) => !store || r.store === store);
    if (!refs.length) return null;
    const best = await ctx.store.bestModel(
      refs.map((r) => r.id),
      measure,
      order === 'MAX' ? 'MAX' : 'MIN',
    );
    return best && valueView(best);
  }

  @FieldResolver(() => DataReference, { nullable: true, description: 'Where the model is stored.' })
  async reference(@Root() m: ModelReferenceValue, @Ctx() ctx: RequestContext) {
    if (!m.row.dataRefId) return null;
    const d = await ctx.loaders.dataRef.load(m.row.dataRefId);
    return d && dataRefView(d);
  }

  @FieldResolver(() => TaskExecution, { nullable: true, description: 'The LearningStageExecution that generated it.' })
  trainingExecution(@Root() m: ModelReferenceValue, @Ctx() ctx: RequestContext) {
    return m.row.taskId ? loadTask(ctx, m.row.taskId) : null;
  }

  @FieldResolver(() => [AttributeValue], {
    description: 'LearningHyperParameterSettings in scope of the model, and the ModelHyperParameterValues generated with it.',
  })
  async hyperparameters(@Root() m: ModelReferenceValue, @Ctx() ctx: RequestContext) {
    const learning = await valuesInScope(ctx, m.row, HYPERPARAMETER_ROLES);
    const siblings = m.row.taskId
      ? await ctx.loaders.valuesByTask.load(m.row.taskId)
      : await ctx.loaders.runValues.load(m.row.runId);
    const model = siblings.filter((v) => v.direction === 'GENERATED' && v.role === 'MODEL_HYPERPARAMETER');
    return [...learning, ...model].map(valueView);
  }

  @FieldResolver(() => [AttributeValue], { description: 'ModelEvaluations generated with the model.' })
  async evaluations(@Root() m: ModelReferenceValue, @Ctx() ctx: RequestContext) {
    const siblings = m.row.taskId
      ? await ctx.loaders.valuesByTask.load(m.row.taskId)
      : await ctx.loaders.runValues.load(m.row.runId);
    return siblings.filter((v) => v.direction === 'GENERATED' && v.role === 'EVALUATION_MEASURE').map(valueView);
  }

  @FieldResolver(() => [AttributeValue], { description: 'LearningDatasetReferenceValues the training used.' })
  async datasets(@Root() m: ModelReferenceValue, @Ctx() ctx: RequestContext) {
    return (await valuesInScope(ctx, m.row, DATASET_ROLES)).map(valueView);
  }
}
