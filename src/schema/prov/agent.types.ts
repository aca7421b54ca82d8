import { Field, InterfaceType, ObjectType } from 'type-graphql';
import { JSONScalar } from '../scalars';
import { Node } from './node.interface';

/** prov:Agent — who or what bears responsibility for an activity. */
@InterfaceType({ implements: Node, description: 'W3C PROV prov:Agent.' })
export abstract class Agent extends Node {
  @Field(() => String, { nullable: true })
  name!: string | null;

  @Field(() => JSONScalar, { description: 'Free attributes of the agent.' })
  attributes!: Record<string, unknown>;
}

@ObjectType({ implements: [Agent, Node], description: 'prov:Person.' })
export class Person extends Agent {}

@ObjectType({
  implements: [Agent, Node],
  description: 'prov:SoftwareAgent; PROV-ML Software (a collection of ML implementations, e.g. Scikit-Learn).',
})
export class SoftwareAgent extends Agent {}

@ObjectType({ implements: [Agent, Node], description: 'prov:Organization.' })
export class Organization extends Agent {}
