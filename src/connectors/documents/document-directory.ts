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
 *
 * `dirs` holds the stamp (inode, mtime) of each folder taken *before* its files were listed: a
 * rename into a folder (how provml writes) moves the folder's mtime, so unchanged folder stamps
 * mean no file was added, removed or replaced since, at the cost of one stat per folder. An
 * empty stamp (a folder first seen in the listing) never matches: the next check lists again.
 */
export interface DirectorySnapshot {
  files: Map<string, { stamp: string; documents: FileDocument[] }>;
  dirs: Map<string, string>;
}

export const emptySnapshot = (): DirectorySnapshot => ({ files: new Map(), dirs: new Map() });

const DOCUMENT_FILE = /\.(geo)?json$/i;

const byPath = ([a]: [string, unknown], [b]: [string, unknown]) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * File systems keep mtimes at a coarse clock (a few ms on Linux): a second write in the same tick
 * leaves the mtime as it was. A stamp whose mtime is this close to now may hide a write still to
 * come in its tick, so it is not trusted (stamped '', which never matches): what git does with
 * "racily clean" index entries.
 */
const RACY_MS = 100;

const trusted = (mtimeMs: bigint, stamp: string): string => (Date.now() - Number(mtimeMs) < RACY_MS ? '' : stamp);

async function folderStamp(dir: string, rel: string): Promise<string> {
  const s = await stat(path.join(dir, rel), { bigint: true }).catch(() => null);
  return s ? trusted(s.mtimeMs, `${s.ino}:${s.mtimeNs}`) : 'gone';
}

/** True when no folder of the snapshot changed since it was taken (see DirectorySnapshot). */
export async function foldersUnchanged(dir: string, snapshot: DirectorySnapshot): Promise<boolean> {
  if (!snapshot.dirs.size) return false;
  const now = await Promise.all(
    [...snapshot.dirs].map(async ([rel, stamp]) => stamp !== '' && (await folderStamp(dir, rel)) === stamp),
  );
  return now.every(Boolean);
}

/**
 * The stamps of every .geojson / .json file under `dir` (recursively), by relative path, and of
 * every folder (`''` is `dir`), the known folders stamped before the listing.
 */
export async function stampDirectory(
  dir: string,
  knownDirs: Iterable<string> = [''],
): Promise<{ files: Map<string, string>; dirs: Map<string, string> }> {
  const before = new Map<string, string>();
  await Promise.all([...new Set(['', ...knownDirs])].map(async (rel) => before.set(rel, await folderStamp(dir, rel))));
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const relOf = (e: (typeof entries)[number]) => path.relative(dir, path.join(e.parentPath ?? dir, e.name));
  const dirs = new Map<string, string>([['', before.get('')!]]);
  for (const e of entries) if (e.isDirectory()) dirs.set(relOf(e), before.get(relOf(e)) ?? '');
  const rels = entries.filter((e) => e.isFile() && DOCUMENT_FILE.test(e.name)).map(relOf);
  const files = new Map<string, string>();
  await Promise.all(
    rels.map(async (rel) => {
      // Gone between readdir and stat (another replica renamed over it): the next scan sees it.
      const s = await stat(path.join(dir, rel), { bigint: true }).catch(() => null);
      if (s) files.set(rel, trusted(s.mtimeMs, `${s.ino}:${s.size}:${s.mtimeNs}`));
    }),
  );
  return { files: new Map([...files].sort(byPath)), dirs };
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
  const { files: stamps, dirs } = await stampDirectory(dir, previous.dirs.keys());
  let changed = stamps.size !== previous.files.size;
  const files = new Map<string, { stamp: string; documents: FileDocument[] }>();
  for (const [rel, stamp] of stamps) {
    const before = previous.files.get(rel);
    if (before && stamp !== '' && before.stamp === stamp) {
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
  return { snapshot: { files, dirs }, changed };
}

/** Every document of a snapshot, file by file in path order. */
export const documentsOf = (snapshot: DirectorySnapshot): FileDocument[] =>
  [...snapshot.files.values()].flatMap((f) => f.documents);

/** Reads every .geojson / .json file under `dir` (recursively), naming the file of any error. */
export async function readDocumentDirectory(dir: string): Promise<FileDocument[]> {
  const { snapshot } = await rescanDirectory(dir, emptySnapshot(), (_rel, err) => {
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
