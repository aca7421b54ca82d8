import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { EXAMPLES_STORES_DIR } from '../../src/connectors/store-registry';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { gql, startServerProcess, type ServerProcess } from '../helpers/server-process';
import { parkedCommand } from '../../src/commands/parked-command';
import { runCli } from '../helpers/run-cli';
import { TextSink } from '../helpers/text-sink';

/**
 * Two real `provml serve` processes on one PostgreSQL database and one store registry (an fs
 * object store, a GeoJSON directory), as behind a load balancer: what either replica writes,
 * the other answers. (Subscriptions across replicas are tested with the subscription server.)
 */

const INGEST = `mutation($e: [JSON!]!) { ingest(events: $e) { accepted duplicates rejected issues { field message } } }`;
const REGISTER = `mutation($s: WorkflowSpecInput!) { registerWorkflow(spec: $s) { version } }`;
const REF = `query($uri: String!) { dataReference(uri: $uri, store: "fs") {
  document { geometry }
  extraction { status note }
} }`;
type Ingested = { ingest: { accepted: number; duplicates: number; rejected: number; issues: unknown[] } };
type Ref = {
  dataReference: { document: { geometry: unknown } | null; extraction: { status: string; note: string | null } | null };
};

describe('two replicas on one PostgreSQL', () => {
  let db: TestDatabase;
  let dir: string;
  let a: ServerProcess;
  let b: ServerProcess;

  beforeAll(async () => {
    db = await createTestDatabase('provml_replicas');
    dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'provml-replicas-'));
    await fsp.mkdir(path.join(dir, 'objects/data'), { recursive: true });
    await fsp.mkdir(path.join(dir, 'documents'));
    await fsp.copyFile(path.join(EXAMPLES_STORES_DIR, 'objects/data/netherlands.sgy'), path.join(dir, 'objects/data/cube.sgy'));
    const config = path.join(dir, 'stores.json');
    await fsp.writeFile(
      config,
      JSON.stringify({
        stores: [
          { id: 'fs', kind: 'fs', options: { root: 'objects', paths: 'rooted' } },
          { id: 'documents', kind: 'mongodb', options: { directory: 'documents' } },
        ],
      }),
    );
    // Each replica has its own data directory (as on two hosts); the database and stores are shared.
    const env = (name: string) => ({
      PROVML_DATABASE_URL: db.url,
      PROVML_DATA_DIR: path.join(dir, name),
      PROVML_DEMO: '0',
      PROVML_CONFIG: config,
    });
    // Started together: migrations are serialised by the store, whichever comes first.
    [a, b] = await Promise.all([startServerProcess(env('a')), startServerProcess(env('b'))]);
  }, 120_000);
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await db?.drop();
    if (dir) await fsp.rm(dir, { recursive: true, force: true });
  });

  it('both answer /readyz 200 with every store up', async () => {
    for (const s of [a, b]) {
      const res = await fetch(`${s.base}/readyz`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as { checks: Array<{ name: string; state: string }> };
      expect(body.checks.map((c) => c.name).sort()).toEqual([
        'documents',
        'extraction',
        'fs',
        'live-prune',
        'parked',
        'provenance',
      ]);
    }
  });

  it('uses a spec registered on one replica on the other, and a newer version registered there back on the first', async () => {
    expect(
      (await gql(a.url, REGISTER, { s: { name: 'shared', transformations: [{ name: 'train' }] } })).body.errors,
    ).toBeUndefined();
    const begun = await gql<Ingested>(b.url, INGEST, {
      e: [
        { id: 's1', type: 'workflowBegin', run: 'shared-1', workflow: 'shared' },
        { id: 's2', type: 'taskBegin', task: 'shared-1.t', run: 'shared-1', transformation: 'train' },
      ],
    });
    expect(begun.body.data!.ingest).toMatchObject({ accepted: 2, rejected: 0 });

    const v2 = { name: 'shared', transformations: [{ name: 'train' }, { name: 'evaluate' }] };
    expect((await gql<{ registerWorkflow: { version: number } }>(b.url, REGISTER, { s: v2 })).body.data).toEqual({
      registerWorkflow: { version: 2 },
    });
    const onA = await gql<Ingested>(a.url, INGEST, {
      e: [
        { id: 's3', type: 'workflowBegin', run: 'shared-2', workflow: 'shared' },
        { id: 's4', type: 'taskBegin', task: 'shared-2.t', run: 'shared-2', transformation: 'evaluate' },
      ],
    });
    expect(onA.body.data!.ingest).toMatchObject({ accepted: 2, rejected: 0 });
  });

  it('writes the same batches, sent to both at once, exactly once', async () => {
    const batches = Array.from({ length: 6 }, (_, n) => [
      ...(n === 0 ? [{ id: 'x-begin', type: 'workflowBegin', run: 'twice', workflow: 'shared' }] : []),
      ...Array.from({ length: 200 }, (_, i) => ({
        id: `x-${n}-${i}`,
        type: 'metric',
        run: 'twice',
        name: 'loss',
        value: n * 1000 + i,
        step: n * 200 + i,
      })),
    ]);
    const total = batches.reduce((sum, events) => sum + events.length, 0);
    // The first batch begins the run: it lands before the rest, on both replicas at once.
    const answers: Ingested['ingest'][] = [];
    for (const group of [batches.slice(0, 1), batches.slice(1)]) {
      const sent = await Promise.all(group.flatMap((events) => [a, b].map((s) => gql<Ingested>(s.url, INGEST, { e: events }))));
      for (const r of sent) {
        expect(r.body.errors).toBeUndefined();
        answers.push(r.body.data!.ingest);
      }
    }
    expect(answers.reduce((n, r) => n + r.accepted, 0)).toBe(total);
    expect(answers.reduce((n, r) => n + r.duplicates, 0)).toBe(total);
    expect(answers.reduce((n, r) => n + r.rejected, 0)).toBe(0);

    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const rows = await client.query<{ n: string; steps: string }>(
        `SELECT count(*)::text AS n, count(DISTINCT step)::text AS steps FROM metric_point WHERE run_id = 'twice'`,
      );
      expect(rows.rows[0]).toEqual({ n: String(total - 1), steps: String(total - 1) });
    } finally {
      await client.end();
    }
  });

  it('shows the extraction one replica ran, footprint and all, on both', async () => {
    const uri = '/data/cube.sgy';
    // Both have read the (empty) document directory before the footprint exists.
    for (const s of [a, b]) expect((await gql<Ref>(s.url, REF, { uri })).body.data?.dataReference ?? null).toBeNull();
    expect(
      (await gql(a.url, REGISTER, { s: { name: 'curation', kind: 'DATA', transformations: [{ name: 'ingest_raw' }] } })).body
        .errors,
    ).toBeUndefined();
    const ingested = await gql<Ingested>(b.url, INGEST, {
      e: [
        { id: 'c-b', type: 'workflowBegin', run: 'cur', workflow: 'curation' },
        {
          id: 'c-t',
          type: 'taskBegin',
          task: 'cur.t',
          run: 'cur',
          transformation: 'ingest_raw',
          used: { raw: { $ref: uri, store: 'fs', extract: true } },
        },
      ],
    });
    expect(ingested.body.data!.ingest).toMatchObject({ accepted: 2, rejected: 0 });

    // Either replica's worker may take the job (leased); wait until it is done, asking both.
    const deadline = Date.now() + 90_000;
    for (let i = 0; ; i++) {
      const res = await gql<Ref>([a, b][i % 2].url, REF, { uri });
      const status = res.body.data?.dataReference?.extraction?.status;
      if (status === 'DONE') break;
      if (status === 'FAILED' || Date.now() > deadline) throw new Error(`extraction ${status}: ${JSON.stringify(res.body)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const seen = await Promise.all([a, b].map((s) => gql<Ref>(s.url, REF, { uri })));
    for (const res of seen) {
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data!.dataReference.extraction).toEqual({ status: 'DONE', note: null });
      expect(res.body.data!.dataReference.document?.geometry).toMatchObject({ type: 'Polygon' });
    }
    expect(seen[0].body.data!.dataReference.document).toEqual(seen[1].body.data!.dataReference.document);
  }, 120_000);

  it('writes, once, a rank whose events reach one replica before rank 0 begins the run on the other', async () => {
    const PARKED = `mutation($e: [JSON!]!) { ingest(events: $e) { accepted duplicates rejected parked issues { message }
      parkedEvents { index eventId waitsFor { kind id } } } }`;
    type Parked = Ingested & { ingest: { parked: number; parkedEvents: unknown[] } };
    const rank1 = (run: string) => [
      { id: `${run}-r1-b`, type: 'taskBegin', task: `${run}.rank1`, run, transformation: 'train', host: 'node1' },
      ...Array.from({ length: 20 }, (_v, i) => ({
        id: `${run}-r1-m${i}`,
        type: 'metric',
        run,
        task: `${run}.rank1`,
        name: 'loss',
        value: 1 / (i + 1),
        step: i,
      })),
      { id: `${run}-r1-e`, type: 'taskEnd', task: `${run}.rank1`, status: 'FINISHED' },
    ];
    const rank0 = (run: string) => [{ id: `${run}-r0`, type: 'workflowBegin', run, workflow: 'shared' }];
    const landed = async (run: string) => {
      const sql = new pg.Client({ connectionString: db.url });
      await sql.connect();
      try {
        for (let i = 0; i < 100; i++) {
          const n = (
            await sql.query(`SELECT count(*)::int AS n FROM parked_event WHERE event->>'run' = $1 OR event->>'task' LIKE $2`, [
              run,
              `${run}.%`,
            ])
          ).rows[0].n;
          if (n === 0) break;
          await new Promise((r) => setTimeout(r, 100));
        }
        return {
          metrics: (await sql.query(`SELECT count(*)::int AS n FROM metric_point WHERE run_id = $1`, [run])).rows[0].n,
          task: (await sql.query(`SELECT status, host FROM task_execution WHERE id = $1`, [`${run}.rank1`])).rows,
        };
      } finally {
        await sql.end();
      }
    };

    // Rank 1's events on A, then (later, another batch) rank 0's begin on B.
    const early = await gql<Parked>(a.url, PARKED, { e: rank1('late-0') });
    expect(early.body.data!.ingest).toMatchObject({ accepted: 0, rejected: 0, parked: 22 });
    expect(early.body.data!.ingest.parkedEvents[0]).toEqual({
      index: 0,
      eventId: 'late-0-r1-b',
      waitsFor: { kind: 'run', id: 'late-0' },
    });
    const ready = (await (await fetch(`${a.base}/readyz`)).json()) as { checks: Array<{ name: string; info?: unknown }> };
    expect(ready.checks.find((c) => c.name === 'parked')).toMatchObject({ state: 'up' });
    const metrics = await (await fetch(`${b.base}/metrics`)).text();
    expect(metrics).toMatch(/provml_parked_events\{state="parked"\} 22/);
    // A resend of the parked events (a client that timed out): still parked, once.
    expect((await gql<Parked>(b.url, PARKED, { e: rank1('late-0') })).body.data!.ingest).toMatchObject({ parked: 22 });
    expect((await gql<Parked>(b.url, PARKED, { e: rank0('late-0') })).body.data!.ingest).toMatchObject({ accepted: 1 });
    expect(await landed('late-0')).toEqual({ metrics: 20, task: [{ status: 'FINISHED', host: 'node1' }] });

    // Two concurrent HTTP requests, rank 1 on A and rank 0 on B, several runs at once.
    const runs = ['late-1', 'late-2', 'late-3', 'late-4'];
    const sent = await Promise.all(
      runs.flatMap((run) => [gql<Parked>(a.url, PARKED, { e: rank1(run) }), gql<Parked>(b.url, PARKED, { e: rank0(run) })]),
    );
    for (const r of sent) expect(r.body.data!.ingest).toMatchObject({ rejected: 0 });
    for (const run of runs) expect(await landed(run)).toEqual({ metrics: 20, task: [{ status: 'FINISHED', host: 'node1' }] });
    // And once written, a resend is duplicates.
    expect((await gql<Parked>(a.url, PARKED, { e: rank1('late-1') })).body.data!.ingest).toMatchObject({
      duplicates: 22,
      parked: 0,
    });
  }, 60_000);

  it('lists what still waits with `provml parked`, and says when none of it is past a limit', async () => {
    const waiting = [{ id: 'orphan-1', type: 'metric', run: 'never-begun', name: 'loss', value: 1, step: 0 }];
    expect((await gql<Ingested>(a.url, INGEST, { e: waiting })).body.data!.ingest).toMatchObject({ accepted: 0, rejected: 0 });
    const out = new TextSink();
    const err = new TextSink();
    const code = await runCli('parked', parkedCommand, ['--url', b.url], out, err, {});
    expect({ code, err: err.text }).toEqual({ code: 0, err: '' });
    expect(out.text).toMatch(/^parked 1 \(limit 100000\), oldest \d+ s \(limit 86400 s\), rejected 0\n/);
    expect(out.text).toMatch(/PARKED\s+orphan-1 {2}waits for run never-begun\n$/);
  });
});
