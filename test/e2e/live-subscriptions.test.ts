import { execFile } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { subscribe } from '../helpers/live-client';
import { gql, startServerProcess, type ServerProcess } from '../helpers/server-process';

/**
 * Subscriptions against the real server process (`provml serve`, PostgreSQL server, LISTEN/NOTIFY)
 * over real WebSockets: a Python-client job's every metric point arrives once and in order; resume
 * after a reconnect; a slow subscriber dropped with its close code; the server's stop closing
 * subscriptions with 1001.
 */

const exec = promisify(execFile);
const PYTHON = '/usr/bin/python3';
const CLIENT_PY = path.join(__dirname, '../../clients/python');
const SPEC = {
  name: 'live-job',
  kind: 'LEARNING',
  transformations: [{ name: 'training', kind: 'LEARNING_STAGE', stageType: 'TRAINING' }],
};

interface Point {
  name: string;
  value: number;
  step: string | null;
}
interface MetricsMsg {
  metrics: { cursor: string; points: Point[] };
}
interface EventMsg {
  runEvents: { cursor: string; kind: string; task: string | null; status: string };
}
const METRICS = `subscription($run: ID!, $names: [String!], $after: String) {
  metrics(run: $run, names: $names, after: $after) { cursor points { name value step } } }`;
const EVENTS = `subscription($run: ID!, $after: String) { runEvents(run: $run, after: $after) { cursor kind task status } }`;
const INGEST = `mutation($e: [JSON!]!) { ingest(events: $e) { accepted rejected issues { message } } }`;

const pointsOf = (msgs: MetricsMsg[]) => msgs.flatMap((m) => m.metrics.points);

describe('live subscriptions against the real server', () => {
  let db: TestDatabase;
  let server: ServerProcess;
  let dataDir: string;

  const ingest = async (events: unknown[]) => {
    const res = await gql<{ ingest: { accepted: number; rejected: number } }>(server.url, INGEST, { e: events });
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data!.ingest.rejected).toBe(0);
    return res.body.data!.ingest;
  };
  const metricEvents = (run: string, from: number, n: number, name = 'loss') =>
    Array.from({ length: n }, (_, i) => ({
      id: `${run}-${name.slice(0, 10)}${name.length}-${from + i}`,
      type: 'metric',
      run,
      name,
      value: from + i,
      step: from + i,
    }));

  beforeAll(async () => {
    db = await createTestDatabase('provml_live_e2e');
    dataDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'provml-live-e2e-'));
    server = await startServerProcess({
      PROVML_DATABASE_URL: db.url,
      PROVML_DEMO: '0',
      PROVML_DATA_DIR: dataDir,
      // Small, so that the slow-subscriber test fills it with a few MB.
      PROVML_LIVE_MAX_PENDING: '2000',
    });
    const reg = await gql(server.url, 'mutation($s: WorkflowSpecInput!) { registerWorkflow(spec: $s) { id } }', { s: SPEC });
    expect(reg.body.errors).toBeUndefined();
  });
  afterAll(async () => {
    await server?.stop();
    await db?.drop();
    await fsp.rm(dataDir, { recursive: true, force: true });
  });

  const python = fs.existsSync(PYTHON);
  (python ? it : it.skip)(
    'streams a Python-client job: every metric point once, in order per metric, and the task events',
    async () => {
      const run = 'py-live';
      const metrics = await subscribe<MetricsMsg>(server.url, METRICS, { run });
      const events = await subscribe<EventMsg>(server.url, EVENTS, { run });
      const script = [
        'import provml, sys, json',
        `c = provml.Client(spec=json.loads(sys.argv[1]), server=sys.argv[2], run="${run}", gpu=False, handle_sigterm=False)`,
        'with c.task("training"):',
        '    for s in range(400):',
        '        c.log_metric("loss", 1.0 / (s + 1), step=s)',
        '        c.log_metric("acc", s / 400.0, step=s)',
        'c.close()',
      ].join('\n');
      await exec(PYTHON, ['-c', script, JSON.stringify(SPEC), server.url], { env: { ...process.env, PYTHONPATH: CLIENT_PY } });

      await metrics.until((d) => pointsOf(d).length >= 800);
      await events.until((d) => d.some((m) => m.runEvents.kind === 'RUN_ENDED'));
      const points = pointsOf(metrics.data);
      expect(points).toHaveLength(800);
      for (const name of ['loss', 'acc']) {
        expect(points.filter((p) => p.name === name).map((p) => Number(p.step))).toEqual(
          Array.from({ length: 400 }, (_, i) => i),
        );
      }
      expect(events.data.map((m) => m.runEvents.kind)).toEqual(['RUN_STARTED', 'TASK_BEGUN', 'TASK_ENDED', 'RUN_ENDED']);
      expect(metrics.errors).toEqual([]);
      metrics.close();
      events.close();
    },
  );

  it('resumes after a reconnect from the last cursor: what was missed, then live, no duplicate, no gap', async () => {
    const run = 'resume-live';
    await ingest([{ id: `${run}-begin`, type: 'workflowBegin', run, workflow: 'live-job' }]);
    const first = await subscribe<MetricsMsg>(server.url, METRICS, { run, names: ['loss'] });
    await ingest(metricEvents(run, 0, 50));
    await first.until((d) => pointsOf(d).length === 50);
    const cursor = first.data[first.data.length - 1].metrics.cursor;
    first.close();
    await first.closed;

    // Missed while away, including a metric the filter drops.
    await ingest(metricEvents(run, 50, 50));
    await ingest(metricEvents(run, 0, 30, 'acc'));
    await ingest(metricEvents(run, 100, 50));
    const again = await subscribe<MetricsMsg>(server.url, METRICS, { run, names: ['loss'], after: cursor });
    await again.until((d) => pointsOf(d).length === 100);
    await ingest(metricEvents(run, 150, 50));
    await again.until((d) => pointsOf(d).length === 150);
    expect(pointsOf(again.data).map((p) => Number(p.step))).toEqual(Array.from({ length: 150 }, (_, i) => 50 + i));
    expect(pointsOf(again.data).every((p) => p.name === 'loss')).toBe(true);

    // An event cursor resumes inside a commit: the events after it in the same change come again.
    const all = await subscribe<EventMsg>(server.url, EVENTS, { run, after: '0' });
    await all.until((d) => d.length === 1);
    expect(all.data[0].runEvents).toMatchObject({ kind: 'RUN_STARTED', cursor: '1.0' });
    again.close();
    all.close();
  });

  it('sends the same points as columnar series (per name, context and task) as it does as points', async () => {
    const run = 'series-live';
    await ingest([{ id: `${run}-begin`, type: 'workflowBegin', run, workflow: 'live-job' }]);
    type Full = Point & { context: string | null; taskId: string | null; recordedAt: string };
    interface Series {
      name: string;
      context: string | null;
      taskId: string | null;
      steps: Array<number | null>;
      values: number[];
      startMs: number;
      offsetsMs: number[];
    }
    const asPoints = await subscribe<{ metrics: { points: Full[] } }>(
      server.url,
      'subscription($run: ID!) { metrics(run: $run) { points { name value step context taskId recordedAt } } }',
      { run },
    );
    const asSeries = await subscribe<{ metrics: { series: Series[] } }>(
      server.url,
      'subscription($run: ID!) { metrics(run: $run) { series { name context taskId steps values startMs offsetsMs } } }',
      { run },
    );
    interface Compact {
      name: string;
      context: string | null;
      taskId: string | null;
      values: number[];
      stepDeltaRuns: Array<number | null>;
      timeDeltaRunsMs: number[];
    }
    const asCompact = await subscribe<{ metrics: { series: Compact[] } }>(
      server.url,
      'subscription($run: ID!) { metrics(run: $run) { series { name context taskId values stepDeltaRuns timeDeltaRunsMs } } }',
      { run },
    );
    const t0 = Date.parse('2026-12-07T10:00:00.000Z');
    const events = Array.from({ length: 300 }, (_, i) => ({
      id: `${run}-${i}`,
      type: 'metric',
      run,
      name: i % 3 === 0 ? 'acc' : 'loss',
      context: i % 2 ? 'VALIDATION' : 'TRAINING',
      value: i / 7,
      ...(i === 5 ? {} : { step: i }),
      time: new Date(t0 + 1000 * i).toISOString(),
    }));
    await ingest(events.slice(0, 150));
    await ingest(events.slice(150));
    await asPoints.until((d) => d.flatMap((m) => m.metrics.points).length === 300);
    await asSeries.until((d) => d.flatMap((m) => m.metrics.series).reduce((n, s) => n + s.values.length, 0) === 300);
    const key = (p: { name: string; context: string | null; taskId: string | null }) => `${p.name}/${p.context}/${p.taskId}`;
    const fromPoints = new Map<string, Array<[number | null, number, number]>>();
    for (const p of asPoints.data.flatMap((m) => m.metrics.points)) {
      const k = key(p);
      fromPoints.set(k, [
        ...(fromPoints.get(k) ?? []),
        [p.step === null ? null : Number(p.step), p.value, Date.parse(p.recordedAt)],
      ]);
    }
    const fromSeries = new Map<string, Array<[number | null, number, number]>>();
    for (const s of asSeries.data.flatMap((m) => m.metrics.series)) {
      const k = key(s);
      const rows = s.values.map((v, i): [number | null, number, number] => [s.steps[i], v, s.startMs + s.offsetsMs[i]]);
      fromSeries.set(k, [...(fromSeries.get(k) ?? []), ...rows]);
    }
    expect(fromSeries.size).toBe(4);
    expect(fromSeries).toEqual(fromPoints);
    expect(fromSeries.get('loss/VALIDATION/null')![1]).toEqual([null, 5 / 7, t0 + 5000]);

    // The compact fields, read as docs/live.md says: (delta, count) pairs from 0.
    const undo = (runs: Array<number | null>) => {
      const out: Array<number | null> = [];
      let prev = 0;
      for (let i = 0; i < runs.length; i += 2) {
        const [d, n] = [runs[i], runs[i + 1]!];
        if (n === 0) prev += d!;
        for (let k = 0; k < n; k++) out.push(d === null ? null : (prev += d));
      }
      return out;
    };
    await asCompact.until((d) => d.flatMap((m) => m.metrics.series).reduce((n, s) => n + s.values.length, 0) === 300);
    const fromCompact = new Map<string, Array<[number | null, number, number]>>();
    let numbers = 0;
    for (const s of asCompact.data.flatMap((m) => m.metrics.series)) {
      const steps = undo(s.stepDeltaRuns);
      const times = undo(s.timeDeltaRunsMs);
      if (s.name === 'acc') numbers += s.stepDeltaRuns.length + s.timeDeltaRunsMs.length;
      expect([steps.length, times.length]).toEqual([s.values.length, s.values.length]);
      const k = key(s);
      fromCompact.set(k, [
        ...(fromCompact.get(k) ?? []),
        ...s.values.map((v, i): [number | null, number, number] => [steps[i], v, times[i]!]),
      ]);
    }
    expect(fromCompact).toEqual(fromPoints);
    // `acc`'s steps are 6 apart and its times 6 s apart in each context: a few pairs a message for
    // its 100 points, not a number a point for each.
    expect(numbers).toBeLessThan(50);
    asPoints.close();
    asSeries.close();
    asCompact.close();
  });

  it('refuses a cursor older than the pruned live log with CURSOR_EXPIRED (no silent gap)', async () => {
    const run = 'expired-live';
    await ingest([{ id: `${run}-begin`, type: 'workflowBegin', run, workflow: 'live-job' }]);
    await ingest(metricEvents(run, 0, 10));
    await ingest(metricEvents(run, 10, 10));
    // What the pruner (PROVML_LIVE_RETENTION) does to an old run: its first changes are gone.
    const sql = new pg.Client({ connectionString: db.url });
    await sql.connect();
    await sql.query(`DELETE FROM live_change WHERE stream = $1 AND seq <= 2`, [`run:${run}`]);
    await sql.end();
    const old = await subscribe<MetricsMsg>(server.url, METRICS, { run, after: '1' });
    await old.until(() => old.errors.length > 0);
    expect(old.errors[0]).toMatchObject({ extensions: { code: 'CURSOR_EXPIRED', field: 'after', earliest: '2' } });
    const kept = await subscribe<MetricsMsg>(server.url, METRICS, { run, after: '2' });
    await kept.until((d) => pointsOf(d).length === 10);
    expect(pointsOf(kept.data).map((p) => Number(p.step))).toEqual(Array.from({ length: 10 }, (_, i) => 10 + i));
    old.close();
    kept.close();
  });

  it('refuses a malformed cursor with BAD_USER_INPUT, and queries over the socket', async () => {
    const bad = await subscribe<EventMsg>(server.url, EVENTS, { run: 'x', after: 'yesterday' });
    await bad.until(() => bad.errors.length > 0);
    expect(bad.errors[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'after' } });
    const query = await subscribe(server.url, '{ __typename }');
    await query.until(() => query.errors.length > 0);
    expect(JSON.stringify(query.errors)).toContain('only subscriptions');
    bad.close();
    query.close();
  });

  it('drops a subscriber that stops reading with close code 4029, and leaves the others alone', async () => {
    const run = 'slow-live';
    await ingest([{ id: `${run}-begin`, type: 'workflowBegin', run, workflow: 'live-job' }]);
    const slow = await subscribe<MetricsMsg>(server.url, METRICS, { run });
    const fine = await subscribe<MetricsMsg>(server.url, METRICS, { run });
    slow.ws.pause(); // reads nothing more: the kernel's buffers fill, then the server's backlog
    let sent = 0;
    // Long names: each batch is ~1.3 MB on the wire, so loopback's socket buffers (~10 MB) fill
    // in a few batches. Until the server says it dropped it (at most ~50 MB).
    const name = 'x'.repeat(190);
    for (let b = 0; b < 40 && !/slow subscriber dropped/.test(server.output()); b++) {
      await ingest(metricEvents(run, sent, 5000, name));
      sent += 5000;
    }
    expect(server.output()).toMatch(/slow subscriber dropped/);
    slow.ws.resume();
    const { code, reason } = await slow.closed;
    expect(code).toBe(4029);
    expect(reason).toContain('too slow');
    // What it did get came in order, each point once.
    const got = pointsOf(slow.data).map((p) => Number(p.step));
    expect(got).toEqual(Array.from({ length: got.length }, (_, i) => i));
    expect(got.length).toBeLessThan(sent);
    await fine.until((d) => pointsOf(d).length === sent, 60_000);
    fine.close();
  }, 240_000);

  it('closes open subscriptions with 1001 when the server stops', async () => {
    const sub = await subscribe<EventMsg>(server.url, EVENTS, { run: 'stop-live' });
    const stopped = server.stop();
    expect(await sub.closed).toEqual({ code: 1001, reason: 'server stopping' });
    await stopped;
  });
});
