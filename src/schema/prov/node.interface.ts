import { Field, ID, InterfaceType } from 'type-graphql';

/** Anything addressable by a global id (`run:<id>`, `task:<id>`, `ref:<n>`, ...). */
@InterfaceType({ description: 'An object with a global id, fetchable with Query.node.' })
export abstract class Node {
  @Field(() => ID, { description: 'Global id: `<kind>:<key>`, e.g. `run:train-42`, `ref:17`.' })
  id!: string;
}
