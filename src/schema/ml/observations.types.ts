import { Field, Float, Int, ObjectType } from 'type-graphql';
import { Int64Scalar } from '../scalars';

@ObjectType({ simpleResolvers: true, description: 'One point of a metric series (yProv4ML log_metric): loss at step 188, ...' })
export class MetricPoint {
  @Field()
  name!: string;

  @Field(() => Float)
  value!: number;

  @Field(() => Int64Scalar, { nullable: true })
  step!: string | null;

  @Field(() => String, { nullable: true, description: 'TRAINING, VALIDATION, TEST or any context.' })
  context!: string | null;

  @Field(() => String, { nullable: true, description: 'Global id of the task it was logged in.' })
  taskId!: string | null;

  @Field()
  recordedAt!: Date;
}

@ObjectType({ simpleResolvers: true, description: 'One sample of execution data: a GPU (NVML) and the host process.' })
export class TelemetrySample {
  @Field()
  recordedAt!: Date;
  @Field(() => String, { nullable: true })
  host!: string | null;
  @Field(() => String, { nullable: true, description: 'Global id of the task it was sampled in.' })
  taskId!: string | null;
  @Field(() => Int, { nullable: true })
  gpuIndex!: number | null;
  @Field(() => String, { nullable: true })
  gpuName!: string | null;
  @Field(() => Float, { nullable: true, description: 'Percent.' })
  gpuUtilization!: number | null;
  @Field(() => Int64Scalar, { nullable: true, description: 'Bytes.' })
  gpuMemoryUsed!: string | null;
  @Field(() => Int64Scalar, { nullable: true, description: 'Bytes.' })
  gpuMemoryTotal!: string | null;
  @Field(() => Float, { nullable: true, description: 'Watts.' })
  gpuPower!: number | null;
  @Field(() => Float, { nullable: true, description: 'Degrees Celsius.' })
  gpuTemperature!: number | null;
  @Field(() => Float, { nullable: true, description: 'Joules since the job started.' })
  gpuEnergy!: number | null;
  @Field(() => Float, { nullable: true, description: 'Percent of one core.' })
  cpuPercent!: number | null;
  @Field(() => Int64Scalar, { nullable: true, description: 'Resident set size, bytes.' })
  rssBytes!: string | null;
}

@ObjectType({
  simpleResolvers: true,
  description: "Durations of the tasks of one transformation under one parent (the paper's Q4).",
})
export class DurationStats {
  @Field(() => String, { nullable: true, description: 'Global id of the parent task (e.g. the epoch).' })
  parentId!: string | null;
  @Field(() => Int)
  count!: number;
  @Field(() => Float, { nullable: true })
  minMs!: number | null;
  @Field(() => Float, { nullable: true })
  avgMs!: number | null;
  @Field(() => Float, { nullable: true })
  maxMs!: number | null;
}

@ObjectType({ simpleResolvers: true, description: 'Execution data of one GPU over a run or task: what the samples add up to.' })
export class GpuSummary {
  @Field(() => String, { nullable: true })
  host!: string | null;
  @Field(() => Int)
  gpuIndex!: number;
  @Field(() => String, { nullable: true })
  gpuName!: string | null;
  @Field(() => Int)
  samples!: number;
  @Field(() => Float, { nullable: true, description: 'Percent.' })
  avgUtilization!: number | null;
  @Field(() => Float, { nullable: true, description: 'Percent.' })
  maxUtilization!: number | null;
  @Field(() => Int64Scalar, { nullable: true, description: 'Bytes.' })
  maxMemoryUsed!: string | null;
  @Field(() => Float, { nullable: true, description: 'Watts.' })
  avgPower!: number | null;
  @Field(() => Float, { nullable: true, description: 'Degrees Celsius.' })
  maxTemperature!: number | null;
  @Field(() => Float, { nullable: true, description: 'Joules: the energy counter at the last sample minus the first.' })
  energy!: number | null;
}
