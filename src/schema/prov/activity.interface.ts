import { Field, InterfaceType } from 'type-graphql';
import { Node } from './node.interface';

/** prov:Activity — something that happened over time: a workflow or task execution. */
@InterfaceType({ implements: Node, description: 'W3C PROV prov:Activity.' })
export abstract class Activity extends Node {
  @Field({ nullable: true, description: 'prov:startedAtTime.' })
  startedAt?: Date;

  @Field({ nullable: true, description: 'prov:endedAtTime.' })
  endedAt?: Date;

  @Field({ description: 'RUNNING, FINISHED, FAILED or KILLED.' })
  status!: string;
}
