import DataLoader from 'dataloader';
import type { ProvenanceStore } from './provenance-store';
import type { RunTaskKey } from './rows';

/**
 * Loaders of a read that takes arguments besides its keys: one loader per distinct set of
 * arguments, made on first use, so parents asking the same field with the same arguments (Q4's
 * trainings, `durationStats(of: "batch")`) share one round trip.
 */
function perArguments<A, K, V>(argKey: (a: A) => string, make: (a: A) => DataLoader<K, V, string>) {
  const made = new Map<string, DataLoader<K, V, string>>();
  return (a: A): DataLoader<K, V, string> => {
    const k = argKey(a);
    let l = made.get(k);
    if (!l) made.set(k, (l = make(a)));
    return l;
  };
}

const runTaskCacheKey = (k: RunTaskKey) => `${k.runId}\u0000${k.taskId ?? ''}`;

/**
 * Per-request dataloaders over the long-lived store: one round trip per kind of read per query
 * level, whatever the number of parents. Made fresh for every operation so no request sees
 * another's cache.
 */
export function createProvenanceLoaders(store: ProvenanceStore) {
  const opts = { maxBatchSize: 1000 };
  const task = new DataLoader((ids: readonly string[]) => store.tasksByIds(ids), opts);
  // Values of references with their tasks: the tasks land in the task loader, so resolving the
  // activities of `usedBy` / `wasGeneratedBy` reads nothing more.
  const withTasks = (direction: 'USED' | 'GENERATED') =>
    new DataLoader(async (ids: readonly string[]) => {
      const lists = await store.valuesWithTasksByDataRefIds(ids, direction);
      for (const l of lists) for (const x of l) if (x.task) task.prime(x.task.id, x.task);
      return lists;
    }, opts);
  return {
    workflow: new DataLoader((ids: readonly string[]) => store.workflowsByIds(ids), opts),
    study: new DataLoader((ids: readonly string[]) => store.studiesByIds(ids), opts),
    transformation: new DataLoader((ids: readonly string[]) => store.transformationsByIds(ids), opts),
    transformationsByWorkflow: new DataLoader((ids: readonly string[]) => store.transformationsByWorkflowIds(ids), opts),
    attribute: new DataLoader((ids: readonly string[]) => store.attributesByIds(ids), opts),
    attributesByWorkflow: new DataLoader((ids: readonly string[]) => store.attributesByWorkflowIds(ids), opts),
    run: new DataLoader((ids: readonly string[]) => store.runsByIds(ids), opts),
    task,
    taskAncestors: new DataLoader((ids: readonly string[]) => store.taskAncestors(ids), opts),
    agent: new DataLoader((ids: readonly string[]) => store.agentsByIds(ids), opts),
    dataRef: new DataLoader((ids: readonly string[]) => store.dataRefsByIds(ids), opts),
    declaredDataStore: new DataLoader((ids: readonly string[]) => store.declaredDataStoresByIds(ids), opts),
    dataRefsByUri: new DataLoader((uris: readonly string[]) => store.dataRefsByUris(uris), opts),
    derivedFrom: new DataLoader((ids: readonly string[]) => store.derivedFrom(ids), opts),
    modelsByUri: new DataLoader((uris: readonly string[]) => store.modelsByUris(uris), opts),
    value: new DataLoader((ids: readonly string[]) => store.valuesByIds(ids), opts),
    valuesByTask: new DataLoader((ids: readonly string[]) => store.valuesByTaskIds(ids), opts),
    runValues: new DataLoader((ids: readonly string[]) => store.runValuesByRunIds(ids), opts),
    usedByRef: new DataLoader((ids: readonly string[]) => store.valuesByDataRefIds(ids, 'USED'), opts),
    generatedByRef: new DataLoader((ids: readonly string[]) => store.valuesByDataRefIds(ids, 'GENERATED'), opts),
    usedByRefWithTasks: withTasks('USED'),
    generatedByRefWithTasks: withTasks('GENERATED'),
    relationsFrom: new DataLoader((ids: readonly string[]) => store.relationsFrom(ids), opts),
    metricNames: new DataLoader((ids: readonly string[]) => store.metricNames(ids), opts),
    metricSeries: perArguments(
      (a: { name: string; context: string | null; limit: number }) => JSON.stringify([a.name, a.context, a.limit]),
      (a) => new DataLoader((ids: readonly string[]) => store.metricSeries(ids, a.name, a.context, a.limit), opts),
    ),
    gpuSummary: new DataLoader((keys: readonly RunTaskKey[]) => store.gpuSummary(keys), {
      ...opts,
      cacheKeyFn: runTaskCacheKey,
    }),
    telemetry: perArguments(
      (limit: number) => String(limit),
      (limit) =>
        new DataLoader((keys: readonly RunTaskKey[]) => store.telemetry(keys, limit), { ...opts, cacheKeyFn: runTaskCacheKey }),
    ),
    durationStats: perArguments(
      (of: string) => of,
      (of) => new DataLoader((ids: readonly string[]) => store.durationStats(ids, of), opts),
    ),
    modelsUnderTask: perArguments(
      (limit: number) => String(limit),
      (limit) => new DataLoader((ids: readonly string[]) => store.modelsUnderEachTask(ids, limit), opts),
    ),
  };
}

export type ProvenanceLoaders = ReturnType<typeof createProvenanceLoaders>;
