import fs from 'node:fs';
import fsp from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { gql, runProvml, startServerProcess, type ServerProcess } from '../helpers/server-process';

// The local default store (a PostgreSQL that provml runs in its data directory) under what users
// do to it: lose its state file, start a second server on it, kill its PostgreSQL, stop provml.

const INGEST = `mutation($e: [JSON!]!) { ingest(events: $e) { accepted duplicates rejected } }`;
const REGISTER = `mutation($s: WorkflowSpecInput!) { registerWorkflow(spec: $s) { version } }`;
const CHILDREN = `{ task(id: "root") { children(first: 500) { nodes { id } } } }`;
const spec = { name: 'local-store', transformations: [{ name: 'step' }] };

const tasks = (prefix: string, n: number) =>
  Array.from({ length: n }, (_, i) => ({
    id: `${prefix}-${i}`,
    type: 'taskBegin',
    task: `${prefix}-t${i}`,
    run: 'local-run',
    parent: 'root',
    transformation: 'step',
  }));

async function seed(server: ServerProcess, n: number): Promise<void> {
  expect((await gql(server.url, REGISTER, { s: spec })).body.errors).toBeUndefined();
  const r = await gql<{ ingest: { accepted: number } }>(server.url, INGEST, {
    e: [
      { id: 'w0', type: 'workflowBegin', run: 'local-run', workflow: 'local-store' },
      { id: 'w1', type: 'taskBegin', task: 'root', run: 'local-run', transformation: 'step' },
      ...tasks('seed', n),
    ],
  });
  expect(r.body.data!.ingest.accepted).toBe(n + 2);
}

async function childCount(server: ServerProcess): Promise<number | null> {
  const res = await gql<{ task: { children: { nodes: unknown[] } } | null }>(server.url, CHILDREN);
  return res.body.data?.task?.children.nodes.length ?? null;
}

const postmasterPid = (clusterDir: string) =>
  Number(fs.readFileSync(path.join(clusterDir, 'postmaster.pid'), 'utf8').split('\n')[0]);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function exitOf(server: ServerProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  const { child } = server;
  if (child.exitCode === null && child.signalCode === null) await new Promise((r) => child.once('exit', r));
  return { code: child.exitCode, signal: child.signalCode };
}

describe('the local store of provml serve (real processes, real PostgreSQL)', () => {
  let dataDir: string;
  let clusterDir: string;
  let env: Record<string, string>;
  const started: ServerProcess[] = [];
  const start = async (extra: Record<string, string> = {}) => {
    const s = await startServerProcess({ ...env, ...extra });
    started.push(s);
    return s;
  };

  beforeEach(async () => {
    dataDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'provml-local-store-'));
    clusterDir = path.join(dataDir, 'postgres');
    env = { PROVML_DATA_DIR: dataDir, PROVML_DEMO: '0' };
  });
  afterEach(async () => {
    for (const s of started.splice(0)) await s.stop();
    await fsp.rm(dataDir, { recursive: true, force: true });
  });

  it('keeps every event when local-postgres.json is deleted or damaged between runs', async () => {
    const stateFile = path.join(dataDir, 'local-postgres.json');
    let server = await start();
    await seed(server, 200);
    await server.stop();

    await fsp.rm(stateFile);
    server = await start();
    expect(await childCount(server)).toBe(200);
    await server.stop();

    await fsp.writeFile(stateFile, '{"port": 5'); // cut short, as a full disk or a crash leaves it
    server = await start();
    expect(await childCount(server)).toBe(200);
    await server.stop();

    const state = JSON.parse(await fsp.readFile(stateFile, 'utf8')) as Record<string, unknown>;
    await fsp.writeFile(stateFile, JSON.stringify({ ...state, password: 'not-the-password-at-all' }));
    server = await start();
    expect(await childCount(server)).toBe(200);
    // Nothing was re-initialised: the cluster directory is the one the events went into.
    expect(fs.readdirSync(dataDir).filter((f) => f.startsWith('postgres'))).toEqual(['postgres']);
  });

  it('refuses a second serve on a live data directory, and the first keeps serving', async () => {
    const first = await start();
    await seed(first, 50);

    const second = await runProvml(['serve'], env, 60_000);
    expect(second.served).toBe(false);
    expect(second.code).not.toBe(0);
    expect(second.output).toContain(dataDir);
    expect(second.output).toContain(`provml process ${first.child.pid}`);

    const help = await runProvml(['serve', '--help'], env, 30_000);
    expect(help.served).toBe(false);
    expect(help.code).toBe(0);
    expect(help.output).toContain('usage: provml');

    expect(await childCount(first)).toBe(50);
    const more = await gql<{ ingest: { accepted: number } }>(first.url, INGEST, { e: tasks('more', 10) });
    expect(more.body.data!.ingest.accepted).toBe(10);
    expect(await childCount(first)).toBe(60);
  });

  it('answers again after its PostgreSQL is killed, without a restart of provml', async () => {
    const server = await start();
    await seed(server, 20);
    const pid = postmasterPid(clusterDir);
    process.kill(pid, 'SIGKILL');
    let count: number | null = null;
    const codes = new Set<unknown>();
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      const res = await gql<{ task: { children: { nodes: unknown[] } } | null }>(server.url, CHILDREN);
      for (const e of res.body.errors ?? []) codes.add(e.extensions?.code);
      count = res.body.data?.task?.children.nodes.length ?? null;
      if (count !== null) break;
    }
    expect(count).toBe(20);
    // While it was down, a client was told to retry, not that the server failed.
    expect([...codes].filter((c) => c !== 'STORE_UNAVAILABLE')).toEqual([]);
    expect(postmasterPid(clusterDir)).not.toBe(pid);
    expect(server.child.exitCode).toBeNull();
    const more = await gql<{ ingest: { accepted: number } }>(server.url, INGEST, { e: tasks('after', 5) });
    expect(more.body.data!.ingest.accepted).toBe(5);
    expect((await fetch(`${server.base}/healthz`)).status).toBe(200);
  });

  it('on SIGTERM finishes the request in flight, stops its PostgreSQL and exits 0', async () => {
    // NODE_ENV as a user's shell has it (jest sets "test", which changes Apollo's signal handling).
    let server = await start({ NODE_ENV: 'production' });
    await seed(server, 10);
    const pid = postmasterPid(clusterDir);

    // A batch whose body is half sent when the signal comes: the request is in flight.
    const body = Buffer.from(JSON.stringify({ query: INGEST, variables: { e: tasks('inflight', 100) } }));
    const response = new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = http.request(server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': String(body.length) },
      });
      req.once('error', reject);
      req.once('response', (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.once('end', () => resolve({ status: res.statusCode ?? 0, text }));
      });
      req.write(body.subarray(0, 100));
      setTimeout(() => {
        server.child.kill('SIGTERM');
        setTimeout(() => req.end(body.subarray(100)), 500);
      }, 300);
    });
    const answered = await response;
    expect(answered.status).toBe(200);
    expect(JSON.parse(answered.text).data.ingest.accepted).toBe(100);

    expect(await exitOf(server)).toEqual({ code: 0, signal: null });
    expect(alive(pid)).toBe(false);
    expect(fs.existsSync(path.join(clusterDir, 'postmaster.pid'))).toBe(false);
    expect(fs.existsSync(path.join(dataDir, 'provml.lock'))).toBe(false);

    server = await start();
    expect(await childCount(server)).toBe(110);
  });
});
