import fs from 'node:fs';
import fsp from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { hasSample, parseSamples, sampleSum } from '../helpers/prometheus-text';
import { gql, startServerProcess, type ServerProcess } from '../helpers/server-process';

// /readyz, /metrics, request ids and the drain on SIGTERM, on real `provml serve` processes.

const INGEST = `mutation($e: [JSON!]!) { ingest(events: $e) { accepted duplicates rejected } }`;
const REGISTER = `mutation($s: WorkflowSpecInput!) { registerWorkflow(spec: $s) { version } }`;

/** A loopback port nothing listens on: a store there is down. */
async function deadPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise((r) => srv.close(r));
  return port;
}

const scrape = async (server: ServerProcess) => {
  const res = await fetch(`${server.base}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
  return parseSamples(await res.text());
};

describe('operations endpoints of provml serve', () => {
  let db: TestDatabase;
  let dir: string;
  let server: ServerProcess;

  beforeAll(async () => {
    db = await createTestDatabase('provml_ops');
    dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'provml-ops-'));
    await fsp.mkdir(path.join(dir, 'objects'));
    await fsp.mkdir(path.join(dir, 'documents'));
    const config = path.join(dir, 'stores.json');
    await fsp.writeFile(
      config,
      JSON.stringify({
        stores: [
          { id: 'files', kind: 'fs', options: { root: 'objects', paths: 'rooted' } },
          { id: 'footprints', kind: 'mongodb', options: { directory: 'documents' } },
          { id: 'graph-down', kind: 'sparql', endpoint: `http://127.0.0.1:${await deadPort()}/sparql`, timeoutMs: 1000 },
        ],
      }),
    );
    server = await startServerProcess({
      PROVML_DATABASE_URL: db.url,
      PROVML_DATA_DIR: dir,
      PROVML_DEMO: '0',
      PROVML_CONFIG: config,
      PROVML_LOG_LEVEL: 'info',
    });
    expect(
      (await gql(server.url, REGISTER, { s: { name: 'ops', transformations: [{ name: 'step' }] } })).body.errors,
    ).toBeUndefined();
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
    await db?.drop();
    if (dir) await fsp.rm(dir, { recursive: true, force: true });
  });

  it('/readyz answers 503 naming the store that is down, with every other check up', async () => {
    const res = await fetch(`${server.base}/readyz`);
    expect(res.status).toBe(503);
    const body = (await res.json()) as { status: string; checks: Array<{ name: string; state: string; error?: string }> };
    expect(body.status).toBe('unavailable');
    const byName = Object.fromEntries(body.checks.map((c) => [c.name, c]));
    expect(byName['graph-down']).toMatchObject({ state: 'down', error: expect.stringMatching(/graph-down/) });
    for (const up of ['provenance', 'files', 'footprints', 'extraction']) expect(byName[up]).toMatchObject({ state: 'up' });
    // Liveness stays separate: the process and its provenance store are fine.
    expect((await fetch(`${server.base}/healthz`)).status).toBe(200);
  });

  it('/metrics counters move after an ingest: events by outcome, rejected by code, batch latency, store calls', async () => {
    const before = await scrape(server);
    const res = await gql<{ ingest: { accepted: number; rejected: number } }>(server.url, INGEST, {
      e: [
        { id: 'm0', type: 'workflowBegin', run: 'm-run', workflow: 'ops' },
        { id: 'm1', type: 'taskBegin', task: 'm-t1', run: 'm-run', transformation: 'step' },
        { id: 'm2', type: 'metric', run: 'm-run', name: 'loss', value: 0.5, step: 1 },
        { id: 'm3', type: 'taskBegin', task: 'm-t2', run: 'm-run', transformation: 'no-such-step' },
        { id: 'm4', type: 'workflowBegin', run: 'm-run2', workflow: 'no-such-workflow' },
      ],
    });
    expect(res.body.data!.ingest).toMatchObject({ accepted: 3, rejected: 2 });
    await gql(server.url, INGEST, { e: [{ id: 'm2', type: 'metric', run: 'm-run', name: 'loss', value: 0.5, step: 1 }] });
    const after = await scrape(server);
    const delta = (name: string, labels: Record<string, string> = {}) =>
      sampleSum(after, name, labels) - sampleSum(before, name, labels);

    expect(delta('provml_ingest_events_total', { outcome: 'accepted' })).toBe(3);
    expect(delta('provml_ingest_events_total', { outcome: 'duplicate' })).toBe(1);
    expect(delta('provml_ingest_events_total', { outcome: 'rejected' })).toBe(2);
    expect(delta('provml_ingest_rejected_total', { code: 'BAD_USER_INPUT' })).toBe(1);
    expect(delta('provml_ingest_rejected_total', { code: 'UNKNOWN_WORKFLOW' })).toBe(1);
    expect(delta('provml_ingest_batch_seconds_count', { outcome: 'ok' })).toBe(2);
    // Both batches try the fast statement (writeFresh); the resend is refused there and goes the
    // careful way (transaction).
    expect(delta('provml_store_call_seconds_count', { store: 'provenance', operation: 'writeFresh' })).toBe(2);
    expect(delta('provml_store_call_seconds_count', { store: 'provenance', operation: 'transaction' })).toBe(1);
    expect(delta('provml_http_requests_total', { route: '/graphql', status: '200' })).toBe(2);
    // Queue depths are counted at each scrape, from the tables every replica shares.
    expect(hasSample(after, 'provml_queue_depth', { queue: 'publish_outbox', state: 'pending' })).toBe(true);
    expect(hasSample(after, 'provml_queue_depth', { queue: 'extraction_jobs', state: 'pending' })).toBe(true);
    expect(hasSample(after, 'provml_active_subscriptions')).toBe(true);
  });

  it('counts the calls of a store that is down as errors, by code', async () => {
    const before = await scrape(server);
    expect((await fetch(`${server.base}/readyz`)).status).toBe(503);
    const after = await scrape(server);
    expect(
      sampleSum(after, 'provml_store_call_errors_total', { store: 'graph-down', code: 'STORE_UNAVAILABLE' }) -
        sampleSum(before, 'provml_store_call_errors_total', { store: 'graph-down', code: 'STORE_UNAVAILABLE' }),
    ).toBe(1);
  });

  it('returns the X-Request-Id it was given (or a new one) and logs it with the request', async () => {
    const given = await fetch(`${server.base}/healthz`, { headers: { 'x-request-id': 'job-42.batch-7' } });
    expect(given.headers.get('x-request-id')).toBe('job-42.batch-7');
    const made = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    const id = made.headers.get('x-request-id')!;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    // Not a plain token (it could forge log fields): replaced, not echoed.
    const forged = await fetch(`${server.base}/healthz`, { headers: { 'x-request-id': 'a"b' } });
    expect(forged.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);

    const logged = () =>
      server
        .output()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .find((l) => l.requestId === id && l.msg === 'request');
    for (const deadline = Date.now() + 5000; !logged() && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 20));
    expect(logged()).toMatchObject({ level: 'info', service: 'provml', method: 'POST', path: '/graphql', status: 200 });
  });
});

describe('graceful drain on SIGTERM (local PostgreSQL in the data directory)', () => {
  let dataDir: string;
  const started: ServerProcess[] = [];
  beforeAll(async () => {
    dataDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'provml-drain-'));
  });
  afterAll(async () => {
    for (const s of started) await s.stop();
    await fsp.rm(dataDir, { recursive: true, force: true });
  });

  it('finishes the batch in flight when SIGTERM comes, stores it, then stops PostgreSQL', async () => {
    const env = { PROVML_DATA_DIR: dataDir, PROVML_DEMO: '0', PROVML_LOG_LEVEL: 'info' };
    const server = await startServerProcess(env);
    started.push(server);
    expect(
      (await gql(server.url, REGISTER, { s: { name: 'drain', transformations: [{ name: 'step' }] } })).body.errors,
    ).toBeUndefined();

    const N = 2000;
    const events = [
      { id: 'd-begin', type: 'workflowBegin', run: 'drain-run', workflow: 'drain' },
      ...Array.from({ length: N }, (_, i) => ({
        id: `d-${i}`,
        type: 'metric',
        run: 'drain-run',
        name: 'loss',
        value: i,
        step: i,
      })),
    ];
    const body = Buffer.from(JSON.stringify({ query: INGEST, variables: { e: events } }));
    const url = new URL(server.url);
    const inFlight: { req?: http.ClientRequest } = {};
    // The batch is sent in two halves: the server holds it in flight until the second half comes.
    const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(
        { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', agent: false },
        (res) => {
          let text = '';
          res.on('data', (d) => (text += d));
          res.on('end', () => resolve({ status: res.statusCode!, body: text }));
        },
      );
      req.on('error', reject);
      req.setHeader('content-type', 'application/json');
      req.setHeader('content-length', body.length);
      req.write(body.subarray(0, body.length >> 1));
      inFlight.req = req;
    });
    // Wait until the server counts the request as in flight (a condition, not a sleep).
    for (;;) {
      const samples = await scrape(server);
      if (sampleSum(samples, 'provml_http_requests_in_flight', { route: '/graphql' }) >= 1) break;
    }
    server.child.kill('SIGTERM');
    for (const deadline = Date.now() + 10_000; !/"msg":"stopping"/.test(server.output());) {
      if (Date.now() > deadline) throw new Error(`no "stopping" line:\n${server.output()}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    // Draining: a new connection is refused while the batch in flight is still being received.
    await expect(fetch(`${server.base}/healthz`)).rejects.toThrow();
    inFlight.req!.end(body.subarray(body.length >> 1));

    const res = await answer;
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ data: { ingest: { accepted: N + 1, duplicates: 0, rejected: 0 } } });
    const code = await new Promise<number | null>((r) =>
      server.child.exitCode !== null ? r(server.child.exitCode) : server.child.once('exit', (c) => r(c)),
    );
    expect(code).toBe(0);
    // PostgreSQL was stopped after the drain: its pid file is gone.
    expect(fs.existsSync(path.join(dataDir, 'postgres', 'postmaster.pid'))).toBe(false);

    // And the batch is there after a restart.
    const again = await startServerProcess(env);
    started.push(again);
    const rerun = await gql<{ ingest: { duplicates: number } }>(again.url, INGEST, { e: events });
    expect(rerun.body.data!.ingest).toMatchObject({ accepted: 0, duplicates: N + 1 });
  }, 120_000);
});
