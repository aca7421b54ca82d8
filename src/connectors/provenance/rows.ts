/** Rows of the provenance store as the rest of the code sees them (ids of bigserials as strings). */
export interface StudyRow {
  id: string;
  name: string;
  description: string | null;
  createdAt: Date;
}

export interface WorkflowRow {
  id: string;
  name: string;
  version: number;
  kind: 'LEARNING' | 'DATA';
  studyId: string | null;
  description: string | null;
  spec: unknown;
  createdAt: Date;
}

export interface TransformationRow {
  id: string;
  workflowId: string;
  name: string;
  kind: 'DATA_TRANSFORMATION' | 'LEARNING_STAGE' | 'FEATURE_EXTRACTION';
  stageType: 'TRAINING' | 'VALIDATION' | 'TEST' | null;
  parentName: string | null;
}

export interface AttributeRow {
  id: string;
  workflowId: string;
  transformationId: string | null;
  name: string;
  role: string;
  direction: 'USED' | 'GENERATED';
  declared: boolean;
}

export interface RunRow {
  id: string;
  workflowId: string;
  agentId: string | null;
  status: string;
  startedAt: Date | null;
  endedAt: Date | null;
  attributes: Record<string, unknown>;
}

export interface TaskRow {
  id: string;
  runId: string;
  transformationId: string;
  parentId: string | null;
  status: string;
  host: string | null;
  startedAt: Date | null;
  endedAt: Date | null;
  attributes: Record<string, unknown>;
  /**
   * The kind of its transformation, where the read joined it (tasksByIds, valuesWithTasks): the
   * schema's type of a task depends on it, and joining it saves a round trip per query level.
   */
  transformationKind?: string;
}

export interface ValueRow {
  id: string;
  runId: string;
  taskId: string | null;
  attributeId: string;
  name: string;
  role: string;
  direction: 'USED' | 'GENERATED';
  value: unknown;
  dataRefId: string | null;
  recordedAt: Date;
}

/** A value and the task it belongs to (null for a run-level value), read together. */
export interface ValueWithTask {
  value: ValueRow;
  task: TaskRow | null;
}

/** A run, or a run and one of its tasks (`taskId` null: the whole run): the key of the execution-data reads. */
export interface RunTaskKey {
  runId: string;
  taskId: string | null;
}

export interface DataRefRow {
  id: string;
  uri: string;
  store: string;
  createdAt: Date;
}

export interface MetricRow {
  runId: string;
  taskId: string | null;
  name: string;
  value: number;
  step: string | null;
  context: string | null;
  recordedAt: Date;
}

export interface TelemetryRow {
  runId: string;
  taskId: string | null;
  host: string | null;
  gpuIndex: number | null;
  gpuName: string | null;
  gpuUtilization: number | null;
  gpuMemoryUsed: string | null;
  gpuMemoryTotal: string | null;
  gpuPower: number | null;
  gpuTemperature: number | null;
  gpuEnergy: number | null;
  cpuPercent: number | null;
  rssBytes: string | null;
  recordedAt: Date;
}

export interface AgentRow {
  id: string;
  kind: 'PERSON' | 'SOFTWARE' | 'ORGANIZATION';
  name: string | null;
  attributes: Record<string, unknown>;
}

export interface RelationRow {
  kind: string;
  subject: string;
  object: string;
}

/** A data store a client declared (ProvLake's DataStoreCatalog): PROV-ML DataStoreInstance. */
export interface DeclaredDataStoreRow {
  id: string;
  name: string;
  /** The client's store type, e.g. Lustre, AWSS3, PostgreSQL. */
  type: string;
  /** Everything else the declaration carried (custom_metadata, url, bucket, host_address). */
  attributes: Record<string, unknown>;
  createdAt?: Date;
}

export interface DurationStatsRow {
  parentId: string | null;
  count: number;
  minMs: number | null;
  avgMs: number | null;
  maxMs: number | null;
}

export interface Page<T> {
  items: T[];
  /** Cursor of the last item, to pass as `after` for the next page; null at the end. */
  endCursor: string | null;
  hasNextPage: boolean;
}

export interface GpuSummaryRow {
  host: string | null;
  gpuIndex: number;
  gpuName: string | null;
  samples: number;
  avgUtilization: number | null;
  maxUtilization: number | null;
  maxMemoryUsed: string | null;
  avgPower: number | null;
  maxTemperature: number | null;
  /** Energy counter at the last sample minus the first (J). */
  energy: number | null;
}

/** A run's or task's end, for one stored before the batch that ends it. */
export interface Ending {
  id: string;
  status: string;
  endedAt: Date;
  attributes: Record<string, unknown>;
}

/** Every row of one ingest batch, ready to write; `eventIds` are the ids it claims. */
export interface BatchRows {
  eventIds: string[];
  agents: AgentRow[];
  runs: RunRow[];
  runEnds: Ending[];
  tasks: TaskRow[];
  taskEnds: Ending[];
  values: Array<Omit<ValueRow, 'id'>>;
  metrics: MetricRow[];
  telemetry: TelemetryRow[];
  relations: RelationRow[];
}
