import { Field, InterfaceType, ObjectType } from 'type-graphql';
import type { RunRow, TaskRow } from '../../connectors/provenance/rows';
import { Activity } from '../prov/activity.interface';
import { Node } from '../prov/node.interface';
import { JSONScalar } from '../scalars';

@InterfaceType({
  implements: [Activity, Node],
  description: 'ProvLake WorkflowExecution (a prov:Activity): one run of an Experiment.',
})
export abstract class WorkflowExecution extends Activity {
  @Field(() => JSONScalar, { description: 'Execution data: cluster, job id, host nodes, environment.' })
  attributes!: Record<string, unknown>;

  row!: RunRow;
}

@ObjectType({
  implements: [WorkflowExecution, Activity, Node],
  description: 'PROV-ML LearningProcessExecution (mls:Run, renamed to keep retrospective provenance explicit).',
})
export class LearningProcessExecution extends WorkflowExecution {}

@ObjectType({
  implements: [WorkflowExecution, Activity, Node],
  description: 'An execution of a data (curation or preparation) workflow.',
})
export class DataWorkflowExecution extends WorkflowExecution {}

@InterfaceType({
  implements: [Activity, Node],
  description: 'ProvLake DataTransformationExecution (a prov:Activity): one task of a run.',
})
export abstract class TaskExecution extends Activity {
  @Field(() => String, { nullable: true, description: 'Host the task ran on.' })
  host!: string | null;

  @Field(() => Number, { nullable: true, description: 'endedAt - startedAt, in milliseconds.' })
  durationMs!: number | null;

  @Field(() => JSONScalar)
  attributes!: Record<string, unknown>;

  row!: TaskRow;
}

@ObjectType({ implements: [TaskExecution, Activity, Node], description: 'ProvLake DataTransformationExecution.' })
export class DataTransformationExecution extends TaskExecution {}

@ObjectType({
  implements: [TaskExecution, Activity, Node],
  description: 'PROV-ML LearningStageExecution: a training, validation or test stage, or an iteration inside one (epoch, batch).',
})
export class LearningStageExecution extends TaskExecution {}

@ObjectType({ implements: [TaskExecution, Activity, Node], description: 'PROV-ML FeatureExtractionExecution.' })
export class FeatureExtractionExecution extends TaskExecution {}
