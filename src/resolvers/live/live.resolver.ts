import { Arg, ID, Resolver, Root, Subscription, type SubscribeResolverData } from 'type-graphql';
import type { RequestContext } from '../../context';
import { ForbiddenError, LimitExceededError } from '../../errors';
import { runStream, studyStream } from '../../ingest/live-changes';
import { joinAfter, parseCursor } from '../../live/live-cursor';
import { metricMessages, runChangeMessages, runEventMessages, type MetricBatchMessage } from '../../live/live-messages';
import { openFeed } from '../../live/open-feed';
import { MetricBatch, RunChange, RunEvent } from '../../schema/live/live.types';

const MAX_NAMES = 100;

interface RunArgs {
  run: string;
  after?: string | null;
}
type Data<A> = SubscribeResolverData<unknown, A, RequestContext>;

const AFTER = 'The last cursor seen: what was committed after it is sent first, from the store, then live.';

/**
 * A study-limited token subscribes only to what it may read: a run of its studies that has begun
 * (its study is known only then), or one of its studies. Checked per subscriber, with the
 * request's own (study-scoped) store; tokens of every study may subscribe before a run begins.
 */
async function mayFollowRun(context: RequestContext, run: string): Promise<void> {
  const studies = context.principal.studies;
  if (!studies) return;
  const [row] = await context.store.runsByIds([run]);
  if (!row)
    throw new ForbiddenError(
      `this token may follow runs of studies ${studies.join(', ')} only; run ${run} is not one of them (or has not begun)`,
      { field: 'run' },
    );
}

function mayFollowStudy(context: RequestContext, study: string): void {
  const studies = context.principal.studies;
  if (studies && !studies.includes(study))
    throw new ForbiddenError(`this token may follow studies ${studies.join(', ')} only`, { study, field: 'study' });
}

/** Live subscriptions over graphql-ws (docs/live.md): each one is a feed of the live hub. */
@Resolver()
export class LiveResolver {
  @Subscription(() => RunEvent, {
    description: 'Task executions of a run beginning and ending, and the run itself starting and ending, as they commit.',
    subscribe: async ({ args, context }: Data<RunArgs>) => {
      const after = parseCursor(args.after);
      await mayFollowRun(context, args.run);
      return openFeed(
        context,
        runStream(args.run),
        joinAfter(after),
        runEventMessages(args.run, after),
        `events:${args.after ?? ''}`,
      );
    },
  })
  runEvents(
    @Root() event: RunEvent,
    @Arg('run', () => ID) _run: string,
    @Arg('after', () => String, { nullable: true, description: AFTER }) _after?: string,
  ): RunEvent {
    return event;
  }

  @Subscription(() => MetricBatch, {
    description:
      'Metric points of a run as they commit, one message per 100 ms window of the clock (PROVML_LIVE_BATCH_MS), in ingest order.',
    subscribe: async ({ args, context }: Data<RunArgs & { names?: string[] | null }>) => {
      if (args.names && args.names.length > MAX_NAMES) throw new LimitExceededError('metric names', MAX_NAMES, args.names.length);
      const after = parseCursor(args.after);
      await mayFollowRun(context, args.run);
      const names = args.names?.length ? new Set(args.names) : null;
      const variant = `metrics:${names ? JSON.stringify([...names].sort()) : '*'}`;
      return openFeed(
        context,
        runStream(args.run),
        joinAfter(after),
        metricMessages(args.run, names),
        variant,
        context.config.liveBatchMs,
      );
    },
  })
  metrics(
    // An interface, not the class: type-graphql copies a root that is not an instance of the
    // declared class into a new one, which would drop LiveMetricBatch's lazy getters.
    @Root() batch: MetricBatchMessage,
    @Arg('run', () => ID) _run: string,
    @Arg('names', () => [String], { nullable: true, description: 'Only these metrics (default: all).' }) _names?: string[],
    @Arg('after', () => String, { nullable: true, description: AFTER }) _after?: string,
  ): MetricBatch {
    return batch;
  }

  @Subscription(() => RunChange, {
    description: 'Workflow executions of a study starting and ending, as they commit.',
    subscribe: ({ args, context }: Data<{ study: string; after?: string | null }>) => {
      const after = parseCursor(args.after);
      mayFollowStudy(context, args.study);
      return openFeed(context, studyStream(args.study), joinAfter(after), runChangeMessages(after), `runs:${args.after ?? ''}`);
    },
  })
  runs(
    @Root() change: RunChange,
    @Arg('study', () => ID) _study: string,
    @Arg('after', () => String, { nullable: true, description: AFTER }) _after?: string,
  ): RunChange {
    return change;
  }
}
