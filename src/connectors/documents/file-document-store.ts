import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { BadUserInputError } from '../../errors';
import type { StoreCallOptions } from '../store-call';
import { checkFieldPath, checkLimit, getPath, keysOf, matchByUri, toStoredDocument } from './document-shape';
import {
  DEFAULT_GEOMETRY_FIELD,
  DEFAULT_KEY_FIELD,
  MAX_INTERSECTS_LIMIT,
  type DocumentStore,
  type StoredDocument,
} from './document-store';
import { parseGeometry } from './geojson-geometry';
import { partsIntersect, partsOf } from './planar-intersects';

export interface FileDocumentStoreOptions extends StoreCallOptions {
  keyField?: string;
  geometryField?: string;
}

export interface FileDocument {
  /** `<path relative to the directory>#<index>`; FeatureCollections and arrays give one per item. */
  id: string;
  raw: Record<string, unknown>;
}

/**
 * Document store over a directory of .geojson / .json files, read once at start-up into
 * memory (the embedded default is for small, local sets). A file holds a Feature, a
 * FeatureCollection, one object or an array of objects. Spatial queries are planar (see
 * planar-intersects.ts).
 */
export class FileDocumentStore implements DocumentStore {
  readonly id: string;
  private readonly keyField: string;
  private readonly geometryField: string;
  private readonly shapes: Array<{ doc: FileDocument; parts: ReturnType<typeof partsOf> }> = [];

  constructor(
    private readonly documents: FileDocument[],
    options: FileDocumentStoreOptions,
  ) {
    this.id = options.id;
    this.keyField = checkFieldPath(options.keyField ?? DEFAULT_KEY_FIELD, 'keyField');
    this.geometryField = checkFieldPath(options.geometryField ?? DEFAULT_GEOMETRY_FIELD, 'geometryField');
    for (const doc of documents) {
      const raw = getPath(doc.raw, this.geometryField);
      if (raw == null) continue;
      try {
        this.shapes.push({ doc, parts: partsOf(parseGeometry(raw)) });
      } catch (err) {
        options.log?.('warn', 'document geometry ignored', { store: this.id, document: doc.id, error: String(err) });
      }
    }
    this.shapes.sort((a, b) => (a.doc.id < b.doc.id ? -1 : a.doc.id > b.doc.id ? 1 : 0));
  }

  static async fromDirectory(dir: string, options: FileDocumentStoreOptions): Promise<FileDocumentStore> {
    return new FileDocumentStore(await readDocumentDirectory(dir), options);
  }

  async findByUris(uris: readonly string[]): Promise<Array<StoredDocument | null | Error>> {
    return matchByUri(uris, this.documents, this.keyField, this.geometryField);
  }

  async intersects(geometry: unknown, limit: number): Promise<StoredDocument[]> {
    const query = partsOf(parseGeometry(geometry));
    const max = checkLimit(limit, MAX_INTERSECTS_LIMIT);
    const out: StoredDocument[] = [];
    for (const { doc, parts } of this.shapes) {
      if (!partsIntersect(query, parts)) continue;
      out.push(toStoredDocument(doc.raw, doc.id, keysOf(doc.raw, this.keyField)[0] ?? '', this.geometryField));
      if (out.length >= max) break;
    }
    return out;
  }

  async close(): Promise<void> {
    // Memory only.
  }
}

/** Reads every .geojson / .json file under `dir` (recursively), naming the file of any error. */
export async function readDocumentDirectory(dir: string): Promise<FileDocument[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files = entries
    .filter((e) => e.isFile() && /\.(geo)?json$/i.test(e.name))
    .map((e) => path.relative(dir, path.join(e.parentPath ?? dir, e.name)))
    .sort();
  const out: FileDocument[] = [];
  for (const rel of files) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readFile(path.join(dir, rel), 'utf8'));
    } catch (err) {
      throw new BadUserInputError(`document file ${rel} is not valid JSON: ${(err as Error).message}`, 'documents');
    }
    const items =
      parsed && typeof parsed === 'object' && (parsed as { type?: unknown }).type === 'FeatureCollection'
        ? (parsed as { features?: unknown }).features
        : parsed;
    const list = Array.isArray(items) ? items : [items];
    list.forEach((item, i) => {
      if (!item || typeof item !== 'object' || Array.isArray(item)) {
        throw new BadUserInputError(`document file ${rel} item ${i} is not a JSON object`, 'documents');
      }
      out.push({ id: `${rel}#${i}`, raw: item as Record<string, unknown> });
    });
  }
  return out;
}
