import { Connection } from './connection';
import { ModelReferenceValue } from './ml/attribute-value.types';
import { DataReference } from './ml/data-reference.type';
import { TaskExecution, WorkflowExecution } from './ml/execution.types';
import { Experiment } from './ml/experiment.type';
import { Study } from './ml/study.type';

export const StudyConnection = Connection('StudyConnection', Study);
export const ExperimentConnection = Connection('ExperimentConnection', Experiment);
export const WorkflowExecutionConnection = Connection('WorkflowExecutionConnection', WorkflowExecution);
export const TaskExecutionConnection = Connection('TaskExecutionConnection', TaskExecution);
export const ModelConnection = Connection('ModelConnection', ModelReferenceValue);
export const DataReferenceConnection = Connection('DataReferenceConnection', DataReference);
