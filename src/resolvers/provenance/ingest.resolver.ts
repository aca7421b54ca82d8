import { Arg, Ctx, Mutation, Resolver } from 'type-graphql';
import type { RequestContext } from '../../context';
import { ingestBatch } from '../../ingest/ingest-batch';
import { ingestWithinStudies } from '../../auth/ingest-study-check';
import { parseWorkflowSpec, specHash } from '../../ingest/workflow-spec';
import { IngestResult } from '../../schema/ingest-result.type';
import { Experiment } from '../../schema/ml/experiment.type';
import { WorkflowSpecInput } from '../../schema/inputs/workflow-spec.input';
import { JSONScalar } from '../../schema/scalars';
import { experimentView } from '../../schema/views';

@Resolver()
export class IngestResolver {
  @Mutation(() => Experiment, {
    description: 'Registers a prospective workflow spec; the same spec again returns its version, a changed one the next.',
  })
  async registerWorkflow(@Ctx() ctx: RequestContext, @Arg('spec', () => WorkflowSpecInput) spec: WorkflowSpecInput) {
    // Through JSON, so GraphQL input objects and spec files meet the same validation.
    const parsed = parseWorkflowSpec(JSON.parse(JSON.stringify(spec)));
    const { workflow } = await ctx.store.registerWorkflow(parsed, specHash(parsed));
    return experimentView(workflow);
  }

  @Mutation(() => IngestResult, {
    description:
      'Writes a batch of provenance events (docs/ingest.md) in one transaction; resent events are duplicates, invalid ones are rejected alone.',
  })
  ingest(@Ctx() ctx: RequestContext, @Arg('events', () => [JSONScalar]) events: unknown[]) {
    // A study-limited token writes only events of its studies; the others are rejected one by one.
    return ingestWithinStudies(
      events,
      ctx.store,
      (allowed) =>
        ingestBatch(allowed, {
          store: ctx.store,
          catalog: ctx.catalog,
          maxBatchEvents: ctx.config.maxBatchEvents,
          observer: ctx.metrics,
          onCommitted: ctx.live?.published,
          parking: ctx.parking,
          stringsChecked: ctx.bodyWithoutEscapes,
        }),
      { log: ctx.log.child({ source: 'audit' }), token: ctx.principal.name },
    );
  }
}
