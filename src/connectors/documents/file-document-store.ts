import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { BadUserInputError } from '../../errors';
import { toStoreError, type StoreCallOptions } from '../store-call';
import { withDirectoryLock } from './directory-lock';
import {
  documentsOf,
  emptySnapshot,
  foldersUnchanged,
  rescanDirectory,
  writeAtomically,
  type DirectorySnapshot,
  type FileDocument,
} from './document-directory';
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

export { readDocumentDirectory, type FileDocument } from './document-directory';

export interface FileDocumentStoreOptions extends StoreCallOptions {
  keyField?: string;
  geometryField?: string;
  /**
   * The directory the documents came from: upsert writes there, and every read first checks
   * it for files another process (a second replica, a person) wrote. Absent: memory only.
   */
  directory?: string;
  /**
   * Files are listed and stamped again at least this often (ms; default 2000). Between, a read
   * stats only the folders: enough to see what provml writes (by rename, which moves the
   * folder's mtime), not an edit made in place (a person's editor). 0: list before every read.
   */
  fullScanMs?: number;
}

/** Folder (inside the directory) of the documents upsert adds. */
export const UPSERT_FOLDER = 'provml-extracted';

/** Groups documents by their file (`<file>#<index>` ids), with no stamp: the next scan re-reads them. */
function snapshotOf(documents: FileDocument[]): DirectorySnapshot {
  const files: DirectorySnapshot['files'] = new Map();
  // No folder stamps: the first read of a store built from documents lists the directory.
  for (const doc of documents) {
    const rel = splitId(doc.id)[0];
    const entry = files.get(rel) ?? { stamp: '', documents: [] };
    entry.documents.push(doc);
    files.set(rel, entry);
  }
  return { files, dirs: new Map() };
}

/**
 * Document store over a directory of .geojson / .json files, held in memory (the embedded
 * default is for small, local sets). A file holds a Feature, a FeatureCollection, one object or
 * an array of objects. Spatial queries are planar (see planar-intersects.ts).
 *
 * Several replicas may share the directory: before each read the store compares every file's
 * stamp (inode, size, mtime) with what it holds and re-reads the files that changed, so a
 * footprint written by another replica's extraction worker is seen on the next read. Writes go
 * through a temp file and a rename (readers never see half a file) under a lock file in the
 * directory (a merge into a shared FeatureCollection loses nobody's write).
 */
export class FileDocumentStore implements DocumentStore {
  readonly id: string;
  private readonly keyField: string;
  private readonly geometryField: string;
  private snapshot: DirectorySnapshot;
  private documents: FileDocument[];
  private shapes: Array<{ doc: FileDocument; parts: ReturnType<typeof partsOf> }> = [];
  private scan: Promise<void> | null = null;
  private queuedScan: Promise<void> | null = null;
  private lastFullScan = 0;
  // Upserts one at a time in this process; the lock file orders them across processes.
  private writes: Promise<unknown> = Promise.resolve();

  constructor(
    documents: FileDocument[],
    private readonly options: FileDocumentStoreOptions,
    snapshot?: DirectorySnapshot,
  ) {
    this.id = options.id;
    this.keyField = checkFieldPath(options.keyField ?? DEFAULT_KEY_FIELD, 'keyField');
    this.geometryField = checkFieldPath(options.geometryField ?? DEFAULT_GEOMETRY_FIELD, 'geometryField');
    this.snapshot = snapshot ?? snapshotOf(documents);
    this.documents = documentsOf(this.snapshot);
    this.index();
  }

  static async fromDirectory(dir: string, options: FileDocumentStoreOptions): Promise<FileDocumentStore> {
    // At start-up a file that does not parse is the user's error, named.
    const started = Date.now();
    const { snapshot } = await rescanDirectory(dir, emptySnapshot(), (_rel, err) => {
      throw err;
    });
    const store = new FileDocumentStore([], { ...options, directory: options.directory ?? dir }, snapshot);
    store.lastFullScan = started;
    return store;
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
   * Brings memory up to the directory. A caller never joins a scan that began before it was
   * called (that scan may predate the write it is meant to see): it waits for the next one.
   */
  private refresh(): Promise<void> {
    if (!this.options.directory) return Promise.resolve();
    if (!this.scan) {
      this.scan = this.rescan().finally(() => (this.scan = null));
      return this.scan;
    }
    this.queuedScan ??= this.scan
      .catch(() => undefined)
      .then(() => {
        this.queuedScan = null;
        return this.refresh();
      });
    return this.queuedScan;
  }

  private async rescan(): Promise<void> {
    const dir = this.options.directory!;
    let next: Awaited<ReturnType<typeof rescanDirectory>>;
    const started = Date.now();
    try {
      const recent = started - this.lastFullScan < (this.options.fullScanMs ?? 2000);
      if (recent && (await foldersUnchanged(dir, this.snapshot))) return;
      next = await rescanDirectory(dir, this.snapshot, (rel, err) =>
        // Perhaps mid-edit by a person: keep the file's last good content, say so.
        this.options.log?.('warn', 'document file unreadable; keeping its last content', {
          store: this.id,
          file: rel,
          error: err instanceof Error ? err.message : String(err),
        }),
      );
    } catch (err) {
      throw toStoreError(this.id, err, 0);
    }
    this.lastFullScan = started;
    // Folder stamps move even when no document file changed (a temp file came and went).
    this.snapshot = { ...this.snapshot, dirs: next.snapshot.dirs };
    if (!next.changed) return;
    this.snapshot = next.snapshot;
    this.documents = documentsOf(next.snapshot);
    this.index();
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
    // Nothing to write (the usual case for a re-extraction): no lock, no file touched.
    await this.refresh();
    if (!this.planUpsert(doc)) return false;
    return withDirectoryLock(dir, async () => {
      // Under the lock, against what is on disk now: another replica may have just written.
      await this.refresh();
      const plan = this.planUpsert(doc);
      if (!plan) return false;
      if (plan.current) {
        const [rel, item] = splitId(plan.current.id);
        const onDisk: unknown = JSON.parse(await readFile(path.join(dir, rel), 'utf8'));
        await writeAtomically(path.join(dir, rel), replaceItem(onDisk, item, plan.next));
      } else {
        await mkdir(path.join(dir, UPSERT_FOLDER), { recursive: true });
        await writeAtomically(path.join(dir, UPSERT_FOLDER, fileNameFor(doc.uri)), plan.next);
      }
      // Memory learns the write the way it learns anyone's: from the file's new stamp.
      await this.refresh();
      return true;
    });
  }

  /** The document to rewrite (or none: a new Feature) and its next content; null: nothing changes. */
  private planUpsert(doc: UpsertDocument): { current?: FileDocument; next: Record<string, unknown> } | null {
    let current: FileDocument | undefined;
    for (const d of this.documents) {
      if (keysOf(d.raw, this.keyField).includes(doc.uri) && (!current || d.id < current.id)) current = d;
    }
    if (!current) return { next: newFeature(doc, this.keyField, this.geometryField) };
    const next = mergeDocument(current.raw, doc, this.geometryField);
    return next ? { current, next } : null;
  }

  async findByUris(uris: readonly string[]): Promise<Array<StoredDocument | null | Error>> {
    await this.refresh();
    return matchByUri(uris, this.documents, this.keyField, this.geometryField);
  }

  async intersects(geometry: unknown, limit: number): Promise<StoredDocument[]> {
    const query = partsOf(parseGeometry(geometry));
    const max = checkLimit(limit, MAX_INTERSECTS_LIMIT);
    await this.refresh();
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
