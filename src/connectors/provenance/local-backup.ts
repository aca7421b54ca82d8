import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../../logger';
import { PROVML_VERSION } from '../../provml-version';
import { assertClusterVersion, clusterVersion } from './cluster-version';
import { acquireDataDirLock } from './data-dir-lock';
import { chooseClusterDir, isCluster, locateCluster, stopOrphan } from './local-postgres';
import { readLocalState, writeLocalState } from './local-state';
import { resolvePostgresBinaries } from './postgres-binaries';
import { livePostmaster, resetPassword } from './postgres-process';

/**
 * `provml backup` / `provml restore` of the local store: a cold copy of its PostgreSQL cluster,
 * taken while no PostgreSQL runs on it (the data directory's lock is held throughout, so no
 * provml can start one meanwhile). Cold, not pg_dump, because the package ships only initdb,
 * pg_ctl and postgres (no pg_dump nor pg_basebackup), and a stopped cluster copied file by file
 * is consistent by construction: what a restore starts is what the last provml committed.
 *
 * A backup is a directory: `postgres/` (the cluster, without postmaster.pid) and
 * `provml-backup.json` (what made it). It is written under a temporary name, fsynced, then
 * renamed, so DEST is a whole backup or absent.
 */

export const BACKUP_MANIFEST = 'provml-backup.json';

export interface BackupManifest {
  format: 1;
  provmlVersion: string;
  /** PG_VERSION of the cluster: a restore needs binaries of this major version. */
  postgresMajor: string;
  createdAt: string;
  sourceDataDir: string;
}

/** A backup or restore that cannot go ahead; nothing was changed. */
export class BackupError extends Error {
  constructor(
    readonly code: 'BACKUP_DEST_EXISTS' | 'NO_LOCAL_STORE' | 'NOT_A_BACKUP' | 'RESTORE_TARGET_HOLDS_A_STORE',
    message: string,
  ) {
    super(message);
    this.name = 'BackupError';
  }
}

// Files a copy leaves out: the running server's pid file (a restore is not running) and its options.
const SKIPPED = new Set(['postmaster.pid', 'postmaster.opts']);

async function fsyncPath(p: string): Promise<void> {
  const fh = await fs.open(p, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Copies a cluster directory tree, modes kept, every file and directory fsynced; `owner` chowns
 * (root restoring for the postgres user). The pid files at the top are left out.
 */
async function copyTree(from: string, to: string, owner?: { uid: number; gid: number }, top = true): Promise<void> {
  const st = await fs.stat(from);
  await fs.mkdir(to, { mode: st.mode & 0o7777 });
  await fs.chmod(to, st.mode & 0o7777);
  for (const entry of await fs.readdir(from, { withFileTypes: true })) {
    if (top && SKIPPED.has(entry.name)) continue;
    const src = path.join(from, entry.name);
    const dst = path.join(to, entry.name);
    if (entry.isDirectory()) await copyTree(src, dst, owner, false);
    else if (entry.isSymbolicLink()) await fs.symlink(await fs.readlink(src), dst);
    else if (entry.isFile()) {
      await fs.copyFile(src, dst, fs.constants.COPYFILE_EXCL);
      await fs.chmod(dst, (await fs.stat(src)).mode & 0o7777);
      if (owner) await fs.chown(dst, owner.uid, owner.gid);
      await fsyncPath(dst);
    }
  }
  if (owner) await fs.chown(to, owner.uid, owner.gid);
  await fsyncPath(to);
}

/** Copies the local store of `dataDir` to `dest` (which must not exist). Refuses while a provml holds it. */
export async function backupLocalStore(dataDir: string, dest: string, log: Logger): Promise<BackupManifest> {
  const target = path.resolve(dest);
  if (existsSync(target))
    throw new BackupError('BACKUP_DEST_EXISTS', `${target} exists; a backup never overwrites: give a new name`);
  if (!existsSync(dataDir)) throw new BackupError('NO_LOCAL_STORE', `there is no local store in ${dataDir} (PROVML_DATA_DIR)`);
  // Held until the copy is complete: no provml can start PostgreSQL on the cluster meanwhile.
  const lock = await acquireDataDirLock(dataDir, log);
  try {
    const bins = await resolvePostgresBinaries(log);
    const state = await readLocalState(path.join(dataDir, 'local-postgres.json'));
    const cluster = await locateCluster(dataDir, state.clusterDir, bins, log);
    if (!isCluster(cluster)) throw new BackupError('NO_LOCAL_STORE', `there is no local store in ${dataDir} (PROVML_DATA_DIR)`);
    // A PostgreSQL left running by a killed provml: a fast shutdown first, so the copy is of a stopped cluster.
    await stopOrphan(dataDir, cluster, lock, log);
    if ((await livePostmaster(cluster)) !== null)
      throw new Error(`a PostgreSQL still runs on ${cluster}; not copying a live cluster`);
    const manifest: BackupManifest = {
      format: 1,
      provmlVersion: PROVML_VERSION,
      postgresMajor: clusterVersion(cluster)!,
      createdAt: new Date().toISOString(),
      sourceDataDir: dataDir,
    };
    const partial = `${target}.partial-${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      await fs.mkdir(partial, { mode: 0o700 });
      await copyTree(cluster, path.join(partial, 'postgres'));
      await fs.writeFile(path.join(partial, BACKUP_MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
      await fsyncPath(path.join(partial, BACKUP_MANIFEST));
      await fsyncPath(partial);
      if (existsSync(target)) throw new BackupError('BACKUP_DEST_EXISTS', `${target} appeared meanwhile; not replacing it`);
      await fs.rename(partial, target);
      await fsyncPath(path.dirname(target));
    } finally {
      await fs.rm(partial, { recursive: true, force: true });
    }
    log.info('backed up the local store', { dataDir, to: target });
    return manifest;
  } finally {
    lock.release();
  }
}

async function readManifest(source: string): Promise<BackupManifest> {
  const file = path.join(source, BACKUP_MANIFEST);
  let manifest: Partial<BackupManifest>;
  try {
    manifest = JSON.parse(await fs.readFile(file, 'utf8')) as Partial<BackupManifest>;
  } catch (err) {
    throw new BackupError('NOT_A_BACKUP', `${source} is not a provml backup: ${file}: ${(err as Error).message}`);
  }
  if (manifest.format !== 1 || !isCluster(path.join(source, 'postgres')))
    throw new BackupError('NOT_A_BACKUP', `${source} is not a provml backup (format 1 with a postgres/ cluster)`);
  return manifest as BackupManifest;
}

/**
 * Restores a backup into `dataDir`, which must hold no store (an existing one is never replaced:
 * move it aside first). The cluster gets a fresh password, recorded in local-postgres.json.
 */
export async function restoreLocalStore(source: string, dataDir: string, log: Logger): Promise<BackupManifest> {
  const from = path.resolve(source);
  const manifest = await readManifest(from);
  const bins = await resolvePostgresBinaries(log);
  assertClusterVersion(path.join(from, 'postgres'), bins.major);
  await fs.mkdir(dataDir, { recursive: true });
  const lock = await acquireDataDirLock(dataDir, log);
  try {
    const stateFile = path.join(dataDir, 'local-postgres.json');
    const state = await readLocalState(stateFile);
    const existing = await locateCluster(dataDir, state.clusterDir, bins, log);
    if (isCluster(existing))
      throw new BackupError(
        'RESTORE_TARGET_HOLDS_A_STORE',
        `${dataDir} already holds a local store (${existing}); a restore never replaces one: move it aside or restore into another PROVML_DATA_DIR`,
      );
    const cluster = await chooseClusterDir(dataDir, bins, log);
    if (existsSync(cluster) && (await fs.readdir(cluster)).length > 0)
      throw new BackupError('RESTORE_TARGET_HOLDS_A_STORE', `${cluster} is not empty; not restoring over it`);
    await fs.rm(cluster, { recursive: true, force: true });
    await fs.mkdir(path.dirname(cluster), { recursive: true, mode: 0o755 });
    const partial = `${cluster}.restoring-${process.pid}`;
    try {
      await copyTree(path.join(from, 'postgres'), partial, bins.user);
      // PostgreSQL insists on a private cluster directory.
      await fs.chmod(partial, 0o700);
      await fs.rename(partial, cluster);
      await fsyncPath(path.dirname(cluster));
    } finally {
      await fs.rm(partial, { recursive: true, force: true });
    }
    const password = randomBytes(18).toString('base64url');
    await writeLocalState(stateFile, { clusterDir: cluster, port: 0, password });
    await resetPassword(bins, cluster, password);
    log.info('restored the local store', { from, dataDir, clusterDir: cluster });
    return manifest;
  } finally {
    lock.release();
  }
}
