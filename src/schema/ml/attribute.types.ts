import { Field, InterfaceType, ObjectType } from 'type-graphql';
import type { AttributeRow } from '../../connectors/provenance/rows';
import { Node } from '../prov/node.interface';

/** A declared attribute of a transformation (prospective); its PROV-ML class is its role. */
@InterfaceType({ implements: Node, description: 'ProvLake Attribute: a declared input or output of a transformation.' })
export abstract class Attribute extends Node {
  @Field()
  name!: string;

  @Field({ description: 'PROV-ML role, e.g. LEARNING_HYPERPARAMETER.' })
  role!: string;

  @Field({ description: 'USED (input) or GENERATED (output).' })
  direction!: string;

  @Field({ description: 'False for a name the spec did not declare (kept as a plain domain parameter).' })
  declared!: boolean;

  row!: AttributeRow;
}

type AttributeClass = new () => Attribute;

function attributeType(name: string, description: string): AttributeClass {
  @ObjectType(name, { implements: [Attribute, Node], description })
  class T extends Attribute {}
  return T;
}

/** One GraphQL type per PROV-ML attribute class of Table II, keyed by role. */
export const ATTRIBUTE_TYPES: Record<string, AttributeClass> = {
  LEARNING_HYPERPARAMETER: attributeType(
    'LearningHyperParameter',
    'PROV-ML LearningHyperParameter: a prior parameter of an Algorithm used by a LearningStage.',
  ),
  MODEL_HYPERPARAMETER: attributeType(
    'ModelHyperParameter',
    'PROV-ML ModelHyperParameter: a hyperparameter a LearningStage generates with the resulting model (e.g. its epoch).',
  ),
  EVALUATION_MEASURE: attributeType(
    'EvaluationMeasure',
    'PROV-ML EvaluationMeasure (mls:EvaluationMeasure): a measure a LearningStage evaluates.',
  ),
  MODEL_REFERENCE: attributeType(
    'ModelReference',
    'PROV-ML ModelReference: the resulting model a LearningStage should generate.',
  ),
  LEARNING_DATASET_REFERENCE: attributeType(
    'LearningDatasetReference',
    'PROV-ML LearningDatasetReference: the dataset a LearningStage uses.',
  ),
  DATASET_CHARACTERISTIC: attributeType(
    'DatasetCharacteristic',
    'PROV-ML DatasetCharacteristic (mls:DatasetCharacteristic): metadata of a dataset, e.g. #instances.',
  ),
  FEATURE_SET: attributeType('FeatureSet', 'PROV-ML FeatureSet: the features a FeatureExtraction generates.'),
  FEATURE_SET_CHARACTERISTIC: attributeType(
    'FeatureSetCharacteristic',
    'PROV-ML FeatureSetCharacteristic: metadata of a FeatureSet.',
  ),
  LEARNING_TASK: attributeType(
    'LearningTask',
    'PROV-ML LearningTask (mls:Task): the goal of a learning process, e.g. classification.',
  ),
  ALGORITHM: attributeType('Algorithm', 'PROV-ML Algorithm (mls:Algorithm): an ML technique with no associated technology.'),
  IMPLEMENTATION_CHARACTERISTIC: attributeType(
    'ImplementationCharacteristic',
    'PROV-ML ImplementationCharacteristic (mls:ImplementationCharacteristic): e.g. version, git hash.',
  ),
  MODEL_SCHEMA: attributeType('ModelSchema', 'PROV-ML ModelSchema: the scope of the resulting model.'),
  EVALUATION_SPECIFICATION: attributeType('EvaluationSpecification', 'mls:EvaluationSpecification, inherited by PROV-ML.'),
  EVALUATION_PROCEDURE: attributeType('EvaluationProcedure', 'mls:EvaluationProcedure, inherited by PROV-ML.'),
  DATA_REFERENCE: attributeType(
    'DataReferenceAttribute',
    'A plain domain data reference (e.g. a raw SEG-Y file of a curation workflow).',
  ),
  PARAMETER: attributeType('DomainParameter', 'A plain domain parameter (e.g. tile size, noise threshold).'),
};
