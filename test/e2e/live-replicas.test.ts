import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { subscribe } from '../helpers/live-client';
import { REDIS_URL } from '../helpers/redis';
import { gql, startServerProcess, type ServerProcess } from '../helpers/server-process';

/**
 * Two real server processes (replicas) on one PostgreSQL database: a subscription on replica B
 * sees what is ingested on replica A, through each bus backend (LISTEN/NOTIFY, Redis). The rest
 * of the two-replica checks of issue 13 (exactly-once, specs, extraction) are the ops suite's.
 */

const SPEC = {
  name: 'replicated',
  kind: 'LEARNING',
  study: { id: 'replica-study', name: 'Replica study' },
  transformations: [{ name: 'training', kind: 'LEARNING_STAGE', stageType: 'TRAINING' }],
};
const INGEST = `mutation($e: [JSON!]!) { ingest(events: $e) { accepted rejected } }`;

interface EventMsg {
  runEvents: { cursor: string; kind: string; task: string | null };
}
interface MetricsMsg {
  metrics: { cursor: string; points: Array<{ name: string; step: string }> };
}
interface RunsMsg {
  runs: { cursor: string; kind: string; run: string; workflow: string; status: string };
}

describe.each([
  ['PostgreSQL LISTEN/NOTIFY', {}],
  ['Redis pub/sub', { PROVML_REDIS_URL: REDIS_URL }],
])('two replicas on one PostgreSQL, live over %s', (label, busEnv: Record<string, string>) => {
  let db: TestDatabase;
  let a: ServerProcess;
  let b: ServerProcess;
  const dirs: string[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('provml_live_replicas');
    const start = async () => {
      const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'provml-live-replica-'));
      dirs.push(dir);
      return startServerProcess({ PROVML_DATABASE_URL: db.url, PROVML_DEMO: '0', PROVML_DATA_DIR: dir, ...busEnv });
    };
    [a, b] = await Promise.all([start(), start()]);
    const reg = await gql(a.url, 'mutation($s: WorkflowSpecInput!) { registerWorkflow(spec: $s) { id } }', { s: SPEC });
    expect(reg.body.errors).toBeUndefined();
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await db?.drop();
    for (const d of dirs) await fsp.rm(d, { recursive: true, force: true });
  });

  it(`a subscription on replica B sees events ingested on replica A (${label})`, async () => {
    const run = 'replica-run';
    const events = await subscribe<EventMsg>(b.url, `subscription { runEvents(run: "${run}") { cursor kind task } }`);
    const metrics = await subscribe<MetricsMsg>(b.url, `subscription { metrics(run: "${run}") { cursor points { name step } } }`);
    const runs = await subscribe<RunsMsg>(
      b.url,
      `subscription { runs(study: "replica-study") { cursor kind run workflow status } }`,
    );
    const batches = [
      [
        { id: 'r-b', type: 'workflowBegin', run, workflow: 'replicated' },
        { id: 'r-t', type: 'taskBegin', run, task: 'train-1', transformation: 'training' },
      ],
      Array.from({ length: 100 }, (_, i) => ({ id: `r-m${i}`, type: 'metric', run, name: 'loss', value: 1 / (i + 1), step: i })),
      [
        { id: 'r-te', type: 'taskEnd', task: 'train-1' },
        { id: 'r-e', type: 'workflowEnd', run },
      ],
    ];
    for (const e of batches) {
      const res = await gql<{ ingest: { accepted: number } }>(a.url, INGEST, { e });
      expect(res.body.data?.ingest.accepted).toBe(e.length);
    }
    await events.until((d) => d.length === 4);
    await metrics.until((d) => d.flatMap((m) => m.metrics.points).length === 100);
    await runs.until((d) => d.length === 2);
    expect(events.data.map((m) => m.runEvents.kind)).toEqual(['RUN_STARTED', 'TASK_BEGUN', 'TASK_ENDED', 'RUN_ENDED']);
    expect(metrics.data.flatMap((m) => m.metrics.points.map((p) => Number(p.step)))).toEqual(
      Array.from({ length: 100 }, (_, i) => i),
    );
    expect(runs.data.map((m) => [m.runs.kind, m.runs.run, m.runs.workflow, m.runs.status])).toEqual([
      ['STARTED', run, 'replicated', 'RUNNING'],
      ['ENDED', run, 'replicated', 'FINISHED'],
    ]);
    for (const s of [events, metrics, runs]) s.close();
  });
});
