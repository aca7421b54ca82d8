import { Field, Int, ObjectType } from 'type-graphql';
import { ParkedWait } from './ingest-result.type';
import { JSONScalar } from './scalars';

@ObjectType({ description: 'Why a parked event did not land once what it waited for did.' })
export class ParkedIssue {
  @Field()
  code!: string;
  @Field()
  field!: string;
  @Field()
  message!: string;
}

@ObjectType({ description: 'One parked event (docs/ingest.md, "Parked events").' })
export class ParkedEvent {
  @Field()
  eventId!: string;
  @Field(() => JSONScalar, { description: 'The event as sent, with its arrival as `time` when it had none.' })
  event!: unknown;
  @Field(() => ParkedWait)
  waitsFor!: ParkedWait;
  @Field()
  parkedAt!: Date;
  @Field({ description: 'PARKED: waiting. REJECTED: what it waited for landed and it still did not fit (kept, see issue).' })
  status!: string;
  @Field(() => ParkedIssue, { nullable: true })
  issue!: ParkedIssue | null;
}

@ObjectType({ description: 'Events parked until their run or task lands, with the limits past which they are reported.' })
export class ParkedEvents {
  @Field(() => Int, { description: 'Events waiting, on every replica (one table).' })
  parked!: number;
  @Field(() => Int, { description: 'Events kept as REJECTED.' })
  rejected!: number;
  @Field(() => Int, { nullable: true, description: 'Age of the oldest waiting event (seconds); null when none waits.' })
  oldestAgeSeconds!: number | null;
  @Field(() => Int, {
    description: 'PROVML_PARKED_MAX_EVENTS: waiting events past it are reported (/readyz, /metrics, the log), never dropped.',
  })
  maxEvents!: number;
  @Field(() => Int, { description: 'PROVML_PARKED_MAX_AGE_S: the same, for the oldest waiting event.' })
  maxAgeSeconds!: number;
  @Field(() => [String], { description: 'The limits passed now: count, age.' })
  overLimit!: string[];
  @Field(() => [ParkedEvent], { description: 'The oldest parked events first, at most `first`.' })
  events!: ParkedEvent[];
}

@ObjectType({ description: 'What `deleteParkedEvents` matched, and deleted unless it was a dry run.' })
export class ParkedDeletion {
  @Field({ description: 'True: nothing was deleted, `matched` says what would be.' })
  dryRun!: boolean;
  @Field(() => Int, { description: 'Parked events (waiting or rejected) the filter matched.' })
  matched!: number;
  @Field(() => Int, { description: 'Parked events deleted (0 in a dry run).' })
  deleted!: number;
  @Field(() => [ParkedEvent], { description: 'The matched events, oldest first, at most `first`.' })
  events!: ParkedEvent[];
}
