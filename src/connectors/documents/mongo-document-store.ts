import type { Collection, Document, Filter } from 'mongodb';
import { ProvmlError, StoreTimeoutError } from '../../errors';
import { DEFAULT_TIMEOUT_MS, toStoreError, withDeadline, type StoreCallOptions } from '../store-call';
import { checkUpsert, mergeDocument, newFeature } from './document-merge';
import { checkFieldPath, checkLimit, keysOf, matchByUri, toStoredDocument, uriProblem } from './document-shape';
import {
  DEFAULT_GEOMETRY_FIELD,
  DEFAULT_KEY_FIELD,
  MAX_INTERSECTS_LIMIT,
  type DocumentStore,
  type StoredDocument,
  type UpsertDocument,
} from './document-store';
import { parseGeometry } from './geojson-geometry';

export interface MongoDocumentStoreOptions extends StoreCallOptions {
  keyField?: string;
  geometryField?: string;
}

/**
 * Document store over a MongoDB collection (official driver). Filters are built here from
 * checked strings and rebuilt geometries only, and field paths are configuration checked
 * against `$`, so no caller value can become an operator. One `find` serves a whole batch.
 */
export class MongoDocumentStore implements DocumentStore {
  readonly id: string;
  private readonly timeoutMs: number;
  private readonly keyField: string;
  private readonly geometryField: string;

  constructor(
    private readonly collection: Collection<Document>,
    private readonly options: MongoDocumentStoreOptions,
  ) {
    this.id = options.id;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.keyField = checkFieldPath(options.keyField ?? DEFAULT_KEY_FIELD, 'keyField');
    this.geometryField = checkFieldPath(options.geometryField ?? DEFAULT_GEOMETRY_FIELD, 'geometryField');
  }

  /** Creates the 2dsphere and key indexes (demo loading and tests; production owns its indexes). */
  async ensureIndexes(): Promise<void> {
    await this.call(() => this.collection.createIndex({ [this.geometryField]: '2dsphere' }));
    await this.call(() => this.collection.createIndex({ [this.keyField]: 1 }));
    await this.call(() => this.collection.createIndex({ [`properties.${this.keyField}`]: 1 }));
  }

  async findByUris(uris: readonly string[]): Promise<Array<StoredDocument | null | Error>> {
    const wanted = [...new Set(uris.filter((u) => uriProblem(u) === null))];
    if (wanted.length === 0) return matchByUri(uris, [], this.keyField, this.geometryField);
    const filter: Filter<Document> = {
      $or: [{ [this.keyField]: { $in: wanted } }, { [`properties.${this.keyField}`]: { $in: wanted } }],
    };
    try {
      const docs = await this.call((signal) =>
        this.collection
          .find(filter, { maxTimeMS: this.timeoutMs, signal })
          .sort({ _id: 1 })
          .limit(wanted.length * 10 + 100)
          .toArray(),
      );
      return matchByUri(
        uris,
        docs.map((raw) => ({ id: String(raw._id), raw })),
        this.keyField,
        this.geometryField,
      );
    } catch (err) {
      const typed = this.typed(err);
      return uris.map((u) => (uriProblem(u) ? matchByUri([u], [], this.keyField, this.geometryField)[0] : typed));
    }
  }

  async intersects(geometry: unknown, limit: number): Promise<StoredDocument[]> {
    const shape = parseGeometry(geometry);
    const max = checkLimit(limit, MAX_INTERSECTS_LIMIT);
    const filter: Filter<Document> = { [this.geometryField]: { $geoIntersects: { $geometry: shape } } };
    try {
      const docs = await this.call((signal) =>
        this.collection.find(filter, { maxTimeMS: this.timeoutMs, signal }).sort({ _id: 1 }).limit(max).toArray(),
      );
      return docs.map((raw) => toStoredDocument(raw, String(raw._id), keysOf(raw, this.keyField)[0] ?? '', this.geometryField));
    } catch (err) {
      throw this.typed(err);
    }
  }

  /**
   * Replaces the document keyed by the URI (the one findByUris picks: smallest `_id`) with its
   * merged form, or inserts a Feature. A whole-document replace, not `$set`: the values come
   * from checkUpsert (a rebuilt geometry, checked property names), so none can be an operator.
   */
  async upsert(input: UpsertDocument): Promise<boolean> {
    const doc = checkUpsert(input);
    const filter: Filter<Document> = { $or: [{ [this.keyField]: doc.uri }, { [`properties.${this.keyField}`]: doc.uri }] };
    try {
      const [current] = await this.call((signal) =>
        this.collection.find(filter, { maxTimeMS: this.timeoutMs, signal }).sort({ _id: 1 }).limit(1).toArray(),
      );
      if (!current) {
        await this.call(() =>
          this.collection.insertOne(newFeature(doc, this.keyField, this.geometryField), { maxTimeMS: this.timeoutMs }),
        );
        return true;
      }
      const { _id, ...raw } = current;
      const next = mergeDocument(raw, doc, this.geometryField);
      if (!next) return false;
      await this.call(() => this.collection.replaceOne({ _id }, next, { maxTimeMS: this.timeoutMs }));
      return true;
    } catch (err) {
      throw this.typed(err);
    }
  }

  async close(): Promise<void> {
    // The MongoClient is shared and closed by whoever made it (the store registry).
  }

  private call<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    return withDeadline(this.id, this.timeoutMs, fn);
  }

  private typed(err: unknown): ProvmlError {
    const e = err as { name?: unknown; code?: unknown };
    // 50 = MaxTimeMSExpired: the server gave up at our deadline.
    if (e.code === 50 || e.name === 'MongoOperationTimeoutError' || e.name === 'MongoNetworkTimeoutError') {
      return new StoreTimeoutError(this.id, this.timeoutMs);
    }
    const typed = toStoreError(this.id, err, this.timeoutMs);
    this.options.log?.('warn', 'mongodb call failed', { store: this.id, code: typed.extensions.code, error: typed.message });
    return typed;
  }
}
