import { Field, InputType } from 'type-graphql';

@InputType({ description: 'An attribute of a transformation and its PROV-ML role (see docs/ingest.md for the roles).' })
export class AttributeSpecInput {
  @Field()
  name!: string;
  @Field({ nullable: true, description: 'Default PARAMETER.' })
  role?: string;
}

@InputType()
export class StudySpecInput {
  @Field()
  id!: string;
  @Field()
  name!: string;
  @Field({ nullable: true })
  description?: string;
}

@InputType({ description: 'A declared transformation: DATA_TRANSFORMATION, LEARNING_STAGE or FEATURE_EXTRACTION.' })
export class TransformationSpecInput {
  @Field()
  name!: string;
  @Field({ nullable: true })
  kind?: string;
  @Field({ nullable: true, description: 'TRAINING, VALIDATION or TEST (learning stages).' })
  stageType?: string;
  @Field({
    nullable: true,
    description:
      "Optional: the enclosing transformation (training -> epoch -> batch), as documentation. Queries follow each task's `parent` at ingest, not this.",
  })
  parent?: string;
  @Field({ nullable: true })
  description?: string;
  @Field(() => [AttributeSpecInput], { nullable: true })
  used?: AttributeSpecInput[];
  @Field(() => [AttributeSpecInput], { nullable: true })
  generated?: AttributeSpecInput[];
}

@InputType({ description: 'A prospective workflow spec, as in a provml spec file (docs/ingest.md).' })
export class WorkflowSpecInput {
  @Field()
  name!: string;
  @Field({ nullable: true, description: 'LEARNING or DATA (default).' })
  kind?: string;
  @Field({ nullable: true })
  description?: string;
  @Field(() => StudySpecInput, { nullable: true })
  study?: StudySpecInput;
  @Field(() => [AttributeSpecInput], { nullable: true, description: 'Run-level attributes (log_param).' })
  attributes?: AttributeSpecInput[];
  @Field(() => [TransformationSpecInput], { nullable: true })
  transformations?: TransformationSpecInput[];
}
