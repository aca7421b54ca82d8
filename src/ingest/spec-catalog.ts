import type { ProvenanceStore } from '../connectors/provenance/provenance-store';
import type { AttributeRow, TransformationRow, WorkflowRow } from '../connectors/provenance/rows';
import { ExecutionCache } from './execution-cache';

/** A registered workflow version with its transformations and attributes, indexed for ingest. */
export interface CatalogEntry {
  workflow: WorkflowRow;
  transformationsByName: Map<string, TransformationRow>;
  attributes: Map<string, AttributeRow>;
}

export const attributeKey = (transformationId: string | null, direction: string, name: string): string =>
  `${transformationId ?? ''}\u0000${direction}\u0000${name}`;

/**
 * In-memory cache of prospective specs. A workflow version never changes once registered, so
 * caching it is safe across server replicas; only attributes that no spec declared are added,
 * and only after the transaction that created them committed.
 */
export class SpecCatalog {
  private readonly entries = new Map<string, CatalogEntry>();
  /** Runs and tasks known to be stored, for ingest's look-ups (same process lifetime). */
  readonly executions = new ExecutionCache();

  constructor(private readonly store: ProvenanceStore) {}

  async get(workflowIds: string[]): Promise<Map<string, CatalogEntry>> {
    const missing = [...new Set(workflowIds)].filter((id) => !this.entries.has(id));
    if (missing.length) {
      const [workflows, transformations, attributes] = await Promise.all([
        this.store.workflowsByIds(missing),
        this.store.transformationsByWorkflowIds(missing),
        this.store.attributesByWorkflowIds(missing),
      ]);
      missing.forEach((id, i) => {
        const workflow = workflows[i];
        if (!workflow) return;
        this.entries.set(id, {
          workflow,
          transformationsByName: new Map(transformations[i].map((t) => [t.name, t])),
          attributes: new Map(attributes[i].map((a) => [attributeKey(a.transformationId, a.direction, a.name), a])),
        });
      });
    }
    const out = new Map<string, CatalogEntry>();
    for (const id of workflowIds) {
      const e = this.entries.get(id);
      if (e) out.set(id, e);
    }
    return out;
  }

  addAttributes(rows: AttributeRow[]): void {
    for (const a of rows) {
      this.entries.get(a.workflowId)?.attributes.set(attributeKey(a.transformationId, a.direction, a.name), a);
    }
  }
}
