import type {
  AgentRow,
  AttributeRow,
  DataRefRow,
  RunRow,
  StudyRow,
  TaskRow,
  TransformationRow,
  ValueRow,
  WorkflowRow,
} from '../connectors/provenance/rows';
import { Attribute, ATTRIBUTE_TYPES } from './ml/attribute.types';
import { AttributeValue, VALUE_TYPES } from './ml/attribute-value.types';
import { DataReference } from './ml/data-reference.type';
import {
  DataTransformationExecution,
  DataWorkflowExecution,
  FeatureExtractionExecution,
  LearningProcessExecution,
  LearningStageExecution,
  TaskExecution,
  WorkflowExecution,
} from './ml/execution.types';
import { Experiment } from './ml/experiment.type';
import { Study } from './ml/study.type';
import { DataTransformation, FeatureExtraction, LearningStage, Transformation } from './ml/transformation.types';
import { Agent, Organization, Person, SoftwareAgent } from './prov/agent.types';

/**
 * Rows of the store become instances of the schema's classes here, so that type-graphql picks
 * the concrete GraphQL type of an interface by class (LearningStageExecution, ModelEvaluation, ...).
 */
export const globalId = (kind: string, key: string): string => `${kind}:${key}`;

export function parseGlobalId(id: string): { kind: string; key: string } | null {
  const i = id.indexOf(':');
  if (i <= 0) return null;
  return { kind: id.slice(0, i), key: id.slice(i + 1) };
}

export const studyView = (r: StudyRow): Study =>
  Object.assign(new Study(), {
    id: globalId('study', r.id),
    name: r.name,
    description: r.description,
    createdAt: r.createdAt,
    row: r,
  });

export const experimentView = (r: WorkflowRow): Experiment =>
  Object.assign(new Experiment(), {
    id: globalId('experiment', r.id),
    name: r.name,
    version: r.version,
    kind: r.kind,
    description: r.description,
    spec: r.spec,
    createdAt: r.createdAt,
    row: r,
  });

export function transformationView(r: TransformationRow): Transformation {
  const cls =
    r.kind === 'LEARNING_STAGE' ? LearningStage : r.kind === 'FEATURE_EXTRACTION' ? FeatureExtraction : DataTransformation;
  return Object.assign(new cls(), {
    id: globalId('transformation', r.id),
    name: r.name,
    kind: r.kind,
    parentName: r.parentName,
    stageType: r.stageType,
    row: r,
  });
}

export function attributeView(r: AttributeRow): Attribute {
  const cls = ATTRIBUTE_TYPES[r.role] ?? ATTRIBUTE_TYPES.PARAMETER;
  return Object.assign(new cls(), {
    id: globalId('attribute', r.id),
    name: r.name,
    role: r.role,
    direction: r.direction,
    declared: r.declared,
    row: r,
  });
}

export function runView(r: RunRow, workflowKind: string): WorkflowExecution {
  const cls = workflowKind === 'LEARNING' ? LearningProcessExecution : DataWorkflowExecution;
  return Object.assign(new cls(), {
    id: globalId('run', r.id),
    status: r.status,
    startedAt: r.startedAt ?? undefined,
    endedAt: r.endedAt ?? undefined,
    attributes: r.attributes,
    row: r,
  });
}

export function taskView(r: TaskRow, transformationKind: string): TaskExecution {
  const cls =
    transformationKind === 'LEARNING_STAGE'
      ? LearningStageExecution
      : transformationKind === 'FEATURE_EXTRACTION'
        ? FeatureExtractionExecution
        : DataTransformationExecution;
  return Object.assign(new cls(), {
    id: globalId('task', r.id),
    status: r.status,
    startedAt: r.startedAt ?? undefined,
    endedAt: r.endedAt ?? undefined,
    host: r.host,
    durationMs: r.startedAt && r.endedAt ? r.endedAt.getTime() - r.startedAt.getTime() : null,
    attributes: r.attributes,
    row: r,
  });
}

export function valueView(r: ValueRow): AttributeValue {
  const cls = VALUE_TYPES[r.role] ?? VALUE_TYPES.PARAMETER;
  return Object.assign(new cls(), {
    id: globalId('value', r.id),
    name: r.name,
    role: r.role,
    direction: r.direction,
    value: r.value,
    recordedAt: r.recordedAt,
    row: r,
  });
}

export const dataRefView = (r: DataRefRow): DataReference =>
  Object.assign(new DataReference(), { id: globalId('ref', r.id), uri: r.uri, store: r.store, firstSeenAt: r.createdAt, row: r });

export function agentView(r: AgentRow): Agent {
  const cls = r.kind === 'PERSON' ? Person : r.kind === 'ORGANIZATION' ? Organization : SoftwareAgent;
  return Object.assign(new cls(), { id: globalId('agent', r.id), name: r.name, attributes: r.attributes });
}
