import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config';
import { silentLogger } from '../../src/logger';
import { startServer, type RunningServer } from '../../src/server';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';

/**
 * The real server (startServer, as `provml serve` runs it) over HTTP on a loopback port, with a
 * store registry the attacks aim past: a file-system store rooted in a temp folder (host paths),
 * and optionally a SPARQL server. Beside the root lie a secret file and a symlink leading to it,
 * and a "trap": a TCP listener on another loopback port that no store points at, counting every
 * connection, so a test can prove that nothing the server was asked to do reached it.
 */
export const SECRET = 'attack-suite-secret-3c1f9';

export interface Trap {
  port: number;
  url: string;
  /** Connections accepted so far. */
  hits(): number;
  /** Resolves once at least `n` connections arrived (a condition, not a sleep). */
  waitFor(n: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startTrap(): Promise<Trap> {
  let hits = 0;
  const waiters: Array<() => void> = [];
  const server = net.createServer((socket) => {
    hits += 1;
    socket.destroy();
    waiters.splice(0).forEach((w) => w());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    hits: () => hits,
    async waitFor(n, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (hits < n) {
        if (Date.now() > deadline) throw new Error(`trap saw ${hits} connections, expected ${n}`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 200).unref();
        });
      }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface AttackServer {
  base: string;
  url: string;
  server: RunningServer;
  /** The fs store's root; `outside` holds the secret, `root/escape` is a symlink to it. */
  root: string;
  outside: string;
  secretFile: string;
  gql<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>): Promise<GqlAnswer<T>>;
  close(): Promise<void>;
}

export interface GqlAnswer<T> {
  status: number;
  text: string;
  body: {
    data?: T | null;
    errors?: Array<{ message: string; path?: Array<string | number>; extensions?: Record<string, unknown> }>;
  };
}

export async function startAttackServer(
  options: { sparqlEndpoint?: string; env?: Record<string, string> } = {},
): Promise<AttackServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'provml-attack-'));
  const root = path.join(dir, 'root');
  const outside = path.join(dir, 'outside');
  fs.mkdirSync(path.join(root, 'data'), { recursive: true });
  fs.mkdirSync(outside);
  fs.writeFileSync(path.join(root, 'data', 'ok.txt'), 'inside the root\n');
  const secretFile = path.join(outside, 'secret.txt');
  fs.writeFileSync(secretFile, `${SECRET}\n`);
  fs.symlinkSync(outside, path.join(root, 'escape'));
  const stores: unknown[] = [{ id: 'files', kind: 'fs', options: { root } }];
  if (options.sparqlEndpoint) stores.push({ id: 'kg', kind: 'sparql', endpoint: options.sparqlEndpoint, timeoutMs: 10_000 });
  const configPath = path.join(dir, 'provml.config.json');
  fs.writeFileSync(configPath, JSON.stringify({ stores }));

  const db: TestDatabase = await createTestDatabase('provml_attack');
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    PROVML_DATABASE_URL: db.url,
    PROVML_DATA_DIR: path.join(dir, 'data-dir'),
    PROVML_DEMO: '0',
    PROVML_CONFIG: configPath,
    PROVML_LOG_LEVEL: 'silent',
    ...options.env,
  });
  let server: RunningServer;
  try {
    server = await startServer(config, silentLogger, { env: {}, drainMs: 1000 });
  } catch (err) {
    await db.drop();
    throw err;
  }
  const base = server.url.replace(/\/graphql$/, '');
  return {
    base,
    url: server.url,
    server,
    root,
    outside,
    secretFile,
    async gql<T>(query: string, variables?: Record<string, unknown>) {
      const res = await fetch(server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query, variables }),
      });
      const text = await res.text();
      return { status: res.status, text, body: JSON.parse(text) as GqlAnswer<T>['body'] };
    },
    async close() {
      await server.stop();
      await db.drop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The curation workflow: one task that uses one data reference. */
export const CURATION_SPEC = {
  name: 'curation',
  kind: 'DATA',
  transformations: [{ name: 'ingest_raw', used: [{ name: 'raw', role: 'DATA_REFERENCE' }] }],
};

export function curationEvents(run: string, refs: unknown[]): unknown[] {
  return [
    { id: `${run}:b`, type: 'workflowBegin', run, workflow: 'curation' },
    ...refs.map((ref, i) => ({
      id: `${run}:t${i}`,
      type: 'taskBegin',
      task: `${run}.t${i}`,
      run,
      transformation: 'ingest_raw',
      used: { raw: ref },
    })),
    { id: `${run}:e`, type: 'workflowEnd', run },
  ];
}

export const INGEST = `mutation($e: [JSON!]!) { ingest(events: $e) { accepted duplicates rejected issues { index field code message } } }`;
export const REGISTER = `mutation($s: WorkflowSpecInput!) { registerWorkflow(spec: $s) { name version } }`;
