import { provml } from './namespaces';

/**
 * The PROV statements an export is made of, in full IRIs. Every writer (PROV-JSON, Turtle,
 * JSON-LD, DOT, SVG) consumes one stream of these, so the formats cannot disagree.
 */
export type AttrValue =
  | { kind: 'string'; value: string }
  | { kind: 'int'; value: number }
  | { kind: 'double'; value: number }
  | { kind: 'boolean'; value: boolean }
  | { kind: 'dateTime'; value: string }
  /** A reference to another node or to a class (PROV-JSON prov:QUALIFIED_NAME, an IRI in RDF). */
  | { kind: 'iri'; value: string }
  /** Any other JSON value, kept as JSON text (provml:json). */
  | { kind: 'json'; value: unknown }
  /** A literal of a datatype provml does not interpret (a kept statement's), lexical form as written. */
  | { kind: 'typed'; value: string; datatype: string }
  /** A string with a language tag (PROV-JSON `{"$": ..., "lang": ...}`). */
  | { kind: 'langString'; value: string; lang: string };

export type NodeType = 'entity' | 'activity' | 'agent';
export type RelationType = 'used' | 'wasGeneratedBy' | 'wasDerivedFrom' | 'wasInformedBy' | 'wasAssociatedWith' | 'hadMember';

export interface NodeRecord {
  record: 'node';
  type: NodeType;
  id: string;
  /** prov:type values (class IRIs). */
  classes: string[];
  label?: string;
  startTime?: string;
  endTime?: string;
  attrs: Array<[string, AttrValue]>;
}

/** A PROV relation, oriented as PROV writes it: used(activity, entity), wasGeneratedBy(entity, activity), ... */
export interface RelationRecord {
  record: 'relation';
  type: RelationType;
  subject: string;
  object: string;
  time?: string;
  attrs: Array<[string, AttrValue]>;
}

/** Extra `rdf:type` of a node met again (a data reference that plays another role). */
export interface ClassRecord {
  record: 'class';
  id: string;
  classes: string[];
}

/**
 * A statement an import kept as written because provml has no equivalent (wasAttributedTo,
 * actedOnBehalfOf, specializationOf, a bundle, a usage with a role, ...), given back by the
 * export as a statement of its PROV kind. Its formal ends are mapped onto the exported nodes
 * where the import made one of the node it names (kept-statements.ts).
 */
export interface KeptRecord {
  record: 'kept';
  /** The PROV-JSON section it was written in: wasAttributedTo, ..., or `bundle`. */
  section: string;
  /** Its identifier in the source document, as an IRI (a blank `_:` id as written). */
  id: string;
  /** Formal ends in PROV-JSON order ([prov:entity, IRI], [prov:agent, IRI], ...): full IRIs. */
  ends: Array<[string, string]>;
  time?: string;
  attrs: Array<[string, AttrValue]>;
  /** A bundle: its PROV-JSON document as written, made self-contained (its prefixes declared). */
  bundle?: Record<string, unknown>;
  /** The source document's prefixes, for writers that can reuse its names (`ex:model`). */
  prefixes: Record<string, string>;
}

export type ProvRecord = NodeRecord | RelationRecord | ClassRecord | KeptRecord;

export const str = (value: string): AttrValue => ({ kind: 'string', value });
export const iri = (value: string): AttrValue => ({ kind: 'iri', value });
export const json = (value: unknown): AttrValue => ({ kind: 'json', value });
export const num = (value: number): AttrValue =>
  Number.isInteger(value) && Math.abs(value) < 2 ** 31 ? { kind: 'int', value } : { kind: 'double', value };

/** A JSON value as an attribute: scalars typed, anything else as JSON text. */
export function literal(v: unknown): AttrValue {
  if (typeof v === 'string') return str(v);
  if (typeof v === 'boolean') return { kind: 'boolean', value: v };
  if (typeof v === 'number' && Number.isFinite(v)) return Number.isInteger(v) ? num(v) : { kind: 'double', value: v };
  return json(v);
}

/** PROV-ML class of an attribute value, by the role its prospective spec gives it (Table II). */
export const VALUE_CLASS_BY_ROLE: Readonly<Record<string, string>> = {
  LEARNING_HYPERPARAMETER: provml('LearningHyperParameterSetting'),
  MODEL_HYPERPARAMETER: provml('ModelHyperParameterValue'),
  EVALUATION_MEASURE: provml('ModelEvaluation'),
  MODEL_REFERENCE: provml('ModelReferenceValue'),
  LEARNING_DATASET_REFERENCE: provml('LearningDatasetReferenceValue'),
  DATASET_CHARACTERISTIC: provml('DatasetCharacteristicValue'),
  FEATURE_SET: provml('FeatureSetData'),
  FEATURE_SET_CHARACTERISTIC: provml('FeatureSetCharacteristicValue'),
  LEARNING_TASK: provml('LearningTaskValue'),
  ALGORITHM: provml('Implementation'),
  IMPLEMENTATION_CHARACTERISTIC: provml('ImplementationCharacteristicValue'),
  MODEL_SCHEMA: provml('ModelSchema'),
  EVALUATION_SPECIFICATION: provml('EvaluationSpecification'),
  EVALUATION_PROCEDURE: provml('EvaluationProcedure'),
  DATA_REFERENCE: provml('DataReferenceValue'),
  PARAMETER: provml('AttributeValue'),
};

export const roleOfValueClass = (cls: string): string | undefined =>
  Object.entries(VALUE_CLASS_BY_ROLE).find(([, c]) => c === cls)?.[0];
