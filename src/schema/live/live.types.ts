import { Field, Float, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { MetricPoint } from '../ml/observations.types';

export enum RunEventKindEnum {
  RUN_STARTED = 'RUN_STARTED',
  RUN_ENDED = 'RUN_ENDED',
  TASK_BEGUN = 'TASK_BEGUN',
  TASK_ENDED = 'TASK_ENDED',
}
registerEnumType(RunEventKindEnum, {
  name: 'RunEventKind',
  description: 'What happened to a workflow execution or one of its task executions.',
});

export enum RunChangeKindEnum {
  STARTED = 'STARTED',
  ENDED = 'ENDED',
}
registerEnumType(RunChangeKindEnum, { name: 'RunChangeKind', description: 'A workflow execution started or ended.' });

const CURSOR =
  'Opaque position in the stream; pass the last one seen as `after` to resume, from the store, with nothing missed or repeated.';

@ObjectType({
  simpleResolvers: true,
  description: 'A lifecycle event of a workflow execution (prov:Activity) or of one of its task executions, as committed.',
})
export class RunEvent {
  @Field({ description: CURSOR })
  cursor!: string;

  @Field(() => RunEventKindEnum)
  kind!: RunEventKindEnum;

  @Field(() => ID, { description: 'The workflow execution (run) id.' })
  run!: string;

  @Field(() => ID, { nullable: true, description: 'The task execution, for TASK_BEGUN and TASK_ENDED.' })
  task!: string | null;

  @Field(() => String, { nullable: true, description: 'The transformation (PROV-ML LearningStage, ...) of a begun task.' })
  transformation!: string | null;

  @Field({ description: 'RUNNING, GENERATED, FINISHED, FAILED or KILLED.' })
  status!: string;

  @Field({ description: 'When it happened (the event time the job sent).' })
  at!: Date;
}

@ObjectType({
  simpleResolvers: true,
  description:
    'Points of one metric (name, context, task) in one batch, as parallel arrays: point i is (steps[i], values[i], startMs + offsetsMs[i]).',
})
export class MetricSeries {
  @Field()
  name!: string;

  @Field(() => String, { nullable: true, description: 'TRAINING, VALIDATION, TEST or any context.' })
  context!: string | null;

  @Field(() => String, { nullable: true, description: 'Id of the task the points were logged in.' })
  taskId!: string | null;

  @Field(() => [Float], { nullable: 'items', description: 'Step of each point (null where the job sent none).' })
  steps!: Array<number | null>;

  @Field(() => [Float])
  values!: number[];

  @Field(() => Float, { description: 'recordedAt of the first point, milliseconds since 1970-01-01 UTC.' })
  startMs!: number;

  @Field(() => [Float], { description: 'recordedAt of each point, in milliseconds after startMs (negative when earlier).' })
  offsetsMs!: number[];

  @Field(() => [Float], {
    nullable: 'items',
    description:
      'Compact `steps`: flat pairs (delta, count). From a running step of 0, each pair adds delta count times, one point each time; ' +
      '(null, count) is count points without a step; (delta, 0) moves the running step without a point. ' +
      'Steps 1, 2, ..., 3000 are [1, 3000]: a few numbers a batch instead of one a point.',
  })
  stepDeltaRuns!: Array<number | null>;

  @Field(() => [Float], {
    description:
      'Compact recordedAt of each point, epoch milliseconds, in the pairs (delta, count) of stepDeltaRuns (never null): ' +
      'the points of one commit that share a time are one pair.',
  })
  timeDeltaRunsMs!: number[];
}

@ObjectType({
  simpleResolvers: true,
  description: 'Metric points of a run committed in one batch window (100 ms of the clock by default), in ingest order.',
})
export class MetricBatch {
  @Field({ description: CURSOR })
  cursor!: string;

  @Field(() => ID)
  run!: string;

  @Field(() => [MetricPoint], {
    description: 'The points one by one, in ingest order. `series` carries the same points in about a seventh of the bytes.',
  })
  points!: MetricPoint[];

  @Field(() => [MetricSeries], {
    description:
      'The same points, columnar: one series per metric name, context and task, in order of first appearance, points in ingest order.',
  })
  series!: MetricSeries[];
}

@ObjectType({ simpleResolvers: true, description: 'A workflow execution of a study started or ended.' })
export class RunChange {
  @Field({ description: CURSOR })
  cursor!: string;

  @Field(() => RunChangeKindEnum)
  kind!: RunChangeKindEnum;

  @Field(() => ID)
  run!: string;

  @Field({ description: 'Name of the workflow (PROV-ML Experiment) it executes.' })
  workflow!: string;

  @Field(() => Int)
  version!: number;

  @Field()
  status!: string;

  @Field()
  at!: Date;
}
