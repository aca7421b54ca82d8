import { keysOf } from '../../connectors/documents/document-shape';
import { DEFAULT_KEY_FIELD, MAX_INTERSECTS_LIMIT, type GeoJsonGeometry } from '../../connectors/documents/document-store';
import type { ValueRow } from '../../connectors/provenance/rows';
import { toStoreError } from '../../connectors/store-call';
import type { StoreRegistry } from '../../connectors/store-registry';
import type { RequestContext } from '../../context';
import { BadUserInputError } from '../../errors';

/**
 * The spatial question (issue 3, item 7): models trained on data that came from the domain
 * objects (seismic cubes) whose geometry intersects a given one. The document stores answer
 * which cubes; the rest is a forward walk over the provenance store:
 *   cube documents -> their keys -> reference URIs (the store's uriMap, inverted)
 *   -> tasks that used those files (data preparation) -> the data they generated (datasets)
 *   -> tasks that used the datasets (trainings) -> models generated under those tasks (epochs).
 * A model trained on the raw file itself is found too: the first hop's tasks are roots as well.
 * Each hop is one batched read through the request's dataloaders.
 */
export async function modelsTrainedOnArea(
  ctx: RequestContext,
  geometry: GeoJsonGeometry,
  first: number,
  storeId: string | null,
): Promise<ValueRow[]> {
  const uris = await urisIntersecting(ctx.registry, geometry, storeId);
  if (uris.length === 0 || first === 0) return [];
  const rawRefs = (await ctx.loaders.dataRefsByUri.loadMany(uris)).flatMap((r) => (Array.isArray(r) ? r : []));
  const rawIds = new Set(rawRefs.map((r) => r.id));
  const preparations = await tasksUsing(ctx, [...rawIds]);
  const generated = await ctx.loaders.valuesByTask.loadMany(preparations);
  const datasetIds = new Set<string>();
  for (const rows of generated) {
    if (rows instanceof Error) throw rows;
    for (const v of rows) if (v.direction === 'GENERATED' && v.dataRefId && !rawIds.has(v.dataRefId)) datasetIds.add(v.dataRefId);
  }
  const trainings = await tasksUsing(ctx, [...datasetIds]);
  const roots = [...new Set([...preparations, ...trainings])];
  return roots.length ? ctx.store.modelsUnderTasks(roots, first) : [];
}

/** Ids of the tasks that used any of the data references (run-level uses have no task to descend). */
async function tasksUsing(ctx: RequestContext, refIds: string[]): Promise<string[]> {
  const used = await ctx.loaders.usedByRef.loadMany(refIds);
  const tasks = new Set<string>();
  for (const rows of used) {
    if (rows instanceof Error) throw rows;
    for (const v of rows) if (v.taskId) tasks.add(v.taskId);
  }
  return [...tasks];
}

/**
 * Reference URIs of the documents whose geometry intersects `geometry`, over every document
 * store (or the one named). Any store failing fails the question with its typed error: a model
 * left out silently would be a wrong answer, not a partial one.
 */
async function urisIntersecting(
  registry: StoreRegistry | undefined,
  geometry: GeoJsonGeometry,
  storeId: string | null,
): Promise<string[]> {
  const all = registry?.withRole('documents') ?? [];
  const stores = storeId == null ? all : all.filter((s) => s.id === storeId);
  if (storeId != null && stores.length === 0) {
    throw new BadUserInputError(`store ${storeId} is not a document store of the registry`, 'store');
  }
  const found = await Promise.all(
    stores.map(async (s) => {
      try {
        return { s, docs: await s.documents.intersects(geometry, MAX_INTERSECTS_LIMIT) };
      } catch (err) {
        throw toStoreError(s.id, err, registry!.timeoutOf(s.id));
      }
    }),
  );
  const uris = new Set<string>();
  for (const { s, docs } of found) {
    const keyField = registry!.entryOf(s.id)?.options.keyField;
    for (const d of docs) {
      // A cube may be known by several keys (an IRI and a path): each may name references.
      const keys = new Set([d.uri, ...keysOf(d.properties, typeof keyField === 'string' ? keyField : DEFAULT_KEY_FIELD)]);
      for (const key of keys) if (key) for (const uri of registry!.urisFor(s.id, key)) uris.add(uri);
    }
  }
  return [...uris];
}
