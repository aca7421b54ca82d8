import DataLoader from 'dataloader';
import type { ProvenanceStore } from './provenance-store';

/**
 * Per-request dataloaders over the long-lived store: one round trip per kind of read per query
 * level, whatever the number of parents. Made fresh for every operation so no request sees
 * another's cache.
 */
export function createProvenanceLoaders(store: ProvenanceStore) {
  const opts = { maxBatchSize: 1000 };
  return {
    workflow: new DataLoader((ids: readonly string[]) => store.workflowsByIds(ids), opts),
    study: new DataLoader((ids: readonly string[]) => store.studiesByIds(ids), opts),
    transformation: new DataLoader((ids: readonly string[]) => store.transformationsByIds(ids), opts),
    transformationsByWorkflow: new DataLoader((ids: readonly string[]) => store.transformationsByWorkflowIds(ids), opts),
    attributesByWorkflow: new DataLoader((ids: readonly string[]) => store.attributesByWorkflowIds(ids), opts),
    run: new DataLoader((ids: readonly string[]) => store.runsByIds(ids), opts),
    task: new DataLoader((ids: readonly string[]) => store.tasksByIds(ids), opts),
    taskAncestors: new DataLoader((ids: readonly string[]) => store.taskAncestors(ids), opts),
    agent: new DataLoader((ids: readonly string[]) => store.agentsByIds(ids), opts),
    dataRef: new DataLoader((ids: readonly string[]) => store.dataRefsByIds(ids), opts),
    dataRefsByUri: new DataLoader((uris: readonly string[]) => store.dataRefsByUris(uris), opts),
    derivedFrom: new DataLoader((ids: readonly string[]) => store.derivedFrom(ids), opts),
    modelsByUri: new DataLoader((uris: readonly string[]) => store.modelsByUris(uris), opts),
    value: new DataLoader((ids: readonly string[]) => store.valuesByIds(ids), opts),
    valuesByTask: new DataLoader((ids: readonly string[]) => store.valuesByTaskIds(ids), opts),
    runValues: new DataLoader((ids: readonly string[]) => store.runValuesByRunIds(ids), opts),
    usedByRef: new DataLoader((ids: readonly string[]) => store.valuesByDataRefIds(ids, 'USED'), opts),
    generatedByRef: new DataLoader((ids: readonly string[]) => store.valuesByDataRefIds(ids, 'GENERATED'), opts),
    relationsFrom: new DataLoader((ids: readonly string[]) => store.relationsFrom(ids), opts),
    metricNames: new DataLoader((ids: readonly string[]) => store.metricNames(ids), opts),
  };
}

export type ProvenanceLoaders = ReturnType<typeof createProvenanceLoaders>;
