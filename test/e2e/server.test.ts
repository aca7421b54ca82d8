import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { gql, startServerProcess, type ServerProcess } from '../helpers/server-process';

const INGEST = `mutation($e: [JSON!]!) { ingest(events: $e) { accepted duplicates rejected } }`;
const REGISTER = `mutation($s: WorkflowSpecInput!) { registerWorkflow(spec: $s) { version } }`;
const spec = { name: 'kill-test', transformations: [{ name: 'step' }] };

describe('provml serve (a real process over HTTP)', () => {
  let dataDir: string;
  let server: ServerProcess | null = null;

  beforeAll(async () => {
    dataDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'provml-e2e-'));
  });
  afterAll(async () => {
    await server?.stop();
    await fsp.rm(dataDir, { recursive: true, force: true });
  });

  it('loses no acknowledged event when killed with SIGKILL, on the local default store', async () => {
    server = await startServerProcess({ PROVML_DATA_DIR: dataDir, PROVML_DEMO: '0' });
    expect((await fetch(`${server.base}/healthz`)).status).toBe(200);
    expect((await gql(server.url, REGISTER, { s: spec })).body.errors).toBeUndefined();
    const begin = await gql<{ ingest: { accepted: number } }>(server.url, INGEST, {
      e: [
        { id: 'k0', type: 'workflowBegin', run: 'kill-run', workflow: 'kill-test' },
        { id: 'k1', type: 'taskBegin', task: 'root', run: 'kill-run', transformation: 'step' },
      ],
    });
    expect(begin.body.data!.ingest.accepted).toBe(2);
    for (let b = 0; b < 5; b++) {
      const events = Array.from({ length: 100 }, (_, i) => ({
        id: `k-${b}-${i}`,
        type: 'taskBegin',
        task: `t-${b}-${i}`,
        run: 'kill-run',
        parent: 'root',
        transformation: 'step',
      }));
      const r = await gql<{ ingest: { accepted: number } }>(server.url, INGEST, { e: events });
      expect(r.body.data!.ingest.accepted).toBe(100); // acknowledged
    }
    const pid = server.child.pid!;
    await new Promise<void>((resolve) => {
      server!.child.once('exit', () => resolve());
      process.kill(pid, 'SIGKILL');
    });
    // Its PostgreSQL outlives it, holding the data directory: the next start must cope.
    expect(fs.existsSync(path.join(dataDir, 'postgres', 'postmaster.pid'))).toBe(true);
    server = await startServerProcess({ PROVML_DATA_DIR: dataDir, PROVML_DEMO: '0' });
    const res = await gql<{ task: { children: { nodes: Array<{ id: string }>; pageInfo: { hasNextPage: boolean } } } }>(
      server.url,
      `{ task(id: "root") { children(first: 500) { nodes { id } pageInfo { hasNextPage } } } }`,
    );
    expect(res.body.data!.task.children.nodes).toHaveLength(500);
    // Resending everything after the restart changes nothing.
    const again = await gql<{ ingest: { duplicates: number } }>(server.url, INGEST, {
      e: Array.from({ length: 100 }, (_, i) => ({
        id: `k-4-${i}`,
        type: 'taskBegin',
        task: `t-4-${i}`,
        run: 'kill-run',
        parent: 'root',
        transformation: 'step',
      })),
    });
    expect(again.body.data!.ingest.duplicates).toBe(100);
    await server.stop();
    server = null;
  });
});

describe('provml serve on a PostgreSQL server, with the demo', () => {
  let db: TestDatabase;
  let server: ServerProcess;
  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startServerProcess({
      PROVML_DATABASE_URL: db.url,
      PROVML_MAX_BODY_BYTES: '65536',
      PROVML_DATA_DIR: os.tmpdir(),
    });
  });
  afterAll(async () => {
    await server?.stop();
    await db?.drop();
  });

  it('loads the demo lifecycle on first start', async () => {
    const res = await gql<{ bestModel: { reference: { uri: string } } }>(
      server.url,
      `{ bestModel(dataset: "/input/train.hdf5", measure: "loss") { reference { uri } } }`,
    );
    expect(res.body.data!.bestModel.reference.uri).toBe('/models/model188.hdf5');
  });

  it('answers a body over the byte limit with 413 and LIMIT_EXCEEDED', async () => {
    const big = Array.from({ length: 2000 }, (_, i) => ({
      id: `x${i}`,
      type: 'agent',
      agent: `a${i}`,
      kind: 'PERSON',
      name: 'x'.repeat(40),
    }));
    const res = await gql(server.url, INGEST, { e: big });
    expect(res.status).toBe(413);
    expect(res.body.errors![0].extensions).toMatchObject({ code: 'LIMIT_EXCEEDED', max: 65536 });
  });

  it('answers a body that is not JSON with 400', async () => {
    const res = await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query": ' });
    expect(res.status).toBe(400);
  });

  it("keeps an event's 64-bit integers and Python NaN as written, says so, and the rest of the body reads as before", async () => {
    expect(
      (await gql(server.url, REGISTER, { s: { name: 'seeds', transformations: [{ name: 'step' }] } })).body.errors,
    ).toBeUndefined();
    // As Python's json.dumps writes it: a torch seed beyond 2^53 and a diverged loss.
    const body =
      `{"query":${JSON.stringify(INGEST)},"variables":{"e":[` +
      '{"id":"s0","type":"workflowBegin","run":"seed-run","workflow":"seeds","attributes":{"seed":13249385781391849832,"loss":NaN}}' +
      ']}}';
    const res = await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(res.status).toBe(200);
    const answer = (await res.json()) as {
      data: { ingest: { accepted: number } };
      extensions?: { warnings?: Array<{ type: string }> };
    };
    expect(answer.data.ingest.accepted).toBe(1);
    expect(answer.extensions?.warnings?.map((w) => w.type).sort()).toEqual(['BIG_INTEGER', 'NON_FINITE_NUMBER']);
    const run = await gql<{ execution: { attributes: Record<string, unknown> } }>(
      server.url,
      '{ execution(id: "seed-run") { attributes } }',
    );
    expect(run.body.data!.execution.attributes).toEqual({ seed: '13249385781391849832', loss: 'NaN' });
    // Outside the events a long integer is read as JSON reads it: a Float argument stays a number.
    const q = `{"query":"query($n: Int) { executions(first: $n) { nodes { id } } }","variables":{"n":1,"pad":1234567890123456789}}`;
    const other = await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: q });
    const otherAnswer = (await other.json()) as { errors?: unknown; extensions?: unknown };
    expect(otherAnswer.errors).toBeUndefined();
    expect(otherAnswer.extensions).toBeUndefined();
  });

  it('takes ProvLake capture-library requests on /provlake/ and serves PROV documents on /prov', async () => {
    const fixture = (f: string) => fs.readFileSync(path.join(__dirname, '../fixtures/provlake', f), 'utf8');
    const post = (route: string, body: string) =>
      fetch(`${server.base}/provlake/${route}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect((await post('prospective-provenance', fixture('prospective-seismic-training.json'))).status).toBeLessThan(300);
    // The fixture is the sequence of bodies a training script posts, one bag per request.
    for (const bag of JSON.parse(fixture('retrospective-seismic-training.json')) as unknown[]) {
      expect((await post('retrospective-provenance', JSON.stringify(bag))).status).toBeLessThan(300);
    }
    const runs = await gql<{ experiments: { nodes: Array<{ name: string }> } }>(
      server.url,
      `{ experiments(filter: { name: "seismic_training" }) { nodes { name } } }`,
    );
    expect(runs.body.data!.experiments.nodes.length).toBeGreaterThan(0);
    const doc = await fetch(`${server.base}/prov/entity?uri=${encodeURIComponent('/models/model188.hdf5')}&depth=6`, {
      headers: { accept: 'text/turtle' },
    });
    expect(doc.status).toBe(200);
    expect(await doc.text()).toMatch(/prov:wasGeneratedBy/);
  });

  it('serves introspection for tooling', async () => {
    const res = await gql<{ __schema: { queryType: { name: string } } }>(server.url, `{ __schema { queryType { name } } }`);
    expect(res.body.data!.__schema.queryType.name).toBe('Query');
  });
});
