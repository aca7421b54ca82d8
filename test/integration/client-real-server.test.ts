import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { IngestEvent, JsonObject } from '../../clients/typescript/src/ingest-event';
import { postIngest } from '../../clients/typescript/src/post-ingest';
import { createClient } from '../../clients/typescript/src/provml-client';
import { replayCommand } from '../../src/commands/replay-command';
import { runCli } from '../helpers/run-cli';
import { readSpool } from '../../clients/typescript/src/spool-file';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { gql, startServerProcess, type ServerProcess } from '../helpers/server-process';
import { TextSink } from '../helpers/text-sink';
import { freeLoopbackPort } from '../../src/connectors/provenance/local-postgres';

/**
 * The TypeScript capture client against the real server (`provml serve` on its own PostgreSQL
 * database): batching, a server SIGKILLed mid-run and restarted on the same port (every event
 * lands exactly once), offline spool + replay (also across the Python client), a full queue.
 */

const SPEC: JsonObject = {
  name: 'tsclient',
  kind: 'LEARNING',
  transformations: [
    { name: 'training', kind: 'LEARNING_STAGE', stageType: 'TRAINING' },
    { name: 'batch', kind: 'LEARNING_STAGE', parent: 'training' },
  ],
};

const RUN_QUERY = `query Run($id: String!) { execution(id: $id) {
  id status attributes
  metrics(name: "loss", limit: 5000) { step }
  tasks(first: 10) { nodes { id ... on TaskExecution { durationStats(of: "batch") { count } } } } } }`;

interface RunAnswer {
  execution: {
    status: string;
    attributes: Record<string, unknown>;
    metrics: Array<{ step: number }>;
    tasks: { nodes: Array<{ id: string; durationStats: Array<{ count: number }> }> };
  } | null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const PYTHON = '/usr/bin/python3';
const REPO = path.join(__dirname, '../..');
const CLIENT_PY = path.join(__dirname, '../../clients/python');

describe('capture client against the real server', () => {
  let db: TestDatabase;
  let server: ServerProcess;
  let port: number;
  let dataDir: string;
  let dir: string;
  const start = () =>
    startServerProcess({ PROVML_DATABASE_URL: db.url, PROVML_DEMO: '0', PORT: String(port), PROVML_DATA_DIR: dataDir });
  const base = { handleSigterm: false, log: () => undefined };

  beforeAll(async () => {
    db = await createTestDatabase('provml_tsclient');
    dataDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'provml-tsclient-data-'));
    port = await freeLoopbackPort();
    server = await start();
  });
  afterAll(async () => {
    await server?.stop();
    await db?.drop();
    await fsp.rm(dataDir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'provml-tsclient-'));
  });
  afterEach(async () => {
    await fsp.rm(dir, { recursive: true, force: true });
  });

  async function runOf(id: string) {
    const res = await gql<RunAnswer>(server.url, RUN_QUERY, { id });
    expect(res.body.errors).toBeUndefined();
    return res.body.data!.execution!;
  }

  /** Every event id of a spool, in order (events only, not the acknowledgement records). */
  function spoolEvents(file: string): IngestEvent[] {
    return fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as IngestEvent)
      .filter((r) => typeof r.id === 'string' && typeof r.type === 'string');
  }

  it('sends events in batches of batchSize, reports a rejected event, and the run answers queries', async () => {
    const client = createClient({ ...base, url: server.url, mode: 'online', spoolDir: dir, specs: [SPEC], batchSize: 25 });
    const run = client.startRun('tsclient', { attributes: { cluster: 'loopback' } });
    const training = run.begin('training', { used: { lr: 0.1 } });
    // No await in the loop: everything is queued before the sender's first turn.
    for (const step of range(100)) {
      const b = run.begin('batch', { parent: training, used: { batch_id: step } });
      b.end({ generated: { loss: 1 / (step + 1) } });
      run.logMetric('loss', 1 / (step + 1), { step, context: 'TRAINING', task: training });
    }
    run.logMetric('loss', NaN, { step: 100 }); // JSON has no NaN: sent as a string, refused alone
    training.end();
    run.end();
    const report = await client.close(20_000);
    const total = 2 + 3 * 100 + 1 + 2;
    expect(report.unsent).toBe(0);
    expect(report.stats.batches).toBe(Math.ceil(total / 25));
    expect([report.stats.accepted, report.stats.rejected, report.stats.retries]).toEqual([total - 1, 1, 0]);
    expect(report.stats.issues[0]).toMatchObject({ field: expect.stringContaining('value') });
    // the rejected event is kept on disk with its reason, for a corrected resend
    expect((await readSpool(report.path!, true)).pending.map((e) => e.type)).toEqual(['metric']);

    const r = await runOf(run.id);
    expect(r.status).toBe('FINISHED');
    expect(r.attributes).toMatchObject({ cluster: 'loopback', pid: process.pid, host: os.hostname() });
    expect(r.metrics.map((m) => Number(m.step)).sort((a, b) => a - b)).toEqual(range(100));
    expect(r.tasks.nodes[0].durationStats[0].count).toBe(100);
  });

  it('loses nothing and stores nothing twice when the server is SIGKILLed mid-run and restarted', async () => {
    const client = createClient({
      ...base,
      url: server.url,
      spoolDir: dir,
      specs: [SPEC],
      batchSize: 20,
      flushIntervalMs: 20,
      backoffBaseMs: 50,
      backoffMaxMs: 400,
    });
    expect(client.mode).toBe('spool');
    let killedAt = 0;
    const chaos = (async () => {
      await sleep(300);
      const exited = new Promise((r) => server.child.once('exit', r));
      server.child.kill('SIGKILL');
      await exited;
      killedAt = Date.now();
      await sleep(300);
      server = await start(); // same port, same database
    })();
    const steps = 600;
    const run = client.startRun('tsclient');
    const training = run.begin('training', { used: { lr: 0.1 } });
    const began = Date.now();
    for (const step of range(steps)) {
      const b = run.begin('batch', { parent: training, used: { batch_id: step } });
      await sleep(2); // about 1.5 s of "training", the kill in the middle
      b.end({ generated: { loss: 1 / (step + 1) } });
      run.logMetric('loss', 1 / (step + 1), { step, context: 'TRAINING', task: training });
    }
    const loopEnded = Date.now();
    training.end();
    run.end();
    await chaos;
    expect(killedAt).toBeGreaterThan(began);
    expect(killedAt).toBeLessThan(loopEnded); // the server died while the job was still capturing
    const report = await client.close(30_000);
    expect(report.unsent).toBe(0);
    expect(report.stats.retries).toBeGreaterThan(0); // the kill was noticed
    expect([report.stats.rejected, report.stats.failed]).toEqual([0, 0]);

    const total = 2 + 3 * steps + 2;
    const spool = await readSpool(report.path!);
    expect(spool.pending).toEqual([]);
    expect(spool.acked).toBe(total);
    // every event is stored: resending all of them is all duplicates, nothing accepted
    const events = spoolEvents(report.path!);
    expect(new Set(events.map((e) => e.id)).size).toBe(total);
    const again = await postIngest(server.url, events);
    expect([again.accepted, again.duplicates, again.rejected]).toEqual([0, total, 0]);
    // and stored once: each step's metric exactly once, each batch task once
    const r = await runOf(run.id);
    expect(r.metrics.map((m) => Number(m.step)).sort((a, b) => a - b)).toEqual(range(steps));
    expect(r.tasks.nodes[0].durationStats[0].count).toBe(steps);
  });

  it('spools offline and `provml replay` sends it later, exactly once', async () => {
    const client = createClient({ ...base, mode: 'offline', spoolDir: dir, specs: [SPEC] });
    const run = client.startRun('tsclient');
    const training = run.begin('training');
    for (const step of range(30)) run.logMetric('loss', 1 / (step + 1), { step, task: training });
    training.end();
    run.end();
    const report = await client.close(5000);
    expect(report.unsent).toBe(34);
    expect(report.path).toBe(path.join(dir, 'spool.jsonl'));
    expect(await runOf(run.id).catch(() => null)).toBeNull();

    const out = new TextSink();
    const err = new TextSink();
    expect(await runCli('replay', replayCommand, [dir, '--url', server.url], out, err)).toBe(0);
    expect(out.text).toBe(`${report.path}: sent 34 (accepted 34, duplicates 0, rejected 0), still pending 0\n`);
    // a second replay has nothing left to send
    const out2 = new TextSink();
    expect(await runCli('replay', replayCommand, [report.path!, '--url', server.url], out2, new TextSink())).toBe(0);
    expect(out2.text).toContain('sent 0 (accepted 0, duplicates 0, rejected 0), still pending 0');
    expect((await runOf(run.id)).metrics).toHaveLength(30);
  });

  const python = fs.existsSync(PYTHON) && fs.existsSync(path.join(CLIENT_PY, 'provml', '__main__.py'));
  if (!python)
    process.stderr.write(
      `client-real-server: spool interchange with the Python client skipped: no ${PYTHON} or clients/python\n`,
    );
  (python ? it : it.skip)('shares the spool format with the Python client, both ways', async () => {
    const exec = promisify(execFile);
    const env = { ...process.env, PYTHONPATH: CLIENT_PY };
    // A Node spool, replayed by `python -m provml replay`.
    const client = createClient({ ...base, mode: 'offline', spoolDir: path.join(dir, 'node'), specs: [SPEC] });
    const run = client.startRun('tsclient');
    for (const step of range(5)) run.logMetric('loss', step, { step });
    run.end();
    const report = await client.close(5000);
    const py = await exec(PYTHON, ['-m', 'provml', 'replay', report.path!, '--server', server.url], { env });
    expect(py.stdout).toContain('sent 7 (accepted 7, duplicates 0, rejected 0), still pending 0');
    expect((await readSpool(report.path!)).pending).toHaveLength(0);
    expect((await runOf(run.id)).metrics).toHaveLength(5);

    // A Python spool, replayed by `provml replay`.
    const pySpool = path.join(dir, 'python.jsonl');
    const script = [
      'import provml, sys, json',
      `c = provml.Client(spec=json.loads(sys.argv[2]), mode="offline", spool=sys.argv[1], run="py-run", gpu=False, handle_sigterm=False)`,
      'for s in range(4): c.log_metric("loss", 0.5, step=s)',
      'c.close()',
    ].join('\n');
    await exec(PYTHON, ['-c', script, pySpool, JSON.stringify(SPEC)], { env });
    const out = new TextSink();
    expect(await runCli('replay', replayCommand, [pySpool, '--url', server.url], out, new TextSink())).toBe(0);
    expect(out.text).toContain('sent 6 (accepted 6, duplicates 0, rejected 0), still pending 0');
    expect((await runOf('py-run')).metrics).toHaveLength(4);
  });

  /** A Node job in its own process (run by tsx from the sources), capturing 10 metrics. */
  async function startJob(name: string, extra: string, tail: string) {
    const script = path.join(dir, `${name}.ts`);
    await fsp.writeFile(
      script,
      [
        `import { createClient } from ${JSON.stringify(path.join(__dirname, '../../clients/typescript/src/provml-client'))};`,
        `const client = createClient({ url: ${JSON.stringify(server.url)}, mode: 'online', spoolDir: ${JSON.stringify(dir)},`,
        `  specs: [${JSON.stringify(SPEC)}], flushIntervalMs: 60_000${extra} });`,
        `const run = client.startRun('tsclient', { run: ${JSON.stringify(name)} });`,
        `for (let step = 0; step < 10; step++) run.logMetric('loss', 1 / (step + 1), { step });`,
        tail,
      ].join('\n'),
    );
    const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    return { child, exited, output: () => out };
  }

  it('flushes when the job ends without close(), and on SIGTERM (the run marked KILLED)', async () => {
    // Nothing would be sent for a minute (flushIntervalMs), so only the exit hooks can deliver.
    const quiet = await startJob('exit-run', ', handleSigterm: false', '// no close(): the beforeExit hook sends');
    expect(await quiet.exited).toEqual({ code: 0, signal: null });
    const ended = await runOf('exit-run');
    expect([ended.status, ended.metrics.length]).toEqual(['FINISHED', 10]);

    const busy = await startJob('sigterm-run', '', "process.stdout.write('ready\\n'); setInterval(() => undefined, 1000);");
    const deadline = Date.now() + 20_000;
    while (!busy.output().includes('ready') && Date.now() < deadline) await sleep(20);
    busy.child.kill('SIGTERM');
    expect(await busy.exited).toEqual({ code: null, signal: 'SIGTERM' }); // flushed, then the default action
    const killed = await runOf('sigterm-run');
    expect([killed.status, killed.metrics.length]).toEqual(['KILLED', 10]);
  });

  it('spills a full queue to disk without blocking, keeps the order, and sends it all', async () => {
    const client = createClient({
      ...base,
      url: server.url,
      spoolDir: dir,
      specs: [SPEC],
      batchSize: 50,
      maxQueue: 50,
      spoolFsync: false,
    });
    const run = client.startRun('tsclient');
    const training = run.begin('training');
    expect(await client.flush(10_000)).toBe(true); // the sender is up (spec registered) and idle
    const t0 = process.hrtime.bigint();
    let yielded = 0n;
    for (const step of range(1000)) {
      if (step % 10 === 9) {
        // a short turn for the sender now and then: it frees queue room while older events still wait on disk
        const y = process.hrtime.bigint();
        await sleep(1);
        yielded += process.hrtime.bigint() - y;
      }
      const b = run.begin('batch', { parent: training });
      b.end();
      run.logMetric('loss', 1 / (step + 1), { step, task: training });
    }
    const perCallUs = Number(process.hrtime.bigint() - t0 - yielded) / 3000 / 1000;
    expect(fs.readdirSync(dir).some((f) => f.startsWith('overflow-'))).toBe(true);
    training.end();
    run.end();
    const report = await client.close(30_000);
    expect(report.stats.spilled).toBeGreaterThan(2000);
    expect(perCallUs).toBeLessThan(200); // spilling is buffered writes, not a wait on the sender
    expect([report.unsent, report.stats.rejected, report.stats.failed, report.stats.dropped]).toEqual([0, 0, 0, 0]);
    expect(report.stats.accepted).toBe(3004);
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('overflow-'))).toEqual([]);
    // delivered (spooled just before sending) in exactly the order of the capture calls
    const seqs = spoolEvents(report.path!).map((e) => Number(e.id.split(':')[1]));
    expect(seqs).toEqual(range(3004).map((i) => i + 1));
    const r = await runOf(run.id);
    expect(r.metrics).toHaveLength(1000);
    expect(r.tasks.nodes[0].durationStats[0].count).toBe(1000);
  });
});
