import type { WorkflowSpec } from '../ingest/workflow-spec';
import type { MetricFileReport } from './metric-files';

/** What an importer makes of a document: specs to register, then events to ingest, in order. */
export interface ImportPlan {
  source: 'provml' | 'yprov4ml' | 'prov-json';
  /** Specs; `version` is the version the document named (a provml export), to map onto ours. */
  specs: Array<{ spec: WorkflowSpec; version?: number }>;
  events: Array<Record<string, unknown>>;
  warnings: string[];
  /** One report per metric file the document references: read, or why not. */
  files: MetricFileReport[];
}

/** Attribute and transformation names as the spec grammar allows them. */
export const specName = (s: string): string => s.replace(/[^A-Za-z0-9_.:\-/ ]/g, '_').slice(0, 200) || '_';

/** Event ids from a digest of the document: the same file imports to the same ids (a no-op the second time). */
export function eventIds(prefix: string): () => string {
  let n = 0;
  return () => `${prefix}:${n++}`;
}
