import { Field, Int, ObjectType } from 'type-graphql';
import type { WorkflowRow } from '../../connectors/provenance/rows';
import { Node } from '../prov/node.interface';
import { JSONScalar } from '../scalars';

@ObjectType({
  implements: Node,
  description:
    'PROV-ML Experiment (mls:Experiment): one version of a registered workflow, the analysis that drives its executions. Prospective provenance.',
})
export class Experiment extends Node {
  @Field({ description: 'Workflow name.' })
  name!: string;

  @Field(() => Int, { description: 'Spec version; a changed spec registers as the next version.' })
  version!: number;

  @Field({ description: 'LEARNING (a learning process) or DATA (curation, preparation).' })
  kind!: string;

  @Field(() => String, { nullable: true })
  description!: string | null;

  @Field(() => JSONScalar, { description: 'The prospective spec as registered.' })
  spec!: unknown;

  @Field()
  createdAt!: Date;

  row!: WorkflowRow;
}
