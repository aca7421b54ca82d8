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

@ObjectType({ description: 'Outcome of one ingest batch: expected failures are data, not errors.' })
export class IngestResult {
  @Field(() => Int, { description: 'Events written by this batch.' })
  accepted!: number;
  @Field(() => Int, { description: 'Events already stored (same id): nothing changed.' })
  duplicates!: number;
  @Field(() => Int)
  rejected!: number;
  @Field(() => [String])
  duplicateIds!: string[];
  @Field(() => [IngestIssue])
  issues!: IngestIssue[];
}
