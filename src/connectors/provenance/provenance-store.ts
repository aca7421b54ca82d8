import type { IngestRefs } from './pg-ingest-refs';
import type { ModelConditions } from './pg-model-conditions';
import type { WorkflowSpec } from '../../ingest/workflow-spec';
import type { AddedTransformation } from './pg-extend-workflow';
import type {
  ExtractionFailure,
  ExtractionJobRow,
  ExtractionLease,
  ExtractionOutcome,
  ExtractionStatus,
} from './pg-extraction-jobs';
import type { PublishJob } from './pg-publish-outbox';
import type { LiveChangeRow } from './pg-live-log';
import type {
  CascadeRejected,
  ParkInput,
  ParkedDeleteFilter,
  ParkedDeletion,
  ParkedListing,
  ParkedRow,
  ParkedSettlement,
  ParkedSummary,
} from './pg-parked-events';
import type { LiveChangeInput, StreamHead } from '../../ingest/live-changes';
import type {
  AgentRow,
  AttributeRow,
  BatchRows,
  DataRefRow,
  DeclaredDataStoreRow,
  DurationStatsRow,
  GpuSummaryRow,
  MetricRow,
  Page,
  RelationRow,
  RunRow,
  RunTaskKey,
  StudyRow,
  TaskRow,
  TelemetryRow,
  TransformationRow,
  ValueRow,
  ValueWithTask,
  WorkflowRow,
} from './rows';

/** What `models` may be narrowed by: workflow, run, and value conditions on hyperparameters and evaluations. */
export interface ModelListFilter extends ModelConditions {
  workflowName?: string;
  runId?: string;
}

export interface PageArgs {
  first: number;
  after?: string | null;
}

export type LineageDirection = 'BACKWARD' | 'FORWARD';
export type EdgeKind =
  'USED' | 'WAS_GENERATED_BY' | 'WAS_DERIVED_FROM' | 'WAS_INFORMED_BY' | 'WAS_ASSOCIATED_WITH' | 'HAD_MEMBER' | 'WAS_PART_OF';

/** One PROV edge, oriented as PROV writes it (effect -> cause), between node ids like `ref:12`. */
export interface LineageEdge {
  kind: EdgeKind;
  from: string;
  to: string;
}

/** Bulk writes of one ingest batch, all inside one transaction. */
export interface IngestTx {
  /** Claims event ids; returns those already stored (duplicates). */
  claimEventIds(ids: string[]): Promise<Set<string>>;
  upsertAgents(rows: AgentRow[]): Promise<void>;
  /** New runs; a run already stored keeps its row. Returns the ids this call wrote. */
  insertRuns(rows: RunRow[]): Promise<Set<string>>;
  endRuns(rows: Array<{ id: string; status: string; endedAt: Date; attributes: Record<string, unknown> }>): Promise<void>;
  /**
   * New tasks; a task already stored keeps its row, unless it is GENERATED and this row starts it.
   * Returns the ids this call wrote (inserted or started).
   */
  insertTasks(rows: TaskRow[]): Promise<Set<string>>;
  endTasks(rows: Array<{ id: string; status: string; endedAt: Date; attributes: Record<string, unknown> }>): Promise<void>;
  /** Ids of data references, created where missing, keyed `${store}\u0000${uri}`. */
  ensureDataRefs(refs: Array<{ uri: string; store: string }>): Promise<Map<string, string>>;
  /** Ids of attributes that no spec declared, created where missing (declared = false). */
  ensureAttributes(rows: Array<Omit<AttributeRow, 'id' | 'declared'>>): Promise<AttributeRow[]>;
  insertValues(rows: Array<Omit<ValueRow, 'id'>>): Promise<void>;
  insertMetrics(rows: MetricRow[]): Promise<void>;
  insertTelemetry(rows: TelemetryRow[]): Promise<void>;
  insertRelations(rows: RelationRow[]): Promise<void>;
  /** Appends one live change per stream (subscriptions' log); returns each stream's new seq. */
  appendLiveChanges(changes: readonly LiveChangeInput[]): Promise<StreamHead[]>;
  /**
   * The whole batch in one statement, every claim and every new run and task a plain INSERT
   * (the fast path of ingest), with its live-log changes; returns each changed stream's new seq.
   * Throws FastPathConflict when any of them is stored already.
   */
  insertFresh(rows: BatchRows, changes: readonly LiveChangeInput[]): Promise<StreamHead[]>;
  /**
   * Parked events whose run or task is stored now, oldest first, locked until COMMIT; null when
   * another replica's release pass holds the release lock (docs/ingest.md, "Parked events").
   */
  takeReleasableParked(limit: number): Promise<ParkedRow[] | null>;
  /**
   * Deletes released parked events, re-points those still waiting, marks the rejected ones;
   * resolves to the events rejected with their task (`rejectedTasks`) on top.
   */
  settleParked(settlement: ParkedSettlement): Promise<CascadeRejected[]>;
}

/**
 * The fast path's statement met a row it expected to be new (a resent event id, a run or task
 * begun again) or another writer (deadlock): nothing of it was written, and the batch must be
 * written by the careful path, which claims ids one by one and merges with stored rows.
 */
export class FastPathConflict extends Error {
  constructor(readonly sqlState: string) {
    super(`fast ingest path refused (SQLSTATE ${sqlState})`);
    this.name = 'FastPathConflict';
  }
}

/**
 * The provenance store (ours): PROV-ML records in PostgreSQL. One implementation over `pg`
 * serves both backends: a PostgreSQL server (PROVML_DATABASE_URL) and the local PostgreSQL the
 * server runs itself. Batch readers return results in key order for dataloaders.
 */
export interface ProvenanceStore {
  // Prospective provenance.
  registerWorkflow(spec: WorkflowSpec, hash: string): Promise<{ workflow: WorkflowRow; created: boolean }>;
  latestWorkflows(names: string[]): Promise<Map<string, WorkflowRow>>;
  workflowByNameVersion(name: string, version: number): Promise<WorkflowRow | null>;
  workflowsByIds(ids: readonly string[]): Promise<Array<WorkflowRow | null>>;
  workflows(filter: { name?: string; studyId?: string }, page: PageArgs): Promise<Page<WorkflowRow>>;
  studiesByIds(ids: readonly string[]): Promise<Array<StudyRow | null>>;
  studies(page: PageArgs): Promise<Page<StudyRow>>;
  transformationsByWorkflowIds(ids: readonly string[]): Promise<TransformationRow[][]>;
  transformationsByIds(ids: readonly string[]): Promise<Array<TransformationRow | null>>;
  attributesByIds(ids: readonly string[]): Promise<Array<AttributeRow | null>>;
  attributesByWorkflowIds(ids: readonly string[]): Promise<AttributeRow[][]>;
  /** Adds transformations to a registered version in place (the ProvLake route only); returns all of its transformations. */
  extendWorkflow(workflowId: string, added: AddedTransformation[]): Promise<TransformationRow[]>;

  // Retrospective provenance.
  runsByIds(ids: readonly string[]): Promise<Array<RunRow | null>>;
  runs(filter: { workflowName?: string; workflowId?: string; status?: string }, page: PageArgs): Promise<Page<RunRow>>;
  tasksByIds(ids: readonly string[]): Promise<Array<TaskRow | null>>;
  childTasks(parentId: string, page: PageArgs): Promise<Page<TaskRow>>;
  /** Each task followed by its ancestors (parent, grandparent, ...), nearest first; at most 16. */
  taskAncestors(ids: readonly string[]): Promise<TaskRow[][]>;
  topTasksOfRun(runId: string, page: PageArgs): Promise<Page<TaskRow>>;
  /** Tasks of each run begun and not ended (status RUNNING), latest begun first, at most `limit` each. */
  openTasksOfRuns(runIds: readonly string[], limit: number): Promise<TaskRow[][]>;
  valuesByTaskIds(ids: readonly string[]): Promise<ValueRow[][]>;
  runValuesByRunIds(ids: readonly string[]): Promise<ValueRow[][]>;
  valuesByIds(ids: readonly string[]): Promise<Array<ValueRow | null>>;
  dataRefsByIds(ids: readonly string[]): Promise<Array<DataRefRow | null>>;
  dataRefsByUris(uris: readonly string[]): Promise<DataRefRow[][]>;
  /**
   * prov:wasDerivedFrom of each reference, in one query: what the tasks that generated it used
   * (other than itself), and derivations stated by relation events.
   */
  derivedFrom(refIds: readonly string[]): Promise<DataRefRow[][]>;
  /** Models generated at each URI, with the store holding them, oldest first. */
  modelsByUris(uris: readonly string[]): Promise<Array<Array<ValueRow & { store: string }>>>;
  dataRefs(
    filter: { store?: string; uriPrefix?: string; generatedWith?: Array<{ name: string; value: unknown }> },
    page: PageArgs,
  ): Promise<Page<DataRefRow>>;
  /** Values referring to each data reference, used or generated. */
  valuesByDataRefIds(ids: readonly string[], direction: 'USED' | 'GENERATED'): Promise<ValueRow[][]>;
  /** The same, each value with its task (null for a run-level value), the task's transformation kind set. */
  valuesWithTasksByDataRefIds(ids: readonly string[], direction: 'USED' | 'GENERATED'): Promise<ValueWithTask[][]>;
  agentsByIds(ids: readonly string[]): Promise<Array<AgentRow | null>>;
  relationsFrom(subjects: readonly string[]): Promise<RelationRow[][]>;
  /** One metric series of each run, by step, at most `limit` points per run (one list per run). */
  metricSeries(runIds: readonly string[], name: string, context: string | null, limit: number): Promise<MetricRow[][]>;
  metricNames(runIds: readonly string[]): Promise<string[][]>;
  /** Execution-data samples of each run (or run and task), oldest first, at most `limit` each. */
  telemetry(keys: readonly RunTaskKey[], limit: number): Promise<TelemetryRow[][]>;
  /** Per-GPU aggregate of each run's telemetry (or of one task's). */
  gpuSummary(keys: readonly RunTaskKey[]): Promise<GpuSummaryRow[][]>;

  // Analytics (the paper's Q3, Q4) and lineage.
  models(filter: ModelListFilter, page: PageArgs): Promise<Page<ValueRow>>;
  bestModel(datasetRefIds: string[], measure: string, order: 'MIN' | 'MAX'): Promise<ValueRow | null>;
  /** Models generated by the given tasks or their descendants (a training's epochs). */
  modelsUnderTasks(rootTaskIds: string[], limit: number): Promise<ValueRow[]>;
  /** The same, one list per root task, at most `limit` each. */
  modelsUnderEachTask(rootTaskIds: readonly string[], limit: number): Promise<ValueRow[][]>;
  /** Durations of each root's descendant tasks run by transformation `transformation`, by parent (one list per root). */
  durationStats(rootTaskIds: readonly string[], transformation: string): Promise<DurationStatsRow[][]>;
  lineageStep(nodes: string[], direction: LineageDirection, kinds: ReadonlySet<EdgeKind>): Promise<LineageEdge[]>;

  // Data stores declared by clients (ProvLake's DataStoreCatalog), by id.
  /** Stores a declaration; one already stored under that id is kept and returned with `created: false`. */
  declareDataStore(row: DeclaredDataStoreRow): Promise<{ row: DeclaredDataStoreRow; created: boolean }>;
  declaredDataStores(limit: number): Promise<DeclaredDataStoreRow[]>;
  declaredDataStoreById(id: string): Promise<DeclaredDataStoreRow | null>;
  declaredDataStoresByIds(ids: readonly string[]): Promise<Array<DeclaredDataStoreRow | null>>;

  // Whole-table pages for export (src/interop): keyset pages in id order.
  tasksOfRun(runId: string, page: PageArgs): Promise<Page<TaskRow>>;
  /** Every value of a run, of its tasks and of the run itself. */
  valuesOfRun(runId: string, page: PageArgs): Promise<Page<ValueRow>>;
  metricsOfRun(runId: string, page: PageArgs): Promise<Page<MetricRow & { id: string }>>;
  agents(page: PageArgs): Promise<Page<AgentRow>>;
  relations(page: PageArgs): Promise<Page<RelationRow & { id: string }>>;

  // Publish outbox (src/interop/publish): ended runs whose PROV-O waits for a triple store.
  /** Leases up to `limit` due jobs for `leaseMs`. */
  claimPublishJobs(limit: number, leaseMs: number): Promise<PublishJob[]>;
  /**
   * Completion, failure and lease checks are fenced by the claim's lease token: each answers
   * false, and writes nothing, once the lease passed to another publisher.
   */
  holdPublishLease(job: PublishJob, leaseMs: number): Promise<boolean>;
  completePublishJob(job: PublishJob): Promise<boolean>;
  failPublishJob(job: PublishJob, error: string, retryInMs: number): Promise<boolean>;
  publishOutboxCounts(): Promise<{ pending: number; done: number }>;

  // Extraction jobs (src/ingest/extraction): data references that asked for extraction.
  /** Leases up to `limit` due jobs (pending, or running with an expired lease) for `leaseMs`. */
  claimExtractionJobs(limit: number, leaseMs: number): Promise<ExtractionJobRow[]>;
  /** Jobs by status (queue depth for /metrics). */
  extractionJobCounts(): Promise<Record<ExtractionStatus, number>>;
  /**
   * Extends the leases of jobs in progress and records the bytes they have read; returns the
   * ids whose lease is still the caller's. Renewal, completion and failure are fenced by the
   * claim's lease token: a worker whose lease passed to another writes nothing (false).
   */
  renewExtractionLeases(progress: ReadonlyArray<ExtractionLease & { bytesRead: number }>, leaseMs: number): Promise<Set<string>>;
  completeExtractionJob(lease: ExtractionLease, result: ExtractionOutcome): Promise<boolean>;
  /** Final failure when `retryInMs` is null; otherwise pending again after `retryInMs`. */
  failExtractionJob(
    lease: ExtractionLease,
    failure: ExtractionFailure & { bytesRead: number | null },
    retryInMs: number | null,
  ): Promise<boolean>;
  /** The latest job of each data reference, in key order. */
  latestExtractionJobs(dataRefIds: readonly string[]): Promise<Array<ExtractionJobRow | null>>;
  extractionJobs(filter: { status?: ExtractionStatus | null }, page: PageArgs): Promise<Page<ExtractionJobRow>>;

  /** Runs (their workflow) and tasks (their run, transformation and workflow) that a batch names. */
  ingestRefs(runIds: string[], taskIds: string[]): Promise<IngestRefs>;
  /**
   * Writes one ingest batch in one transaction. `fn` may run more than once (a deadlock or
   * serialization failure runs it again from the start), so it must not keep state across runs;
   * when every attempt failed, a STORE_CONFLICT error.
   */
  transaction<T>(fn: (tx: IngestTx) => Promise<T>): Promise<T>;
  /** Live log (subscriptions): changes of a stream after a seq, oldest first. */
  liveChangesAfter(stream: string, afterSeq: number, limit: number): Promise<LiveChangeRow[]>;
  /** Live log: the newest seq of a stream, 0 when none. */
  liveHead(stream: string): Promise<number>;
  /** Parks events whose run or task is not stored yet; an id parked already keeps its row. Returns rows written. */
  parkEvents(rows: readonly ParkInput[]): Promise<number>;
  parkedSummary(): Promise<ParkedSummary>;
  /** Parked events, oldest first (waiting and rejected), for the admin view. */
  parkedEvents(limit: number): Promise<ParkedListing[]>;
  /**
   * Deletes the parked events a filter matches (a run that will never begin), or with `apply`
   * false only says which; `events` lists at most `limit` of them.
   */
  deleteParkedEvents(filter: ParkedDeleteFilter, apply: boolean, limit: number): Promise<ParkedDeletion>;
  /** Live log: the newest seq of a stream and the oldest still held (null: none held). */
  liveBounds(stream: string): Promise<{ head: number; oldest: number | null }>;
  /**
   * Live-log retention: deletes about `limit` changes older than `retentionMs`, a prefix of each
   * stream; null when another replica is pruning now.
   */
  pruneLiveChanges(retentionMs: number, limit: number): Promise<number | null>;
  /** IngestTx.insertFresh as a statement of its own (atomic by itself: no BEGIN, no COMMIT). */
  writeFresh(rows: BatchRows, changes: readonly LiveChangeInput[]): Promise<StreamHead[]>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
