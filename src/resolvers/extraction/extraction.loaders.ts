import DataLoader from 'dataloader';
import type { ExtractionJobRow } from '../../connectors/provenance/pg-extraction-jobs';
import type { RequestContext } from '../../context';

/**
 * The latest extraction job of each data reference, batched per request. Kept beside the
 * request's context (not in createContext) so the extraction resolvers stay self-contained.
 */
const loaders = new WeakMap<RequestContext, DataLoader<string, ExtractionJobRow | null>>();

export function extractionJobLoader(ctx: RequestContext): DataLoader<string, ExtractionJobRow | null> {
  let loader = loaders.get(ctx);
  if (!loader) {
    loader = new DataLoader((ids: readonly string[]) => ctx.store.latestExtractionJobs(ids));
    loaders.set(ctx, loader);
  }
  return loader;
}
