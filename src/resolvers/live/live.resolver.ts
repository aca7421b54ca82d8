import { Arg, ID, Resolver, Root, Subscription, type SubscribeResolverData } from 'type-graphql';
import type { RequestContext } from '../../context';
import { LimitExceededError } from '../../errors';
import { runStream, studyStream } from '../../ingest/live-changes';
import { joinAfter, parseCursor } from '../../live/live-cursor';
import { metricMessages, runChangeMessages, runEventMessages } from '../../live/live-messages';
import { openFeed } from '../../live/open-feed';
import { MetricBatch, RunChange, RunEvent } from '../../schema/live/live.types';

const MAX_NAMES = 100;

interface RunArgs {
  run: string;
  after?: string | null;
}
type Data<A> = SubscribeResolverData<unknown, A, RequestContext>;

const AFTER = 'The last cursor seen: what was committed after it is sent first, from the store, then live.';

/** Live subscriptions over graphql-ws (docs/live.md): each one is a feed of the live hub. */
@Resolver()
export class LiveResolver {
  @Subscription(() => RunEvent, {
    description: 'Task executions of a run beginning and ending, and the run itself starting and ending, as they commit.',
    subscribe: ({ args, context }: Data<RunArgs>) => {
      const after = parseCursor(args.after);
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
    subscribe: ({ args, context }: Data<RunArgs & { names?: string[] | null }>) => {
      if (args.names && args.names.length > MAX_NAMES) throw new LimitExceededError('metric names', MAX_NAMES, args.names.length);
      const after = parseCursor(args.after);
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
    @Root() batch: MetricBatch,
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
