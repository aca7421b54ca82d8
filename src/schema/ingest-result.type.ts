import { Field, Int, ObjectType } from 'type-graphql';

@ObjectType({ description: 'Why one event of a batch was rejected.' })
export class IngestIssue {
  @Field(() => Int, { description: 'Index of the event in the batch.' })
  index!: number;
  @Field(() => String, { nullable: true })
  eventId!: string | null;
  @Field({ description: 'Path of the field at fault, e.g. events[3].gpu[0].power.' })
  field!: string;
  @Field()
  code!: string;
  @Field()
  message!: string;
}

@ObjectType({ description: 'What a parked event waits for: a run (workflow execution) or a task not stored yet.' })
export class ParkedWait {
  @Field({ description: 'run, task, or execution: a run or a task of that id (the subject of a wasAssociatedWith).' })
  kind!: string;
  @Field()
  id!: string;
}

@ObjectType({
  description:
    'An event accepted and parked: its run or task is not stored yet (another process sends its begin); it is written once that lands. Not an error: do not resend it.',
})
export class IngestParked {
  @Field(() => Int, { description: 'Index of the event in the batch.' })
  index!: number;
  @Field()
  eventId!: string;
  @Field(() => ParkedWait)
  waitsFor!: ParkedWait;
}

@ObjectType({ description: 'Outcome of one ingest batch: expected failures are data, not errors.' })
export class IngestResult {
  @Field(() => Int, { description: 'Events written by this batch.' })
  accepted!: number;
  @Field(() => Int, { description: 'Events already stored (same id): nothing changed.' })
  duplicates!: number;
  @Field(() => Int)
  rejected!: number;
  @Field(() => Int, {
    description: 'Events parked: stored, and written once the run or task they name lands (docs/ingest.md, "Parked events").',
  })
  parked!: number;
  @Field(() => [String])
  duplicateIds!: string[];
  @Field(() => [IngestIssue])
  issues!: IngestIssue[];
  @Field(() => [IngestParked])
  parkedEvents!: IngestParked[];
}
