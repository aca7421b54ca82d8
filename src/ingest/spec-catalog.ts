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
 * In-memory cache of prospective specs, one per replica. What a cached version holds stays true
 * for ever: a version is never altered, only grown (ProvLake's route adds transformations with
 * extendWorkflow; ingest adds attributes no spec declared). So a cache is never wrong, only
 * short, and a miss is checked against the store before an event is rejected (refresh):
 * another replica may have grown the version. New versions are looked up by name per batch,
 * never cached by name, so a spec registered on one replica is used by the next batch on any.
 * Undeclared attributes are added only after the transaction that created them committed; one
 * that another replica created is found by ensureAttributes (ON CONFLICT DO NOTHING, read back).
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

  /**
   * Re-reads the transformations of cached versions (another replica may have added some);
   * resolves true when any were new here. Entries grow in place: batches holding them see it.
   */
  async refresh(workflowIds: readonly string[]): Promise<boolean> {
    const ids = [...new Set(workflowIds)].filter((id) => this.entries.has(id));
    if (!ids.length) return false;
    const transformations = await this.store.transformationsByWorkflowIds(ids);
    let grew = false;
    ids.forEach((id, i) => {
      const entry = this.entries.get(id)!;
      for (const t of transformations[i]) {
        if (entry.transformationsByName.has(t.name)) continue;
        entry.transformationsByName.set(t.name, t);
        grew = true;
      }
    });
    return grew;
  }

  addAttributes(rows: AttributeRow[]): void {
    for (const a of rows) {
      this.entries.get(a.workflowId)?.attributes.set(attributeKey(a.transformationId, a.direction, a.name), a);
    }
  }
}
