import type { AppDeps } from '../context';
import { ingestBatch } from '../ingest/ingest-batch';
import { specHash } from '../ingest/workflow-spec';
import { DEMO_SPECS } from './demo-specs';
import { demoEvents } from './demo-events';

export interface DemoLoadResult {
  accepted: number;
  duplicates: number;
  rejected: number;
}

/** Registers the demo specs and ingests its events; idempotent (fixed event ids). */
export async function loadDemo(
  deps: Pick<AppDeps, 'store' | 'catalog' | 'config' | 'log'>,
  epochs?: number,
): Promise<DemoLoadResult> {
  for (const spec of DEMO_SPECS) await deps.store.registerWorkflow(spec, specHash(spec));
  const events = demoEvents(epochs);
  const total: DemoLoadResult = { accepted: 0, duplicates: 0, rejected: 0 };
  const size = Math.min(deps.config.maxBatchEvents, 5000);
  for (let i = 0; i < events.length; i += size) {
    const r = await ingestBatch(events.slice(i, i + size), {
      store: deps.store,
      catalog: deps.catalog,
      maxBatchEvents: deps.config.maxBatchEvents,
    });
    if (r.rejected) throw new Error(`demo event rejected: ${r.issues[0].field}: ${r.issues[0].message}`);
    total.accepted += r.accepted;
    total.duplicates += r.duplicates;
  }
  return total;
}

/** Loads the demo on first start only: an empty store gets the paper's lifecycle. */
export async function loadDemoIfEmpty(deps: Pick<AppDeps, 'store' | 'catalog' | 'config' | 'log'>): Promise<void> {
  const existing = await deps.store.workflows({}, { first: 1 });
  if (existing.items.length) return;
  const started = Date.now();
  const r = await loadDemo(deps);
  deps.log.info('loaded the demo lifecycle', { events: r.accepted, ms: Date.now() - started });
}
