import type { AppDeps } from '../../context';
import { BadUserInputError } from '../../errors';
import { parseWorkflowSpec, specHash } from '../../ingest/workflow-spec';
import type { RunNeeds } from './provlake-events';

/**
 * ProvLake scripts name their data transformations as they run them and rarely send a
 * prospective spec first, while provml accepts only tasks whose transformation the run's
 * workflow version declares. So before a bag is ingested: a dataflow with no spec gets one
 * (version 1, made of the transformations seen), and a run's version that lacks a transformation
 * is extended in place with it (kind DATA_TRANSFORMATION; its attributes come undeclared, as
 * for any attribute no spec names). Nothing declared is ever changed.
 */
export async function ensureProvLakeSpecs(runs: Map<string, RunNeeds>, deps: Pick<AppDeps, 'store' | 'catalog'>): Promise<void> {
  if (!runs.size) return;
  // The same rule as a spec's transformation names (a grown version's spec stays valid).
  for (const n of runs.values()) {
    for (const t of n.transformations) {
      try {
        parseWorkflowSpec({ name: 'x', transformations: [{ name: t }] });
      } catch {
        throw new BadUserInputError(
          `invalid ProvLake request at prov_obj.dt: data transformation name ${JSON.stringify(t)} must use letters, digits, space and _ . : - / only`,
          'prov_obj.dt',
        );
      }
    }
  }
  const ids = [...runs.keys()];
  const existing = await deps.store.runsByIds(ids);
  const workflowOfRun = new Map<string, string>();
  existing.forEach((r, i) => r && workflowOfRun.set(ids[i], r.workflowId));

  // New runs bind to the latest version of their dataflow at workflowBegin: make sure there is one.
  const fresh = ids.filter((id) => !workflowOfRun.has(id));
  const byDataflow = new Map<string, Set<string>>();
  for (const id of fresh) {
    const n = runs.get(id)!;
    if (!n.dataflow) {
      throw new BadUserInputError(
        `missing dataflow_name: workflow execution ${JSON.stringify(id)} is unknown and the request names no dataflow_name`,
        'dataflow_name',
      );
    }
    const set = byDataflow.get(n.dataflow) ?? new Set<string>();
    n.transformations.forEach((t) => set.add(t));
    byDataflow.set(n.dataflow, set);
  }
  if (byDataflow.size) {
    const latest = await deps.store.latestWorkflows([...byDataflow.keys()]);
    for (const [name, transformations] of byDataflow) {
      let wf = latest.get(name);
      if (!wf) {
        const spec = parseWorkflowSpec({
          name,
          kind: 'DATA',
          description: `ProvLake dataflow ${name} (registered from its first retrospective request; grows as data transformations appear)`,
          transformations: [...transformations].map((t) => ({ name: t })),
        });
        wf = (await deps.store.registerWorkflow(spec, specHash(spec))).workflow;
      }
      for (const id of fresh) if (runs.get(id)!.dataflow === name) workflowOfRun.set(id, wf.id);
    }
  }

  const neededByWorkflow = new Map<string, Set<string>>();
  for (const [id, wfId] of workflowOfRun) {
    const set = neededByWorkflow.get(wfId) ?? new Set<string>();
    runs.get(id)!.transformations.forEach((t) => set.add(t));
    neededByWorkflow.set(wfId, set);
  }
  const entries = await deps.catalog.get([...neededByWorkflow.keys()]);
  for (const [wfId, needed] of neededByWorkflow) {
    const entry = entries.get(wfId);
    if (!entry) continue;
    const missing = [...needed].filter((t) => !entry.transformationsByName.has(t));
    if (!missing.length) continue;
    const rows = await deps.store.extendWorkflow(
      wfId,
      missing.map((name) => ({ name, kind: 'DATA_TRANSFORMATION' })),
    );
    // The catalog caches versions as immutable; this is the one place a version grows, so the
    // cached entry (shared by reference) learns the new transformations here. Another replica
    // whose cache is older takes the same path: it finds them missing and reads them back.
    for (const row of rows) entry.transformationsByName.set(row.name, row);
  }
}
