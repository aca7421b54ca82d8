import type { IngestRefs } from '../connectors/provenance/pg-ingest-refs';
import type { AddedTransformation } from '../connectors/provenance/pg-extend-workflow';
import type {
  ExtractionFailure,
  ExtractionJobRow,
  ExtractionLease,
  ExtractionOutcome,
  ExtractionStatus,
} from '../connectors/provenance/pg-extraction-jobs';
import type { PublishJob } from '../connectors/provenance/pg-publish-outbox';
import type { ParkInput } from '../connectors/provenance/pg-parked-events';
import type {
  EdgeKind,
  IngestTx,
  LineageDirection,
  LineageEdge,
  PageArgs,
  ProvenanceStore,
} from '../connectors/provenance/provenance-store';
import type {
  AgentRow,
  AttributeRow,
  DataRefRow,
  DeclaredDataStoreRow,
  DurationStatsRow,
  GpuSummaryRow,
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
  BatchRows,
} from '../connectors/provenance/rows';
import type { WorkflowSpec } from '../ingest/workflow-spec';
import type { LiveChangeInput } from '../ingest/live-changes';
import { ForbiddenError } from '../errors';
import type { StudyScope } from './study-scope';

// A filtered list page reads at most this many pages of the store before it answers a short page
// (hasNextPage stays true, so a client goes on from its cursor).
const MAX_ROUNDS = 20;
// Models a study-limited bestModel ranks (the store's own query ranks all of them in SQL).
const BEST_MODEL_CANDIDATES = 10_000;

/**
 * Pages of the store, filtered, until `first` items or the end: each round asks only for what is
 * still missing, so no item is skipped and the cursor of the last round is right for the next call.
 */
export async function filteredPage<T>(
  fetch: (p: PageArgs) => Promise<Page<T>>,
  keep: (items: T[]) => Promise<T[]>,
  page: PageArgs,
): Promise<Page<T>> {
  const items: T[] = [];
  let after = page.after ?? null;
  let hasNextPage = true;
  for (let round = 0; round < MAX_ROUNDS && items.length < page.first && hasNextPage; round++) {
    const p = await fetch({ first: page.first - items.length, after });
    items.push(...(await keep(p.items)));
    hasNextPage = p.hasNextPage;
    if (p.endCursor) after = p.endCursor;
    else break;
  }
  return { items, endCursor: after, hasNextPage };
}

/**
 * The provenance store as a study-limited token sees it: every read answers only records of the
 * token's studies (null in a missing key's slot, items left out of lists, lineage edges that
 * leave the studies not followed and counted), so resolvers, loaders, exports and lineage are
 * limited in this one place. Writes pass through: ingest checks each event's study before it
 * writes (src/auth/ingest-study-check.ts). Implementing the interface method by method means a
 * new read added to ProvenanceStore does not compile until it is limited here too.
 */
export class StudyScopedStore implements ProvenanceStore {
  constructor(
    /** The whole store: ingest's study check looks up what the token may not see. */
    readonly inner: ProvenanceStore,
    readonly scope: StudyScope,
  ) {}

  // --- helpers -------------------------------------------------------------------------------
  private async keepWorkflows(rows: WorkflowRow[]): Promise<WorkflowRow[]> {
    return rows.filter((r) => this.scope.studyVisible(r.studyId));
  }
  private async byWorkflow<T extends { workflowId: string }>(rows: T[]): Promise<T[]> {
    const ok = await this.scope.workflowsVisible(rows.map((r) => r.workflowId));
    return rows.filter((r) => ok.has(r.workflowId));
  }
  private async byRun<T extends { runId: string }>(rows: T[]): Promise<T[]> {
    const ok = await this.scope.runsVisible(rows.map((r) => r.runId));
    return rows.filter((r) => ok.has(r.runId));
  }
  private async byRef<T extends { id: string }>(rows: T[]): Promise<T[]> {
    const ok = await this.scope.refsVisible(rows.map((r) => r.id));
    return rows.filter((r) => ok.has(r.id));
  }
  /** Nulls in the slots of invisible rows, keeping key order for dataloaders. */
  private async slots<T>(rows: Array<T | null>, keep: (present: T[]) => Promise<T[]>): Promise<Array<T | null>> {
    const kept = new Set(await keep(rows.filter((r): r is T => r !== null)));
    return rows.map((r) => (r !== null && kept.has(r) ? r : null));
  }
  private async lists<T>(lists: T[][], keep: (all: T[]) => Promise<T[]>): Promise<T[][]> {
    const kept = new Set(await keep(lists.flat()));
    return lists.map((l) => l.filter((r) => kept.has(r)));
  }
  /** Only the visible ids of `ids`, and a function to put per-id answers back in key order. */
  private async visibleRuns(ids: readonly string[]): Promise<string[]> {
    const ok = await this.scope.runsVisible(ids);
    return ids.filter((i) => ok.has(i));
  }
  private async visibleTasks(ids: readonly string[]): Promise<string[]> {
    const ok = await this.scope.tasksVisible(ids);
    return ids.filter((i) => ok.has(i));
  }
  private async perKey<K, T>(keys: readonly K[], visible: K[], read: (k: K[]) => Promise<T[][]>): Promise<T[][]> {
    const answers = visible.length ? await read(visible) : [];
    const at = new Map(visible.map((k, i) => [k, answers[i]]));
    return keys.map((k) => at.get(k) ?? []);
  }

  // --- prospective ---------------------------------------------------------------------------
  registerWorkflow(spec: WorkflowSpec, hash: string) {
    if (!this.scope.studyVisible(spec.study?.id)) {
      throw new ForbiddenError(
        `this token may register workflows of studies ${this.scope.studies.join(', ')} only; spec ${spec.name} names ${spec.study?.id ?? 'no study'}`,
        { study: spec.study?.id ?? '', field: 'spec.study' },
      );
    }
    return this.inner.registerWorkflow(spec, hash);
  }
  async latestWorkflows(names: string[]) {
    const all = await this.inner.latestWorkflows(names);
    return new Map([...all].filter(([, w]) => this.scope.studyVisible(w.studyId)));
  }
  async workflowByNameVersion(name: string, version: number) {
    const w = await this.inner.workflowByNameVersion(name, version);
    return w && this.scope.studyVisible(w.studyId) ? w : null;
  }
  async workflowsByIds(ids: readonly string[]) {
    return this.slots(await this.inner.workflowsByIds(ids), (r) => this.keepWorkflows(r));
  }
  workflows(filter: { name?: string; studyId?: string }, page: PageArgs) {
    return filteredPage(
      (p) => this.inner.workflows(filter, p),
      (r) => this.keepWorkflows(r),
      page,
    );
  }
  async studiesByIds(ids: readonly string[]) {
    return (await this.inner.studiesByIds(ids)).map((s) => (s && this.scope.studyVisible(s.id) ? s : null));
  }
  studies(page: PageArgs) {
    return filteredPage(
      (p) => this.inner.studies(p),
      async (rows: StudyRow[]) => rows.filter((s) => this.scope.studyVisible(s.id)),
      page,
    );
  }
  async transformationsByWorkflowIds(ids: readonly string[]) {
    return this.lists(await this.inner.transformationsByWorkflowIds(ids), (r) => this.byWorkflow(r));
  }
  async transformationsByIds(ids: readonly string[]) {
    return this.slots(await this.inner.transformationsByIds(ids), (r: TransformationRow[]) => this.byWorkflow(r));
  }
  async attributesByIds(ids: readonly string[]) {
    return this.slots(await this.inner.attributesByIds(ids), (r: AttributeRow[]) => this.byWorkflow(r));
  }
  async attributesByWorkflowIds(ids: readonly string[]) {
    return this.lists(await this.inner.attributesByWorkflowIds(ids), (r) => this.byWorkflow(r));
  }
  async extendWorkflow(workflowId: string, added: AddedTransformation[]) {
    if (!(await this.scope.workflowsVisible([workflowId])).size) {
      throw new ForbiddenError(`workflow ${workflowId} is not in this token's studies`, { field: 'workflow' });
    }
    return this.inner.extendWorkflow(workflowId, added);
  }

  // --- retrospective -------------------------------------------------------------------------
  async runsByIds(ids: readonly string[]) {
    return this.slots(await this.inner.runsByIds(ids), (r: RunRow[]) => this.byWorkflow(r));
  }
  runs(filter: { workflowName?: string; workflowId?: string; status?: string }, page: PageArgs) {
    return filteredPage(
      (p) => this.inner.runs(filter, p),
      (r) => this.byWorkflow(r),
      page,
    );
  }
  async tasksByIds(ids: readonly string[]) {
    return this.slots(await this.inner.tasksByIds(ids), (r: TaskRow[]) => this.byRun(r));
  }
  childTasks(parentId: string, page: PageArgs) {
    return filteredPage(
      (p) => this.inner.childTasks(parentId, p),
      (r) => this.byRun(r),
      page,
    );
  }
  async taskAncestors(ids: readonly string[]) {
    return this.perKey(ids, await this.visibleTasks(ids), (k) => this.inner.taskAncestors(k));
  }
  async topTasksOfRun(runId: string, page: PageArgs): Promise<Page<TaskRow>> {
    if (!(await this.visibleRuns([runId])).length) return { items: [], endCursor: null, hasNextPage: false };
    return this.inner.topTasksOfRun(runId, page);
  }
  async openTasksOfRuns(runIds: readonly string[], limit: number) {
    return this.perKey(runIds, await this.visibleRuns(runIds), (k) => this.inner.openTasksOfRuns(k, limit));
  }
  async valuesByTaskIds(ids: readonly string[]) {
    return this.lists(await this.inner.valuesByTaskIds(ids), (r) => this.byRun(r));
  }
  async runValuesByRunIds(ids: readonly string[]) {
    return this.perKey(ids, await this.visibleRuns(ids), (k) => this.inner.runValuesByRunIds(k));
  }
  async valuesByIds(ids: readonly string[]) {
    return this.slots(await this.inner.valuesByIds(ids), (r: ValueRow[]) => this.byRun(r));
  }
  async dataRefsByIds(ids: readonly string[]) {
    return this.slots(await this.inner.dataRefsByIds(ids), (r: DataRefRow[]) => this.byRef(r));
  }
  async dataRefsByUris(uris: readonly string[]) {
    return this.lists(await this.inner.dataRefsByUris(uris), (r) => this.byRef(r));
  }
  async derivedFrom(refIds: readonly string[]) {
    const ok = await this.scope.refsVisible(refIds);
    return this.lists(
      await this.perKey(
        refIds,
        refIds.filter((r) => ok.has(r)),
        (k) => this.inner.derivedFrom(k),
      ),
      (r) => this.byRef(r),
    );
  }
  async modelsByUris(uris: readonly string[]) {
    return this.lists(await this.inner.modelsByUris(uris), (r) => this.byRun(r));
  }
  dataRefs(
    filter: { store?: string; uriPrefix?: string; generatedWith?: Array<{ name: string; value: unknown }> },
    page: PageArgs,
  ) {
    return filteredPage(
      (p) => this.inner.dataRefs(filter, p),
      (r) => this.byRef(r),
      page,
    );
  }
  async valuesByDataRefIds(ids: readonly string[], direction: 'USED' | 'GENERATED') {
    return this.lists(await this.inner.valuesByDataRefIds(ids, direction), (r) => this.byRun(r));
  }
  /** Values of visible runs only, and a task only when its own run is visible too. */
  async valuesWithTasksByDataRefIds(ids: readonly string[], direction: 'USED' | 'GENERATED'): Promise<ValueWithTask[][]> {
    const lists = await this.inner.valuesWithTasksByDataRefIds(ids, direction);
    const all = lists.flat();
    const ok = await this.scope.runsVisible([
      ...all.map((x) => x.value.runId),
      ...all.flatMap((x) => (x.task ? [x.task.runId] : [])),
    ]);
    return lists.map((l) =>
      l.filter((x) => ok.has(x.value.runId)).map((x) => (x.task && !ok.has(x.task.runId) ? { value: x.value, task: null } : x)),
    );
  }
  async agentsByIds(ids: readonly string[]) {
    const ok = await this.scope.agentsVisible(ids);
    return (await this.inner.agentsByIds(ids)).map((a) => (a && ok.has(a.id) ? a : null));
  }
  private async keepRelations<T extends RelationRow>(rows: T[]): Promise<T[]> {
    const ok = await this.scope.nodesVisible(rows.flatMap((r) => [r.subject, r.object]));
    return rows.filter((r) => ok.has(r.subject) && ok.has(r.object));
  }
  async relationsFrom(subjects: readonly string[]) {
    return this.lists(await this.inner.relationsFrom(subjects), (r) => this.keepRelations(r));
  }
  async metricSeries(runIds: readonly string[], name: string, context: string | null, limit: number) {
    return this.perKey(runIds, await this.visibleRuns(runIds), (k) => this.inner.metricSeries(k, name, context, limit));
  }
  async metricNames(runIds: readonly string[]) {
    return this.perKey(runIds, await this.visibleRuns(runIds), (k) => this.inner.metricNames(k));
  }
  async telemetry(keys: readonly RunTaskKey[], limit: number): Promise<TelemetryRow[][]> {
    const ok = await this.scope.runsVisible(keys.map((k) => k.runId));
    return this.perKey(
      keys,
      keys.filter((k) => ok.has(k.runId)),
      (k) => this.inner.telemetry(k, limit),
    );
  }
  async gpuSummary(keys: readonly RunTaskKey[]): Promise<GpuSummaryRow[][]> {
    const ok = await this.scope.runsVisible(keys.map((k) => k.runId));
    return this.perKey(
      keys,
      keys.filter((k) => ok.has(k.runId)),
      (k) => this.inner.gpuSummary(k),
    );
  }

  // --- analytics and lineage -----------------------------------------------------------------
  models(filter: { workflowName?: string; runId?: string }, page: PageArgs) {
    return filteredPage(
      (p) => this.inner.models(filter, p),
      (r) => this.byRun(r),
      page,
    );
  }
  /**
   * The best among the token's studies, from the same parts as the store's query (models under the
   * tasks that used the datasets, ranked by the measure their task generated, ties by id), with
   * the roots limited to visible runs. At most BEST_MODEL_CANDIDATES models are ranked.
   */
  async bestModel(datasetRefIds: string[], measure: string, order: 'MIN' | 'MAX') {
    const used = await this.byRun((await this.inner.valuesByDataRefIds(datasetRefIds, 'USED')).flat());
    const roots = [...new Set(used.map((v) => v.taskId).filter((t): t is string => t !== null))];
    if (!roots.length) return null;
    const models = (await this.modelsUnderTasks(roots, BEST_MODEL_CANDIDATES)).filter((m) => m.taskId !== null);
    const values = await this.inner.valuesByTaskIds([...new Set(models.map((m) => m.taskId!))]);
    const score = new Map<string, number>();
    for (const v of values.flat()) {
      if (v.direction !== 'GENERATED' || v.name !== measure || typeof v.value !== 'number') continue;
      const had = score.get(v.taskId!);
      score.set(v.taskId!, had === undefined ? v.value : order === 'MIN' ? Math.min(had, v.value) : Math.max(had, v.value));
    }
    let best: ValueRow | null = null;
    for (const m of models) {
      const x = score.get(m.taskId!);
      if (x === undefined) continue;
      const y = best ? score.get(best.taskId!)! : undefined;
      const better = y === undefined || (order === 'MIN' ? x < y : x > y) || (x === y && BigInt(m.id) < BigInt(best!.id));
      if (better) best = m;
    }
    return best;
  }
  async modelsUnderTasks(rootTaskIds: string[], limit: number) {
    const roots = await this.visibleTasks(rootTaskIds);
    return roots.length ? this.byRun(await this.inner.modelsUnderTasks(roots, limit)) : [];
  }
  async modelsUnderEachTask(rootTaskIds: readonly string[], limit: number) {
    return this.perKey(rootTaskIds, await this.visibleTasks(rootTaskIds), (k) => this.inner.modelsUnderEachTask(k, limit));
  }
  async durationStats(rootTaskIds: readonly string[], transformation: string): Promise<DurationStatsRow[][]> {
    return this.perKey(rootTaskIds, await this.visibleTasks(rootTaskIds), (k) => this.inner.durationStats(k, transformation));
  }
  async lineageStep(nodes: string[], direction: LineageDirection, kinds: ReadonlySet<EdgeKind>): Promise<LineageEdge[]> {
    const edges = await this.inner.lineageStep(nodes, direction, kinds);
    // The frontier is visible; an edge is followed only when its other end is too.
    const ends = edges.map((e) => (direction === 'BACKWARD' ? e.to : e.from));
    const ok = await this.scope.nodesVisible(ends);
    const kept = edges.filter((_e, i) => ok.has(ends[i]));
    this.scope.boundaryEdges += edges.length - kept.length;
    return kept;
  }

  // --- declared data stores (the store catalog, not study records) ---------------------------
  declareDataStore(row: DeclaredDataStoreRow) {
    return this.inner.declareDataStore(row);
  }
  declaredDataStores(limit: number) {
    return this.inner.declaredDataStores(limit);
  }
  declaredDataStoreById(id: string) {
    return this.inner.declaredDataStoreById(id);
  }
  // Data-store declarations belong to no study (a site's file systems and buckets).
  declaredDataStoresByIds(ids: readonly string[]) {
    return this.inner.declaredDataStoresByIds(ids);
  }
  // Counts of extraction jobs by status, for /metrics: numbers only, no records.
  extractionJobCounts() {
    return this.inner.extractionJobCounts();
  }
  // The live log is read by the hub, shared by every subscriber; a subscription's run is checked
  // against the token's studies when it starts (src/live/authorize-subscription.ts).
  liveChangesAfter(stream: string, afterSeq: number, limit: number) {
    return this.inner.liveChangesAfter(stream, afterSeq, limit);
  }
  liveHead(stream: string) {
    return this.inner.liveHead(stream);
  }
  liveBounds(stream: string) {
    return this.inner.liveBounds(stream);
  }
  pruneLiveChanges(retentionMs: number, limit: number) {
    return this.inner.pruneLiveChanges(retentionMs, limit);
  }

  // --- export pages --------------------------------------------------------------------------
  private async ifRunVisible<T>(runId: string, read: () => Promise<Page<T>>): Promise<Page<T>> {
    return (await this.visibleRuns([runId])).length ? read() : { items: [], endCursor: null, hasNextPage: false };
  }
  tasksOfRun(runId: string, page: PageArgs) {
    return this.ifRunVisible(runId, () => this.inner.tasksOfRun(runId, page));
  }
  valuesOfRun(runId: string, page: PageArgs) {
    return this.ifRunVisible(runId, () => this.inner.valuesOfRun(runId, page));
  }
  metricsOfRun(runId: string, page: PageArgs) {
    return this.ifRunVisible(runId, () => this.inner.metricsOfRun(runId, page));
  }
  agents(page: PageArgs) {
    return filteredPage(
      (p) => this.inner.agents(p),
      async (rows: AgentRow[]) => {
        const ok = await this.scope.agentsVisible(rows.map((a) => a.id));
        return rows.filter((a) => ok.has(a.id));
      },
      page,
    );
  }
  relations(page: PageArgs) {
    return filteredPage(
      (p) => this.inner.relations(p),
      (r) => this.keepRelations(r),
      page,
    );
  }

  // --- background work: the workers use the unscoped store; passed through for completeness --
  claimPublishJobs(limit: number, leaseMs: number) {
    return this.inner.claimPublishJobs(limit, leaseMs);
  }
  holdPublishLease(job: PublishJob, leaseMs: number) {
    return this.inner.holdPublishLease(job, leaseMs);
  }
  completePublishJob(job: PublishJob) {
    return this.inner.completePublishJob(job);
  }
  failPublishJob(job: PublishJob, error: string, retryInMs: number) {
    return this.inner.failPublishJob(job, error, retryInMs);
  }
  publishOutboxCounts() {
    return this.inner.publishOutboxCounts();
  }
  claimExtractionJobs(limit: number, leaseMs: number) {
    return this.inner.claimExtractionJobs(limit, leaseMs);
  }
  renewExtractionLeases(progress: ReadonlyArray<ExtractionLease & { bytesRead: number }>, leaseMs: number) {
    return this.inner.renewExtractionLeases(progress, leaseMs);
  }
  completeExtractionJob(lease: ExtractionLease, result: ExtractionOutcome) {
    return this.inner.completeExtractionJob(lease, result);
  }
  failExtractionJob(lease: ExtractionLease, failure: ExtractionFailure & { bytesRead: number | null }, retryInMs: number | null) {
    return this.inner.failExtractionJob(lease, failure, retryInMs);
  }
  async latestExtractionJobs(dataRefIds: readonly string[]) {
    const ok = await this.scope.refsVisible(dataRefIds);
    return (await this.inner.latestExtractionJobs(dataRefIds)).map((j, i) => (ok.has(dataRefIds[i]) ? j : null));
  }
  extractionJobs(filter: { status?: ExtractionStatus | null }, page: PageArgs) {
    return filteredPage(
      (p) => this.inner.extractionJobs(filter, p),
      async (rows: ExtractionJobRow[]) => {
        const ok = await this.scope.refsVisible(rows.map((j) => j.dataRefId));
        return rows.filter((j) => ok.has(j.dataRefId));
      },
      page,
    );
  }

  // --- the write path ------------------------------------------------------------------------
  ingestRefs(runIds: string[], taskIds: string[]): Promise<IngestRefs> {
    return this.inner.ingestRefs(runIds, taskIds);
  }
  transaction<T>(fn: (tx: IngestTx) => Promise<T>): Promise<T> {
    return this.inner.transaction(fn);
  }
  // A write, like transaction: ingest has checked each event's study before it gets here.
  writeFresh(rows: BatchRows, changes: readonly LiveChangeInput[]) {
    return this.inner.writeFresh(rows, changes);
  }
  // Parked events wait for a run whose study is not known yet: a study-limited token's events are
  // never parked (ingest rejects them as before), and the parked ones of every study are not its to read.
  parkEvents(_rows: readonly ParkInput[]): Promise<number> {
    return Promise.reject(new ForbiddenError('events of a study-limited token are not parked', { field: 'events' }));
  }
  parkedSummary() {
    return this.inner.parkedSummary();
  }
  parkedEvents(_limit: number): Promise<never> {
    return Promise.reject(
      new ForbiddenError('parked events are listed to tokens for every study only', { field: 'parkedEvents' }),
    );
  }
  deleteParkedEvents(): Promise<never> {
    return Promise.reject(
      new ForbiddenError('parked events are deleted by tokens for every study only', { field: 'deleteParkedEvents' }),
    );
  }
  ping() {
    return this.inner.ping();
  }
  close() {
    return this.inner.close();
  }
}
