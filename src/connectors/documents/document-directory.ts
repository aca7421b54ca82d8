import { randomBytes } from 'node:crypto';
import { readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BadUserInputError } from '../../errors';

export interface FileDocument {
  /** `<path relative to the directory>#<index>`; FeatureCollections and arrays give one per item. */
  id: string;
  raw: Record<string, unknown>;
}

/**
 * What a directory held when it was last read, file by file. A file's stamp (inode, size,
 * mtime in ns) changes on every write: provml writes by rename (a new inode), an editor in place
 * moves the mtime. Comparing stamps is how one replica sees what another one wrote.
 */
export interface DirectorySnapshot {
  files: Map<string, { stamp: string; documents: FileDocument[] }>;
}

const DOCUMENT_FILE = /\.(geo)?json$/i;

/** The stamps of every .geojson / .json file under `dir` (recursively), by relative path. */
export async function stampDirectory(dir: string): Promise<Map<string, string>> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const rels = entries
    .filter((e) => e.isFile() && DOCUMENT_FILE.test(e.name))
    .map((e) => path.relative(dir, path.join(e.parentPath ?? dir, e.name)))
    .sort();
  const out = new Map<string, string>();
  await Promise.all(
    rels.map(async (rel) => {
      // Gone between readdir and stat (another replica renamed over it): the next scan sees it.
      const s = await stat(path.join(dir, rel), { bigint: true }).catch(() => null);
      if (s) out.set(rel, `${s.ino}:${s.size}:${s.mtimeNs}`);
    }),
  );
  return new Map([...out].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** The documents of one file (a Feature, a FeatureCollection, an object or an array of objects). */
export async function readDocumentFile(dir: string, rel: string): Promise<FileDocument[]> {
  // A read error (ENOENT: removed since the scan) passes as it is; only the parse is the user's.
  const text = await readFile(path.join(dir, rel), 'utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new BadUserInputError(`document file ${rel} is not valid JSON: ${(err as Error).message}`, 'documents');
  }
  const items =
    parsed && typeof parsed === 'object' && (parsed as { type?: unknown }).type === 'FeatureCollection'
      ? (parsed as { features?: unknown }).features
      : parsed;
  const list = Array.isArray(items) ? items : [items];
  return list.map((item, i) => {
    if (!item || typeof item !== 'object' || Array.isArray(item)) {
      throw new BadUserInputError(`document file ${rel} item ${i} is not a JSON object`, 'documents');
    }
    return { id: `${rel}#${i}`, raw: item as Record<string, unknown> };
  });
}

/**
 * Brings `previous` up to what is on disk: unchanged files keep their parsed documents, changed
 * and new ones are read, removed ones dropped. `onBadFile` decides about a file that does not
 * parse: at start-up that is an error (throw); later the file's last good content is kept (it
 * may be mid-edit by a person).
 */
export async function rescanDirectory(
  dir: string,
  previous: DirectorySnapshot,
  onBadFile: (rel: string, err: unknown) => void,
): Promise<{ snapshot: DirectorySnapshot; changed: boolean }> {
  const stamps = await stampDirectory(dir);
  let changed = stamps.size !== previous.files.size;
  const files = new Map<string, { stamp: string; documents: FileDocument[] }>();
  for (const [rel, stamp] of stamps) {
    const before = previous.files.get(rel);
    if (before && before.stamp === stamp) {
      files.set(rel, before);
      continue;
    }
    changed = true;
    try {
      files.set(rel, { stamp, documents: await readDocumentFile(dir, rel) });
    } catch (err) {
      // A file removed between the scan and the read is simply gone.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      onBadFile(rel, err);
      if (before) files.set(rel, before);
    }
  }
  return { snapshot: { files }, changed };
}

/** Every document of a snapshot, file by file in path order. */
export const documentsOf = (snapshot: DirectorySnapshot): FileDocument[] =>
  [...snapshot.files.values()].flatMap((f) => f.documents);

/** Reads every .geojson / .json file under `dir` (recursively), naming the file of any error. */
export async function readDocumentDirectory(dir: string): Promise<FileDocument[]> {
  const { snapshot } = await rescanDirectory(dir, { files: new Map() }, (_rel, err) => {
    throw err;
  });
  return documentsOf(snapshot);
}

/**
 * Writes JSON to `file` through a temp file and a rename, so a reader (this process or another
 * replica) sees the old content or the new one, never half. The temp name carries pid and random
 * bytes: replicas on several hosts may share the directory.
 */
export async function writeAtomically(file: string, content: unknown): Promise<void> {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, `${JSON.stringify(content, null, 2)}\n`, 'utf8');
  await rename(tmp, file);
}
