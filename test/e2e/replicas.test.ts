import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { EXAMPLES_STORES_DIR } from '../../src/connectors/store-registry';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { gql, startServerProcess, type ServerProcess } from '../helpers/server-process';

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
      expect(body.checks.map((c) => c.name).sort()).toEqual(['documents', 'extraction', 'fs', 'live-prune', 'provenance']);
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
});
