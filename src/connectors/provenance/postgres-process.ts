import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from '../../logger';
import type { PostgresBinaries } from './postgres-binaries';
import { isAlive, waitForExit } from './process-info';

/** The PostgreSQL programs run by the local store: initdb, single-user mode, the postmaster. */

function spawnAs(bins: PostgresBinaries, file: string, args: string[], stdin: 'ignore' | 'pipe' = 'ignore'): ChildProcess {
  return spawn(file, args, {
    ...(bins.user ?? {}),
    env: { ...process.env, LC_ALL: 'C', LANG: 'C' },
    stdio: [stdin, 'pipe', 'pipe'],
    // Its own process group: a Ctrl-C in the terminal reaches provml only, which drains its
    // requests before it stops PostgreSQL (a PostgreSQL stopped first would fail them).
    detached: true,
  });
}

async function runToEnd(child: ChildProcess, input?: string): Promise<{ code: number | null; out: string }> {
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  if (input !== undefined) child.stdin!.end(input);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  return { code, out };
}

const lastLines = (out: string) => out.trim().split('\n').slice(-3).join(' ');

export async function initdb(bins: PostgresBinaries, clusterDir: string, password: string): Promise<void> {
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
    const { code, out } = await runToEnd(
      spawnAs(bins, bins.initdb, [
        `--pgdata=${clusterDir}`,
        '--auth=scram-sha-256',
        '--username=postgres',
        `--pwfile=${pwfile}`,
        '--encoding=UTF8',
        '--locale=C',
      ]),
    );
    if (code !== 0) throw new Error(`initdb failed (exit ${code}): ${lastLines(out)}`);
  } finally {
    await fs.rm(pwfile, { force: true });
  }
}

/**
 * Sets the superuser's password of a stopped cluster in single-user mode (no network, no
 * authentication: the OS user that owns the cluster may). The cluster and its events stay as
 * they are; this is how a lost or damaged local-postgres.json is recovered.
 */
export async function resetPassword(bins: PostgresBinaries, clusterDir: string, password: string): Promise<void> {
  if (!/^[A-Za-z0-9_-]+$/.test(password)) throw new Error('refusing a password that would need quoting');
  const { code, out } = await runToEnd(
    spawnAs(bins, bins.postgres, ['--single', '-D', clusterDir, '-c', 'log_statement=none', 'postgres'], 'pipe'),
    `ALTER ROLE postgres WITH PASSWORD '${password}';\n`,
  );
  if (code !== 0 || /\b(ERROR|FATAL):/.test(out)) {
    throw new Error(`resetting the local PostgreSQL password in single-user mode failed (exit ${code}): ${lastLines(out)}`);
  }
}

/** Starts the postmaster on a loopback port and resolves once it accepts connections. */
export async function startPostmaster(
  bins: PostgresBinaries,
  clusterDir: string,
  port: number,
  log: Logger,
): Promise<ChildProcess> {
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
    child.once('exit', (code) => reject(new Error(`PostgreSQL exited during start-up (exit ${code}): ${lastLines(tail)}`)));
  });
  return child;
}

/** Fast shutdown (SIGINT): checkpoint, then exit; nothing PostgreSQL acknowledged is lost. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGINT');
  await exited;
}

/** The live postmaster of a cluster, from its postmaster.pid, or null. */
export async function livePostmaster(clusterDir: string): Promise<number | null> {
  const pidFile = path.join(clusterDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return null;
  const pid = Number((await fs.readFile(pidFile, 'utf8')).split('\n')[0]);
  return Number.isInteger(pid) && pid > 0 && isAlive(pid) ? pid : null;
}

export async function stopPostmaster(pid: number, clusterDir: string): Promise<void> {
  process.kill(pid, 'SIGINT');
  if (!(await waitForExit(pid, 30_000))) throw new Error(`PostgreSQL ${pid} holding ${clusterDir} did not stop within 30 s`);
}
