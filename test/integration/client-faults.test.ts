import fsp from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createClient, type CaptureClient } from '../../clients/typescript/src/provml-client';
import { replayCommand } from '../../src/commands/replay-command';
import { runCli } from '../helpers/run-cli';
import { readSpool } from '../../clients/typescript/src/spool-file';
import { TextSink } from '../helpers/text-sink';

/**
 * The capture client against a tiny fault-injecting GraphQL peer on 127.0.0.1: answers that a
 * real provml server does not give on demand (429 with Retry-After, 5xx, malformed bodies, 413
 * for large batches). The real server's behaviour is covered in client-real-server.test.ts.
 */

interface Answer {
  status: number;
  body: string;
  headers?: Record<string, string>;
}
type Script = (events: Array<{ id: string }>, n: number) => Answer;

interface Peer {
  url: string;
  requests: Array<{ at: number; ids: string[] }>;
  /** The Authorization header of every request, registrations included. */
  authorizations: Array<string | undefined>;
  script: Script;
  close(): Promise<void>;
}

const ok: Script = (events) => ({
  status: 200,
  body: JSON.stringify({
    data: { ingest: { accepted: events.length, duplicates: 0, rejected: 0, duplicateIds: [], issues: [] } },
  }),
});

async function startPeer(script: Script): Promise<Peer> {
  const peer = { requests: [] as Peer['requests'], authorizations: [] as Peer['authorizations'], script } as Peer;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      peer.authorizations.push(req.headers.authorization);
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        query: string;
        variables: { events?: Array<{ id: string }> };
      };
      if (body.query.includes('registerWorkflow')) {
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ data: { registerWorkflow: { id: 'w', name: 'w', version: 1 } } }));
        return;
      }
      const events = body.variables.events ?? [];
      peer.requests.push({ at: Date.now(), ids: events.map((e) => e.id) });
      const a = peer.script(events, peer.requests.length);
      res.writeHead(a.status, { 'content-type': 'application/json', ...a.headers }).end(a.body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  peer.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  peer.close = () => new Promise((r) => server.close(() => r()));
  return peer;
}

describe('capture client against a fault-injecting peer', () => {
  let dir: string;
  let peer: Peer;
  let client: CaptureClient | null = null;
  const logs: string[] = [];
  const log = (_level: string, m: string) => logs.push(m);
  const base = { flushIntervalMs: 20, backoffBaseMs: 10, backoffMaxMs: 50, handleSigterm: false, spoolFsync: false, log };

  beforeEach(async () => {
    dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'provml-client-'));
    logs.length = 0;
  });
  afterEach(async () => {
    await client?.close(0);
    client = null;
    await peer?.close();
    await fsp.rm(dir, { recursive: true, force: true });
  });

  /** A run of `n` metric events plus its begin and end. */
  function emitRun(c: CaptureClient, n: number): string[] {
    const run = c.startRun('w', { run: 'r' });
    for (let i = 0; i < n; i++) run.logMetric('loss', 1 / (i + 1), { step: i });
    run.end();
    return [];
  }

  it('waits as long as a 429 Retry-After asks, then delivers', async () => {
    peer = await startPeer((events, n) =>
      n === 1 ? { status: 429, body: 'slow down', headers: { 'retry-after': '1' } } : ok(events, n),
    );
    client = createClient({ ...base, url: peer.url, mode: 'online', spoolDir: dir });
    emitRun(client, 3);
    const report = await client.close(10_000);
    expect(report.unsent).toBe(0);
    expect(report.stats.retries).toBe(1);
    expect(report.stats.accepted).toBe(5);
    expect(peer.requests).toHaveLength(2);
    // backoff alone would have waited about 10 ms
    expect(peer.requests[1].at - peer.requests[0].at).toBeGreaterThanOrEqual(950);
    expect(peer.requests[1].ids).toEqual(peer.requests[0].ids);
  });

  it('retries 5xx with backoff and counts the retries', async () => {
    peer = await startPeer((events, n) => (n <= 2 ? { status: 503, body: 'down' } : ok(events, n)));
    client = createClient({ ...base, url: peer.url, mode: 'online', spoolDir: dir });
    emitRun(client, 3);
    const report = await client.close(10_000);
    expect([report.unsent, report.stats.retries, report.stats.accepted]).toEqual([0, 2, 5]);
  });

  it('gives up on malformed answers after a few tries, keeps the batch in the spool, and a replay sends it', async () => {
    let healthy = false;
    peer = await startPeer((events, n) => (healthy ? ok(events, n) : { status: 200, body: '<html>proxy error</html>' }));
    client = createClient({ ...base, url: peer.url, spoolDir: dir });
    expect(client.mode).toBe('spool');
    emitRun(client, 3);
    const report = await client.close(10_000);
    expect(peer.requests).toHaveLength(3); // fatalAttempts, not forever
    expect(report.stats.failed).toBe(5);
    expect(report.stats.lastError).toMatch(/malformed answer .*not JSON/);
    expect(logs.some((m) => m.includes('gave up sending 5 event(s)'))).toBe(true);
    const spool = await readSpool(client.spoolPath!);
    expect(spool.pending).toHaveLength(5);
    expect(spool.failedReasons[0]).toMatch(/malformed/);

    healthy = true;
    const out = new TextSink();
    const err = new TextSink();
    expect(await runCli('replay', replayCommand, [dir, '--url', peer.url], out, err)).toBe(0);
    expect(out.text).toContain('sent 5 (accepted 5, duplicates 0, rejected 0), still pending 0');
    expect((await readSpool(client.spoolPath!)).pending).toHaveLength(0);
  });

  it('sends a token as Authorization: Bearer and keeps it out of the spool, the logs and replay output', async () => {
    const token = `pml_test_${'5be1'.repeat(8)}`;
    let healthy = false;
    peer = await startPeer((events, n) => (healthy ? ok(events, n) : { status: 503, body: '{}' }));
    client = createClient({ ...base, url: peer.url, spoolDir: dir, token, specs: [{ name: 'w', kind: 'LEARNING' }] });
    emitRun(client, 2);
    await client.close(200); // the peer is failing: the events stay in the spool
    healthy = true;
    const out = new TextSink();
    const err = new TextSink();
    const env = { ...process.env, PROVML_TOKEN: token };
    expect(await runCli('replay', replayCommand, [dir, '--url', peer.url], out, err, env)).toBe(0);
    expect(peer.authorizations.length).toBeGreaterThan(1);
    expect(new Set(peer.authorizations)).toEqual(new Set([`Bearer ${token}`]));
    for (const f of await fsp.readdir(dir)) expect(await fsp.readFile(path.join(dir, f), 'utf8')).not.toContain(token);
    expect([...logs, out.text, err.text].join('\n')).not.toContain(token);
    // and from PROVML_TOKEN when no option is given
    client = createClient({ ...base, url: peer.url, mode: 'online', env: { PROVML_TOKEN: 'from-env' } });
    emitRun(client, 1);
    await client.close(5000);
    expect(peer.authorizations.at(-1)).toBe('Bearer from-env');
  });

  it('treats a payload of the wrong shape as malformed', async () => {
    peer = await startPeer(() => ({ status: 200, body: JSON.stringify({ data: { ingest: { accepted: 'all' } } }) }));
    client = createClient({ ...base, url: peer.url, mode: 'online', spoolDir: dir });
    emitRun(client, 1);
    const report = await client.close(10_000);
    expect(report.stats.failed).toBe(3);
    expect(report.stats.lastError).toMatch(/malformed ingest payload/);
    // online mode: what was given up is written to an unsent file for a replay
    expect(report.path).toBe(path.join(dir, `unsent-node-${process.pid}.jsonl`));
    expect((await readSpool(report.path!)).pending.map((e) => e.type)).toEqual(['workflowBegin', 'metric', 'workflowEnd']);
  });

  it('gives up on a 4xx at once', async () => {
    peer = await startPeer(() => ({
      status: 400,
      body: JSON.stringify({ errors: [{ message: 'bad', extensions: { code: 'BAD_REQUEST' } }] }),
    }));
    client = createClient({ ...base, url: peer.url, spoolDir: dir });
    emitRun(client, 1);
    const report = await client.close(10_000);
    expect(peer.requests).toHaveLength(1);
    expect(report.stats.failed).toBe(3);
    expect(report.stats.lastError).toContain('HTTP 400: bad');
  });

  it('splits a batch the server finds too large (413)', async () => {
    peer = await startPeer((events, n) =>
      events.length > 10 ? { status: 413, body: '{"errors":[{"message":"too large"}]}' } : ok(events, n),
    );
    client = createClient({ ...base, url: peer.url, mode: 'online', spoolDir: dir, batchSize: 40 });
    emitRun(client, 38); // 40 events, queued before the sender runs: one batch of 40
    const report = await client.close(10_000);
    expect(report.unsent).toBe(0);
    expect(report.stats.accepted).toBe(40);
    const delivered = peer.requests.filter((r) => r.ids.length <= 10).flatMap((r) => r.ids);
    expect(delivered).toHaveLength(40);
    expect(new Set(delivered).size).toBe(40);
    expect(peer.requests[0].ids).toHaveLength(40);
  });

  it('close(timeout) says what is unsent while the server is down, and the next start resends it', async () => {
    let up = false;
    peer = await startPeer((events, n) => (up ? ok(events, n) : { status: 503, body: 'down' }));
    client = createClient({ ...base, url: peer.url, spoolDir: dir });
    emitRun(client, 8);
    const started = Date.now();
    const report = await client.close(300);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(report.unsent).toBe(10);
    expect(report.path).toBe(path.join(dir, 'spool.jsonl'));
    expect((await readSpool(report.path!)).pending).toHaveLength(10);

    up = true;
    client = createClient({ ...base, url: peer.url, spoolDir: dir });
    expect(await client.flush(5000)).toBe(true);
    expect(client.stats.resent).toBe(10);
    const again = await client.close(5000);
    expect(again.unsent).toBe(0);
    expect((await readSpool(again.path!)).pending).toHaveLength(0);
  });

  it('drops and counts when told to, once the queue is full', async () => {
    peer = await startPeer(ok);
    client = createClient({ ...base, url: peer.url, mode: 'online', spoolDir: dir, maxQueue: 10, onFull: 'drop' });
    emitRun(client, 98); // 100 events queued before the sender gets a turn
    const report = await client.close(5000);
    expect(report.stats.dropped).toBe(90);
    expect(report.stats.accepted).toBe(10);
    expect(logs.some((m) => m.includes("onFull 'drop'"))).toBe(true);
  });

  it('refuses options that cannot work, naming them', () => {
    expect(() => createClient({ mode: 'online' })).toThrow(/^url: required/);
    expect(() => createClient({ url: 'ftp://x', mode: 'online' })).toThrow(/url: scheme must be http or https/);
    expect(() => createClient({ mode: 'offline', spoolDir: dir, batchSize: 0, handleSigterm: false })).toThrow(
      /batchSize: must be an integer/,
    );
    expect(() => createClient({ mode: 'offline', spoolDir: dir, onFull: 'block' as 'drop', handleSigterm: false })).toThrow(
      /onFull/,
    );
  });
});
