import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freeLoopbackPort } from '../../src/connectors/provenance/local-postgres';

/**
 * Starts a real Virtuoso (Debian `virtuoso-opensource`) on free loopback ports with its database
 * in a temp directory, for one test file. SPARQL Update is granted to the SPARQL user so tests
 * can load data with INSERT DATA. Needs `virtuoso-t` and `isql-vt` on PATH.
 */
export interface VirtuosoServer {
  sparqlUrl: string;
  httpPort: number;
  sqlPort: number;
  dir: string;
  /** Runs one SQL statement through isql-vt as dba. */
  sql(statement: string): Promise<string>;
  /** Sends a SPARQL Update over HTTP. */
  update(sparqlUpdate: string): Promise<void>;
  /** Stops the server process (SIGSTOP/SIGCONT too, to simulate an outage). */
  /** Sends a signal; for SIGSTOP, resolves once the kernel shows the process stopped. */
  signal(sig: NodeJS.Signals): Promise<void>;
  /** SIGKILL, resolved once the process has exited (an outage, without guessing how long that takes). */
  kill(): Promise<void>;
  stop(): Promise<void>;
}

const INI = '/etc/virtuoso-opensource-7/virtuoso.ini';
const run = promisify(execFile);

export async function virtuosoAvailable(): Promise<boolean> {
  try {
    await run('virtuoso-t', ['-?'], { timeout: 5000 });
    return true;
  } catch (err) {
    return (err as { code?: unknown }).code !== 'ENOENT';
  }
}

/** A free loopback port (the same helper the local PostgreSQL uses). */
export const freePort = freeLoopbackPort;

export async function startVirtuoso(): Promise<VirtuosoServer> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'provml-virtuoso-'));
  const [sqlPort, httpPort] = [await freePort(), await freePort()];
  let section = '';
  const ini = (await readFile(INI, 'utf8'))
    .split('\n')
    .map((line) => {
      const header = /^\s*\[([^\]]+)\]/.exec(line);
      if (header) section = header[1];
      const key = /^\s*(\w+)\s*=\s*(.*)$/.exec(line);
      if (!key) return line;
      const [, name, value] = key;
      if (['DatabaseFile', 'ErrorLogFile', 'LockFile', 'TransactionFile', 'xa_persistent_file'].includes(name)) {
        const prefix = section === 'TempDatabase' ? 'temp-' : '';
        return `${name} = ${path.join(dir, prefix + path.basename(value.trim()))}`;
      }
      if (name === 'ServerPort' && section === 'Parameters') return `ServerPort = 127.0.0.1:${sqlPort}`;
      if (name === 'ServerPort' && section === 'HTTPServer') return `ServerPort = 127.0.0.1:${httpPort}`;
      if (name === 'DirsAllowed') return `DirsAllowed = ., ${dir}`;
      return line;
    })
    .join('\n');
  const iniPath = path.join(dir, 'virtuoso.ini');
  await writeFile(iniPath, ini);

  // +foreground keeps the server our child, so stop() can always find and end it.
  const child: ChildProcess = spawn('virtuoso-t', ['-c', iniPath, '+foreground'], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const sparqlUrl = `http://127.0.0.1:${httpPort}/sparql`;
  // A wait on a condition (the endpoint answers), with a bound far above a quiet start (a few
  // seconds): on a loaded CI machine Virtuoso has taken over a minute to open its database.
  const deadline = Date.now() + 150_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`virtuoso-t exited (${child.exitCode}):\n${output.slice(-2000)}`);
    try {
      const res = await fetch(`${sparqlUrl}?query=${encodeURIComponent('ASK {}')}`, {
        headers: { accept: 'application/sparql-results+json' },
        signal: AbortSignal.timeout(2000),
      });
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`virtuoso did not come up within 150 s:\n${output.slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }

  const sql = async (statement: string) => {
    const { stdout } = await run('isql-vt', [`127.0.0.1:${sqlPort}`, 'dba', 'dba', `exec=${statement}`], { timeout: 30_000 });
    return stdout;
  };
  await sql('GRANT SPARQL_UPDATE TO "SPARQL";');

  return {
    sparqlUrl,
    httpPort,
    sqlPort,
    dir,
    sql,
    async update(sparqlUpdate: string) {
      const res = await fetch(sparqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ update: sparqlUpdate }).toString(),
      });
      if (!res.ok) throw new Error(`SPARQL update failed (${res.status}): ${(await res.text()).slice(0, 500)}`);
    },
    async signal(sig: NodeJS.Signals) {
      child.kill(sig);
      if (sig !== 'SIGSTOP' || child.pid === undefined) return;
      // A stop takes effect when the process is next scheduled, not when kill(2) returns: on a
      // loaded machine a request sent at once was seen answered (in 4 ms) by the "stopped" server.
      const statePath = `/proc/${child.pid}/stat`;
      for (let waited = 0; waited < 2000; waited += 5) {
        const stat = await readFile(statePath, 'utf8').catch(() => '');
        if (stat.slice(stat.lastIndexOf(')') + 2)[0] === 'T') return;
        await new Promise((r) => setTimeout(r, 5));
      }
      throw new Error(`virtuoso-t (pid ${child.pid}) did not stop within 2 s of SIGSTOP`);
    },
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGKILL');
      await exited; // gone, not merely signalled: what a test asks next meets a closed port
    },
    async stop() {
      process.removeListener('exit', killOnExit);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGCONT');
        const exited = new Promise<void>((r) => child.once('exit', () => r()));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
