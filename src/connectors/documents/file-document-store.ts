import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BadUserInputError } from '../../errors';
import type { StoreCallOptions } from '../store-call';
import { checkUpsert, mergeDocument, newFeature } from './document-merge';
import { checkFieldPath, checkLimit, getPath, keysOf, matchByUri, toStoredDocument } from './document-shape';
import {
  DEFAULT_GEOMETRY_FIELD,
  DEFAULT_KEY_FIELD,
  MAX_INTERSECTS_LIMIT,
  type DocumentStore,
  type StoredDocument,
  type UpsertDocument,
} from './document-store';
import { parseGeometry } from './geojson-geometry';
import { partsIntersect, partsOf } from './planar-intersects';

export interface FileDocumentStoreOptions extends StoreCallOptions {
  keyField?: string;
  geometryField?: string;
  /** The directory the documents came from; upsert writes there (absent: read-only). */
  directory?: string;
}

/** Folder (inside the directory) of the documents upsert adds. */
export const UPSERT_FOLDER = 'provml-extracted';

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
  private shapes: Array<{ doc: FileDocument; parts: ReturnType<typeof partsOf> }> = [];
  // Upserts one at a time: each rewrites a file and the in-memory index.
  private writes: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly documents: FileDocument[],
    private readonly options: FileDocumentStoreOptions,
  ) {
    this.id = options.id;
    this.keyField = checkFieldPath(options.keyField ?? DEFAULT_KEY_FIELD, 'keyField');
    this.geometryField = checkFieldPath(options.geometryField ?? DEFAULT_GEOMETRY_FIELD, 'geometryField');
    this.index();
  }

  static async fromDirectory(dir: string, options: FileDocumentStoreOptions): Promise<FileDocumentStore> {
    return new FileDocumentStore(await readDocumentDirectory(dir), { ...options, directory: options.directory ?? dir });
  }

  private index(): void {
    this.shapes = [];
    for (const doc of this.documents) {
      const raw = getPath(doc.raw, this.geometryField);
      if (raw == null) continue;
      try {
        this.shapes.push({ doc, parts: partsOf(parseGeometry(raw)) });
      } catch (err) {
        this.options.log?.('warn', 'document geometry ignored', { store: this.id, document: doc.id, error: String(err) });
      }
    }
    this.shapes.sort((a, b) => (a.doc.id < b.doc.id ? -1 : a.doc.id > b.doc.id ? 1 : 0));
  }

  /**
   * Rewrites the file of the document keyed by the URI (a Feature, a FeatureCollection item or
   * an array item keeps its place), or writes a new Feature to
   * `<directory>/provml-extracted/<uri as a name>.geojson`. Written atomically (temp + rename).
   */
  upsert(doc: UpsertDocument): Promise<boolean> {
    const run = this.writes.then(() => this.upsertNow(checkUpsert(doc)));
    this.writes = run.catch(() => undefined);
    return run;
  }

  private async upsertNow(doc: UpsertDocument): Promise<boolean> {
    const dir = this.options.directory;
    if (!dir) throw new BadUserInputError(`document store ${this.id} has no directory to write to`, 'documents');
    let current: FileDocument | undefined;
    for (const d of this.documents) {
      if (keysOf(d.raw, this.keyField).includes(doc.uri) && (!current || d.id < current.id)) current = d;
    }
    if (current) {
      const next = mergeDocument(current.raw, doc, this.geometryField);
      if (!next) return false;
      const [rel, item] = splitId(current.id);
      const onDisk: unknown = JSON.parse(await readFile(path.join(dir, rel), 'utf8'));
      await writeAtomically(path.join(dir, rel), replaceItem(onDisk, item, next));
      current.raw = next;
    } else {
      const rel = path.join(UPSERT_FOLDER, fileNameFor(doc.uri));
      const feature = newFeature(doc, this.keyField, this.geometryField);
      await mkdir(path.join(dir, UPSERT_FOLDER), { recursive: true });
      await writeAtomically(path.join(dir, rel), feature);
      this.documents.push({ id: `${rel.split(path.sep).join('/')}#0`, raw: feature });
    }
    this.index();
    return true;
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

const splitId = (id: string): [string, number] => {
  const at = id.lastIndexOf('#');
  return [id.slice(0, at), Number(id.slice(at + 1))];
};

/** The file's content with item `i` replaced, keeping its shape (Feature, collection, array). */
function replaceItem(onDisk: unknown, i: number, next: Record<string, unknown>): unknown {
  if (onDisk && typeof onDisk === 'object' && (onDisk as { type?: unknown }).type === 'FeatureCollection') {
    const features = [...((onDisk as { features: unknown[] }).features ?? [])];
    features[i] = next;
    return { ...(onDisk as object), features };
  }
  if (Array.isArray(onDisk)) return onDisk.map((x, j) => (j === i ? next : x));
  return next;
}

/** A readable, collision-free file name for a URI: its safe characters and a short hash. */
function fileNameFor(uri: string): string {
  const readable = uri
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/^[_.]+/, '')
    .slice(0, 100);
  return `${readable || 'document'}-${createHash('sha256').update(uri).digest('hex').slice(0, 10)}.geojson`;
}

async function writeAtomically(file: string, content: unknown): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(content, null, 2)}\n`, 'utf8');
  await rename(tmp, file);
}
