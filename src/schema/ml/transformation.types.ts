import { Field, InterfaceType, ObjectType } from 'type-graphql';
import type { TransformationRow } from '../../connectors/provenance/rows';
import { Node } from '../prov/node.interface';

@InterfaceType({ implements: Node, description: 'ProvLake DataTransformation: a declared step of a workflow (prospective).' })
export abstract class Transformation extends Node {
  @Field()
  name!: string;

  @Field({ description: 'DATA_TRANSFORMATION, LEARNING_STAGE or FEATURE_EXTRACTION.' })
  kind!: string;

  @Field(() => String, {
    nullable: true,
    description:
      "Name of the enclosing transformation (training -> epoch -> batch), where the spec declares one. Queries follow each task's `parent`, not this.",
  })
  parentName!: string | null;

  row!: TransformationRow;
}

@ObjectType({
  implements: [Transformation, Node],
  description: 'ProvLake DataTransformation (a data curation or preparation step).',
})
export class DataTransformation extends Transformation {}

@ObjectType({ implements: [Transformation, Node], description: 'PROV-ML LearningStage: training, validation or test.' })
export class LearningStage extends Transformation {
  @Field(() => String, { nullable: true, description: 'PROV-ML LearningStageType: TRAINING, VALIDATION or TEST.' })
  stageType!: string | null;
}

@ObjectType({ implements: [Transformation, Node], description: 'PROV-ML FeatureExtraction: the feature retrieval process.' })
export class FeatureExtraction extends Transformation {}
