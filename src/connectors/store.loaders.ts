import DataLoader from 'dataloader';
import type { KnowledgeDescription } from './knowledge/knowledge-store';
import type { StoredDocument } from './documents/document-store';
import type { ObjectMetadata } from './objects/object-store';
import { toStoreError } from './store-call';
import type { StoreRegistry } from './store-registry';

/**
 * Per-request dataloaders over the users' stores: one loader per store id, made on first use,
 * so one query level costs one connector call per store whatever the number of references.
 * Keys are the store's own keys (after the registry's uriMap). A failed key rejects only its own
 * load: the connector puts typed errors in slots, and a call that throws fills every slot.
 */
export interface StoreLoaders {
  knowledge(storeId: string): DataLoader<string, KnowledgeDescription | null>;
  documents(storeId: string): DataLoader<string, StoredDocument | null>;
  objects(storeId: string): DataLoader<string, ObjectMetadata | null>;
}

/** A data reference as the store subschemas see it: the merge key of `DataReference`. */
export interface RefKey {
  uri: string;
  store: string;
}

const MAX_BATCH = 500;

function slotted<V>(storeId: string, call: (keys: readonly string[]) => Promise<Array<V | null | Error>>) {
  return async (keys: readonly string[]): Promise<Array<V | null | Error>> => {
    try {
      return await call(keys);
    } catch (err) {
      const e = toStoreError(storeId, err, 0);
      return keys.map(() => e);
    }
  };
}

export function createStoreLoaders(registry: StoreRegistry): StoreLoaders {
  const cache = new Map<string, DataLoader<string, unknown>>();
  function loader<V>(role: string, storeId: string, make: () => DataLoader<string, V>): DataLoader<string, V> {
    const k = `${role}\u0000${storeId}`;
    let l = cache.get(k);
    if (!l) cache.set(k, (l = make() as DataLoader<string, unknown>));
    return l as DataLoader<string, V>;
  }
  const store = (id: string) => {
    const s = registry.get(id);
    if (!s) throw new Error(`no store ${id} in the registry`);
    return s;
  };
  return {
    knowledge: (id) =>
      loader('knowledge', id, () => {
        const s = store(id);
        if (s.kind !== 'sparql') throw new Error(`store ${id} is not a knowledge store`);
        return new DataLoader(
          slotted(id, (keys) => s.knowledge.describe(keys)),
          { maxBatchSize: MAX_BATCH },
        );
      }),
    documents: (id) =>
      loader('documents', id, () => {
        const s = store(id);
        if (s.kind !== 'mongodb') throw new Error(`store ${id} is not a document store`);
        return new DataLoader(
          slotted(id, (keys) => s.documents.findByUris(keys)),
          { maxBatchSize: MAX_BATCH },
        );
      }),
    objects: (id) =>
      loader('objects', id, () => {
        const s = store(id);
        if (s.kind !== 's3' && s.kind !== 'fs') throw new Error(`store ${id} is not an object store`);
        return new DataLoader(
          slotted(id, (keys) => s.objects.stat(keys)),
          { maxBatchSize: MAX_BATCH },
        );
      }),
  };
}

/**
 * Asks every store of one role for a key (all loads start together, so each store still gets one
 * batched call) and keeps the first answer in config order. A store that failed before the first
 * answer makes the whole field fail with its typed error: the answer might have been there.
 */
export async function firstAnswer<V>(
  storeIds: readonly string[],
  load: (storeId: string) => Promise<V | null>,
): Promise<{ storeId: string; value: V } | null> {
  const settled = await Promise.allSettled(storeIds.map((id) => load(id)));
  for (let i = 0; i < settled.length; i++) {
    const s = settled[i];
    if (s.status === 'rejected') throw s.reason;
    if (s.value !== null) return { storeId: storeIds[i], value: s.value };
  }
  return null;
}
