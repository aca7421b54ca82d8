import { Field, ObjectType } from 'type-graphql';
import type { StudyRow } from '../../connectors/provenance/rows';
import { Node } from '../prov/node.interface';

@ObjectType({
  implements: Node,
  description: 'PROV-ML Study: the investigation (e.g. a research hypothesis) leading ML workflow definitions.',
})
export class Study extends Node {
  @Field()
  name!: string;

  @Field(() => String, { nullable: true })
  description!: string | null;

  @Field()
  createdAt!: Date;

  row!: StudyRow;
}
