import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { ROOT_FIELD_SCOPES, type Requirement } from '../../src/auth/access-policy';
import type { Scope } from '../../src/auth/scopes';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { subscribe } from '../helpers/live-client';
import { runProvml, startServerProcess, type ServerProcess } from '../helpers/server-process';

/**
 * Access control over HTTP against real `provml serve` processes on one PostgreSQL database:
 * every root field and route against every scope, study-limited tokens, revocation and expiry
 * across two replicas, rate limits, the audit log, and the loopback quick start.
 */
type Body = { data?: Record<string, unknown> | null; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> };

async function call(base: string, token: string | null, query: string, variables?: Record<string, unknown>) {
  const res = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Body };
}

async function route(base: string, token: string | null, method: string, path: string, body?: unknown) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined || body === null || method === 'GET' ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text };
}

const TOKEN = /pml_[0-9a-f]{16}_[A-Za-z0-9_-]{43}/;

const spec = (name: string, study: string) => ({
  name,
  kind: 'LEARNING',
  study: { id: study, name: `Study ${study}` },
  transformations: [
    {
      name: 'train',
      kind: 'LEARNING_STAGE',
      stageType: 'TRAINING',
      used: [{ name: 'dataset', role: 'LEARNING_DATASET_REFERENCE' }],
      generated: [
        { name: 'model', role: 'MODEL_REFERENCE' },
        { name: 'loss', role: 'EVALUATION_MEASURE' },
      ],
    },
  ],
});
const REGISTER = 'mutation($s: WorkflowSpecInput!) { registerWorkflow(spec: $s) { version } }';
const INGEST = 'mutation($e: [JSON!]!) { ingest(events: $e) { accepted rejected issues { index code field } } }';

const runEvents = (run: string, wf: string, used: string, generated: string, loss = 1) => [
  { id: `${run}:0`, type: 'workflowBegin', run, workflow: wf },
  { id: `${run}:1`, type: 'taskBegin', task: `${run}.train`, run, transformation: 'train', used: { dataset: { $ref: used } } },
  { id: `${run}:2`, type: 'taskEnd', task: `${run}.train`, generated: { model: { $ref: generated }, loss } },
  { id: `${run}:3`, type: 'workflowEnd', run },
];

let uniq = 0;
/** One operation per root field; the table below must name every field of ROOT_FIELD_SCOPES. */
const OPERATIONS: Record<'Query' | 'Mutation', Record<string, () => { query: string; variables?: Record<string, unknown> }>> = {
  Query: {
    bestModel: () => ({ query: '{ bestModel(dataset: "/data/shared.h5", measure: "loss") { __typename } }' }),
    dataReference: () => ({ query: '{ dataReference(uri: "/data/shared.h5") { __typename } }' }),
    dataReferences: () => ({ query: '{ dataReferences { nodes { uri } } }' }),
    dataStores: () => ({ query: '{ dataStores { __typename } }' }),
    execution: () => ({ query: '{ execution(id: "run-a") { __typename } }' }),
    executions: () => ({ query: '{ executions { nodes { __typename } } }' }),
    experiments: () => ({ query: '{ experiments { nodes { __typename } } }' }),
    extractionJobs: () => ({ query: '{ extractionJobs { nodes { __typename } } }' }),
    lineage: () => ({ query: '{ lineage(start: "/data/shared.h5") { depth } }' }),
    model: () => ({ query: '{ model(uri: "/models/a.h5") { __typename } }' }),
    models: () => ({ query: '{ models { nodes { __typename } } }' }),
    modelsTrainedOnArea: () => ({
      query: '{ modelsTrainedOnArea(geometry: {type: "Point", coordinates: [0, 0]}) { __typename } }',
    }),
    node: () => ({ query: '{ node(id: "run:run-a") { id } }' }),
    provDocument: () => ({ query: '{ provDocument(run: "run-a") }' }),
    sparql: () => ({ query: '{ sparql(store: "nowhere", query: "ASK {}") { __typename } }' }),
    studies: () => ({ query: '{ studies { nodes { id } } }' }),
    task: () => ({ query: '{ task(id: "run-a.train") { __typename } }' }),
    apiTokens: () => ({ query: '{ apiTokens { name } }' }),
    parkedEvents: () => ({ query: '{ parkedEvents(first: 5) { parked overLimit events { eventId } } }' }),
    __schema: () => ({ query: '{ __schema { queryType { name } } }' }),
    __type: () => ({ query: '{ __type(name: "Query") { name } }' }),
    __typename: () => ({ query: '{ __typename }' }),
  },
  Mutation: {
    ingest: () => ({ query: 'mutation { ingest(events: []) { accepted } }' }),
    registerWorkflow: () => ({ query: REGISTER, variables: { s: spec('wf-alpha', 'alpha') } }),
    createApiToken: () => ({
      query: `mutation { createApiToken(input: {name: "made-${++uniq}", scopes: ["read"]}) { secret } }`,
    }),
    revokeApiToken: () => ({ query: 'mutation { revokeApiToken(token: "no-such-token") { id } }' }),
    deleteParkedEvents: () => ({ query: 'mutation { deleteParkedEvents(run: "no-such-run") { dryRun matched deleted } }' }),
    __typename: () => ({ query: 'mutation { __typename }' }),
  },
};

const ROUTES: Array<{ method: string; path: string; body?: unknown; need: Scope | null }> = [
  { method: 'GET', path: '/healthz', need: null },
  { method: 'GET', path: '/prov/runs/run-a', need: 'read' },
  { method: 'GET', path: '/prov', need: 'read' },
  { method: 'POST', path: '/provlake/prospective-provenance', body: {}, need: 'register' },
  { method: 'POST', path: '/provlake/retrospective-provenance', body: [], need: 'ingest' },
  { method: 'GET', path: '/provlake/provenance/api/data-stores', need: 'read' },
  { method: 'POST', path: '/provlake/provenance/api/data-stores', body: {}, need: 'register' },
  // As ProvLake's library writes them (urljoin), and a path that WHATWG URL would read as a host.
  { method: 'GET', path: '/provlake//provenance/api/data-stores', need: 'read' },
  { method: 'POST', path: '//provenance/api/data-stores', body: {}, need: 'register' },
  { method: 'POST', path: '//retrospective-provenance', body: [], need: 'ingest' },
];

const SCOPED: Scope[] = ['read', 'ingest', 'register', 'admin'];
const allows = (have: Scope, need: Scope | null) => need === null || have === need || have === 'admin';

describe('access control over HTTP (two replicas on one database)', () => {
  let db: TestDatabase;
  let a: ServerProcess;
  let b: ServerProcess;
  let pool: pg.Pool;
  const tokens: Record<string, string> = {};

  const create = async (name: string, scopes: string[], studies?: string[]) => {
    const r = await call(
      a.base,
      tokens.root,
      'mutation($i: ApiTokenInput!) { createApiToken(input: $i) { secret token { name } } }',
      {
        i: { name, scopes, studies },
      },
    );
    expect(r.body.errors).toBeUndefined();
    const secret = (r.body.data!.createApiToken as { secret: string }).secret;
    expect(secret).toMatch(TOKEN);
    tokens[name] = secret;
  };

  beforeAll(async () => {
    db = await createTestDatabase('provml_auth');
    pool = new pg.Pool({ connectionString: db.url, max: 2 });
    const env = {
      PROVML_DATABASE_URL: db.url,
      PROVML_DEMO: '0',
      PROVML_AUTH: 'required',
      PROVML_LOG_LEVEL: 'info',
      PROVML_RATE_EXPENSIVE_PER_MIN: '40',
      // Open subscription connections have their token checked again this often.
      PROVML_AUTH_RECHECK_MS: '300',
    };
    // The first admin token comes from the CLI, against the database.
    const cli = await runProvml(['token', 'create', '--name', 'root', '--scopes', 'admin', '--owner', 'ops'], env);
    expect(cli.code).toBe(0);
    tokens.root = TOKEN.exec(cli.output)![0];
    [a, b] = await Promise.all([startServerProcess(env), startServerProcess(env)]);
    for (const s of SCOPED) await create(`only-${s}`, [s]);
    await create('alpha-reader', ['read'], ['alpha']);
    await create('alpha-writer', ['ingest', 'register'], ['alpha']);
    // Two studies; alpha generates a file that beta's run then uses (a lineage across studies).
    for (const [wf, st] of [
      ['wf-alpha', 'alpha'],
      ['wf-beta', 'beta'],
    ])
      expect((await call(a.base, tokens.root, REGISTER, { s: spec(wf, st) })).body.errors).toBeUndefined();
    const seeded = await call(a.base, tokens.root, INGEST, {
      e: [
        ...runEvents('run-a', 'wf-alpha', '/data/raw.h5', '/data/shared.h5', 0.5),
        ...runEvents('run-b', 'wf-beta', '/data/shared.h5', '/models/b.h5'),
        ...runEvents('run-b2', 'wf-beta', '/data/beta-only.h5', '/models/b2.h5'),
        // Beta trains on alpha's raw file too, and better: the best model of that set is beta's.
        ...runEvents('run-b3', 'wf-beta', '/data/raw.h5', '/models/b3.h5', 0.01),
        { id: 'bot', type: 'agent', agent: 'beta-bot', kind: 'SOFTWARE', name: 'Beta bot' },
        { id: 'b4', type: 'workflowBegin', run: 'run-b4', workflow: 'wf-beta', agent: 'beta-bot' },
      ],
    });
    expect(seeded.body.data!.ingest).toMatchObject({ accepted: 18, rejected: 0 });
  }, 180_000);

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await pool?.end();
    await db?.drop();
  });

  it('covers every root field of the policy with an operation', () => {
    for (const type of ['Query', 'Mutation'] as const) {
      expect(Object.keys(OPERATIONS[type]).sort()).toEqual(Object.keys(ROOT_FIELD_SCOPES[type]).sort());
    }
  });

  const cases = (['Query', 'Mutation'] as const).flatMap((type) =>
    Object.entries(ROOT_FIELD_SCOPES[type]).map(([field, need]) => ({ type, field, need: need as Requirement })),
  );

  it.each(cases)('$field of $type: refused without a token, allowed exactly to its scope', async ({ type, field, need }) => {
    const op = OPERATIONS[type][field]();
    const anon = await call(a.base, null, op.query, op.variables);
    expect(anon.status).toBe(401);
    expect(anon.body.errors![0].extensions!.code).toBe('UNAUTHENTICATED');
    expect(anon.headers.get('www-authenticate')).toMatch(/^Bearer/);
    for (const s of SCOPED) {
      const r = await call(a.base, tokens[`only-${s}`], op.query, op.variables);
      const codes = (r.body.errors ?? []).map((e) => e.extensions?.code);
      if (allows(s, need.scope)) {
        expect({ scope: s, status: r.status, codes }).toEqual({
          scope: s,
          status: 200,
          codes: codes.filter((c) => c !== 'FORBIDDEN' && c !== 'UNAUTHENTICATED'),
        });
      } else {
        expect({ scope: s, status: r.status, code: codes[0], missing: r.body.errors![0].extensions!.scope }).toEqual({
          scope: s,
          status: 403,
          code: 'FORBIDDEN',
          missing: need.scope,
        });
      }
    }
  });

  it.each(ROUTES)('$method $path: allowed exactly to scope $need', async ({ method, path, body, need }) => {
    const anon = await route(a.base, null, method, path, body);
    expect(anon.status).toBe(need === null ? 200 : 401);
    for (const s of SCOPED) {
      const r = await route(a.base, tokens[`only-${s}`], method, path, body);
      if (allows(s, need)) expect([401, 403]).not.toContain(r.status);
      else {
        expect({ s, status: r.status }).toEqual({ s, status: 403 });
        expect(JSON.parse(r.text).errors[0].extensions).toMatchObject({ code: 'FORBIDDEN', scope: need });
      }
    }
  });

  it("accepts the bearer from ProvLake's capture library: a recorded session replays with an ingest+register token", async () => {
    const session = (
      JSON.parse(fs.readFileSync(path.join(__dirname, '../fixtures/provlake/lifecycle-session.json'), 'utf8')) as {
        requests: Array<{ method: string; path: string; body: unknown }>;
      }
    ).requests;
    await create('provlake-job', ['ingest', 'register', 'read']);
    const first = session[0];
    expect((await route(a.base, null, first.method, first.path, first.body)).status).toBe(401);
    for (const r of session) {
      const res = await route(a.base, tokens['provlake-job'], r.method, r.path, r.body);
      expect({ path: r.path, status: res.status < 300 }).toEqual({ path: r.path, status: true });
    }
  });

  it('shows readiness details to admins only', async () => {
    expect(JSON.parse((await route(a.base, null, 'GET', '/healthz')).text)).toEqual({ status: 'ok' });
    expect(JSON.parse((await route(a.base, tokens['only-read'], 'GET', '/healthz')).text)).toEqual({ status: 'ok' });
    expect(JSON.parse((await route(a.base, tokens.root, 'GET', '/healthz')).text)).toEqual({ status: 'ok', store: 'server' });
  });

  it('gates /readyz details and /metrics like /healthz: admin tokens only', async () => {
    const ready = (token: string | null) => route(a.base, token, 'GET', '/readyz');
    expect(Object.keys(JSON.parse((await ready(null)).text))).not.toContain('checks');
    expect(JSON.parse((await ready(tokens.root)).text)).toHaveProperty('checks');
    const anon = await route(a.base, null, 'GET', '/metrics');
    expect(anon.status).toBe(401);
    expect(anon.headers.get('www-authenticate')).toMatch(/^Bearer/);
    const reader = await route(a.base, tokens['only-read'], 'GET', '/metrics');
    expect(reader.status).toBe(403);
    expect(JSON.parse(reader.text).errors[0].extensions).toMatchObject({ code: 'FORBIDDEN', scope: 'admin' });
    // A revoked admin token is refused as revoked (401), not as lacking a scope.
    await create('old-admin', ['admin']);
    expect((await route(a.base, tokens['old-admin'], 'GET', '/metrics')).status).toBe(200);
    await call(a.base, tokens.root, 'mutation { revokeApiToken(token: "old-admin") { revokedAt } }');
    const gone = await route(a.base, tokens['old-admin'], 'GET', '/metrics');
    expect(gone.status).toBe(401);
    expect(JSON.parse(gone.text).errors[0]).toMatchObject({
      message: 'the access token was revoked',
      extensions: { code: 'UNAUTHENTICATED' },
    });
    const scraped = await route(a.base, tokens.root, 'GET', '/metrics');
    expect(scraped.status).toBe(200);
    expect(scraped.text).toContain('provml_active_subscriptions');
  });

  it('gates subscriptions: a token at connection_init, scope read to subscribe', async () => {
    const q = 'subscription { runs(study: "alpha") { run status } }';
    // No token: the connection is refused at connection_init (graphql-ws 4403).
    await expect(subscribe(`${a.base}/graphql`, q)).rejects.toThrow(/4403/);
    // A token without read: connected, the subscription refused naming the scope.
    const denied = await subscribe(`${a.base}/graphql`, q, {}, { authorization: `Bearer ${tokens['only-ingest']}` });
    await denied.until(() => denied.errors.length > 0 || denied.completed);
    expect(JSON.stringify(denied.errors)).toMatch(/FORBIDDEN/);
    denied.close();
    // A read token (in connectionParams, as a browser sends it) subscribes.
    const ok = await subscribe(`${a.base}/graphql`, q, {}, { authorization: `Bearer ${tokens['only-read']}` });
    expect(ok.errors).toEqual([]);
    ok.close();
  });

  it('closes an open subscription connection once its token is revoked or expires, on either replica', async () => {
    await create('watcher', ['read']);
    await create('watcher-2', ['read']);
    await create('bystander', ['read']);
    const q = 'subscription { runs(study: "alpha") { run status } }';
    const open = (base: string, name: string) => subscribe(`${base}/graphql`, q, {}, { authorization: `Bearer ${tokens[name]}` });
    // Two connections of one token (one per replica), one of another token, one of a third.
    const [onA, onB, other, third] = await Promise.all([
      open(a.base, 'watcher'),
      open(b.base, 'watcher'),
      open(a.base, 'watcher-2'),
      open(b.base, 'bystander'),
    ]);
    const revoked = await call(a.base, tokens.root, 'mutation { revokeApiToken(token: "watcher") { revokedAt } }');
    expect(revoked.body.errors).toBeUndefined();
    const within = (p: Promise<{ code: number; reason: string }>) =>
      Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('still open after 5 s')), 5000))]);
    expect(await within(onA.closed)).toEqual({ code: 4403, reason: 'the access token was revoked' });
    expect(await within(onB.closed)).toEqual({ code: 4403, reason: 'the access token was revoked' });
    await pool.query(`UPDATE api_token SET expires_at = now() - interval '1 second' WHERE name = 'watcher-2'`);
    expect(await within(other.closed)).toEqual({ code: 4403, reason: 'the access token was expired' });
    // The token nobody revoked keeps its connection through several rounds.
    await new Promise((r) => setTimeout(r, 1000));
    expect(third.ws.readyState).toBe(third.ws.OPEN);
    third.close();
  });

  it("limits a study-limited token's subscriptions to its studies", async () => {
    const as = { authorization: `Bearer ${tokens['alpha-reader']}` };
    const url = `${a.base}/graphql`;
    const refused = async (q: string) => {
      const sub = await subscribe(url, q, {}, as);
      await sub.until(() => sub.errors.length > 0 || sub.completed);
      sub.close();
      return JSON.stringify(sub.errors);
    };
    expect(await refused('subscription { runEvents(run: "run-b") { kind } }')).toMatch(/FORBIDDEN/);
    expect(await refused('subscription { metrics(run: "run-b") { cursor } }')).toMatch(/FORBIDDEN/);
    expect(await refused('subscription { runs(study: "beta") { run } }')).toMatch(/FORBIDDEN/);
    // Its own study's run and study: followed (replayed from the start with after: "0").
    const own = await subscribe(url, 'subscription { runEvents(run: "run-a", after: "0") { kind } }', {}, as);
    await own.until((d) => d.length > 0);
    expect(own.errors).toEqual([]);
    own.close();
    const study = await subscribe(url, 'subscription { runs(study: "alpha") { run } }', {}, as);
    expect(study.errors).toEqual([]);
    study.close();
  });

  it('lists tokens without secrets, and refuses garbage and unknown tokens alike', async () => {
    const r = await call(a.base, tokens.root, '{ apiTokens { name owner scopes studies lastUsedAt revokedAt } }');
    const list = r.body.data!.apiTokens as Array<{ name: string; owner: string | null; studies: string[] | null }>;
    expect(list.find((t) => t.name === 'root')).toMatchObject({ owner: 'ops', studies: null });
    expect(list.find((t) => t.name === 'alpha-reader')).toMatchObject({ studies: ['alpha'] });
    expect(JSON.stringify(r.body)).not.toMatch(TOKEN);
    const forged = tokens.root.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'));
    for (const bad of [forged, 'pml_0000000000000000_' + 'x'.repeat(43), 'not-a-token']) {
      const res = await call(a.base, bad, '{ __typename }');
      expect(res.status).toBe(401);
      expect(res.body.errors![0].message).toBe('the access token is not valid');
    }
  });

  it('refuses a revoked token at once on the other replica, and an expired one', async () => {
    await create('victim', ['read']);
    await create('short', ['read']);
    expect((await call(b.base, tokens.victim, '{ studies { nodes { id } } }')).status).toBe(200);
    expect((await call(b.base, tokens.short, '{ studies { nodes { id } } }')).status).toBe(200);
    const revoked = await call(a.base, tokens.root, 'mutation { revokeApiToken(token: "victim") { revokedAt } }');
    expect(revoked.body.data!.revokeApiToken).toMatchObject({ revokedAt: expect.any(String) });
    const onB = await call(b.base, tokens.victim, '{ studies { nodes { id } } }');
    expect(onB.status).toBe(401);
    expect(onB.body.errors![0]).toMatchObject({
      message: 'the access token was revoked',
      extensions: { code: 'UNAUTHENTICATED' },
    });
    await pool.query(`UPDATE api_token SET expires_at = now() - interval '1 second' WHERE name = 'short'`);
    const expired = await call(b.base, tokens.short, '{ studies { nodes { id } } }');
    expect(expired.status).toBe(401);
    expect(expired.body.errors![0].message).toBe('the access token was expired');
    // The CLI sees the same rows.
    const list = await runProvml(['token', 'list'], { PROVML_DATABASE_URL: db.url });
    expect(list.output).toMatch(/\tvictim\tread\t\*\t.*\trevoked /);
    expect(list.output).toMatch(/\tshort\tread\t\*\t.*\texpired/);
    expect(list.output).not.toMatch(TOKEN);
  });

  it('answers 429 with Retry-After once a token spends its rate of expensive requests', async () => {
    await create('hammer', ['read']);
    let last = await route(b.base, tokens.hammer, 'GET', '/prov/runs/run-a');
    let n = 1;
    while (last.status === 200 && n < 50) {
      last = await route(b.base, tokens.hammer, 'GET', '/prov/runs/run-a');
      n += 1;
    }
    // 40 a minute: the 41st is refused, give or take what refilled while the loop ran.
    expect(last.status).toBe(429);
    expect(n).toBeGreaterThan(40);
    expect(Number(last.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(JSON.parse(last.text).errors[0].extensions).toMatchObject({ code: 'RATE_LIMITED', retryAfter: expect.any(Number) });
    // Lineage draws on the same bucket; another token's is untouched.
    expect((await call(b.base, tokens.hammer, '{ lineage(start: "/data/shared.h5") { depth } }')).status).toBe(429);
    expect((await call(b.base, tokens['only-read'], '{ lineage(start: "/data/shared.h5") { depth } }')).status).toBe(200);
  });

  describe('a token limited to study alpha', () => {
    const read = (q: string) => call(a.base, tokens['alpha-reader'], q);

    it('lists only alpha in studies, experiments, executions, models and data references (and their search)', async () => {
      const r = await read(`{
        studies { nodes { id } }
        experiments { nodes { name } }
        executions { nodes { id } }
        models { nodes { reference { uri } } }
        dataReferences { nodes { uri } }
        search: dataReferences(filter: { uriPrefix: "/data/" }) { nodes { uri } }
      }`);
      expect(r.body.errors).toBeUndefined();
      const d = r.body.data as Record<string, { nodes: Array<Record<string, unknown>> }>;
      expect(d.studies.nodes).toEqual([{ id: 'study:alpha' }]);
      expect(d.experiments.nodes).toEqual([{ name: 'wf-alpha' }]);
      expect(d.executions.nodes.map((n) => n.id)).toEqual(['run:run-a']);
      expect(d.models.nodes).toEqual([{ reference: { uri: '/data/shared.h5' } }]);
      expect(d.dataReferences.nodes.map((n) => n.uri).sort()).toEqual(['/data/raw.h5', '/data/shared.h5']);
      expect(d.search.nodes.map((n) => n.uri).sort()).toEqual(['/data/raw.h5', '/data/shared.h5']);
      const all = await call(a.base, tokens['only-read'], '{ studies { nodes { id } } executions { nodes { id } } }');
      // The unlimited token sees the other studies (beta, and the ProvLake session's).
      expect((all.body.data!.studies as { nodes: unknown[] }).nodes).toContainEqual({ id: 'study:beta' });
      expect((all.body.data!.executions as { nodes: unknown[] }).nodes).toContainEqual({ id: 'run:run-b' });
    });

    it("ranks only its studies' models in bestModel (Q3)", async () => {
      const q = '{ bestModel(dataset: "/data/raw.h5", measure: "loss") { reference { uri } evaluations { name value } } }';
      expect((await call(a.base, tokens['only-read'], q)).body.data!.bestModel).toMatchObject({
        reference: { uri: '/models/b3.h5' },
      });
      const mine = await read(q);
      expect(mine.body.errors).toBeUndefined();
      expect(mine.body.data!.bestModel).toEqual({
        reference: { uri: '/data/shared.h5' },
        evaluations: [{ name: 'loss', value: 0.5 }],
      });
      expect(
        (await read('{ bestModel(dataset: "/data/raw.h5", measure: "loss", order: "MAX") { reference { uri } } }')).body.data!
          .bestModel,
      ).toEqual({
        reference: { uri: '/data/shared.h5' },
      });
      expect(
        (await read('{ bestModel(dataset: "/data/beta-only.h5", measure: "loss") { id } }')).body.data!.bestModel,
      ).toBeNull();
    });

    it('finds no node of beta by id or URI', async () => {
      const r = await read(`{
        execution(id: "run-b") { id }
        node(id: "run:run-b") { id }
        task(id: "run-b.train") { id }
        dataReference(uri: "/models/b.h5") { id }
        model(uri: "/models/b.h5") { id }
      }`);
      expect(r.body.data).toEqual({ execution: null, node: null, task: null, dataReference: null, model: null });
      const lineage = await read('{ lineage(start: "/models/b.h5") { depth } }');
      expect(lineage.body.errors![0].extensions!.code).toBe('NOT_FOUND');
    });

    it("sees only its studies' tasks among the users and generators of a file (read with their tasks)", async () => {
      const q = `{
        raw: dataReference(uri: "/data/raw.h5") { usedBy { id __typename } }
        shared: dataReference(uri: "/data/shared.h5") { usedBy { id } wasGeneratedBy { id __typename } }
      }`;
      const mine = await read(q);
      expect(mine.body.errors).toBeUndefined();
      // Beta's run-b3 trained on raw.h5 and run-b on shared.h5: neither is alpha's to see.
      expect(mine.body.data).toEqual({
        raw: { usedBy: [{ id: 'task:run-a.train', __typename: 'LearningStageExecution' }] },
        shared: { usedBy: [], wasGeneratedBy: [{ id: 'task:run-a.train', __typename: 'LearningStageExecution' }] },
      });
      const full = (await call(a.base, tokens['only-read'], q)).body.data as {
        raw: { usedBy: Array<{ id: string }> };
        shared: { usedBy: Array<{ id: string }> };
      };
      expect(full.raw.usedBy.map((u) => u.id).sort()).toEqual(['task:run-a.train', 'task:run-b3.train']);
      expect(full.shared.usedBy.map((u) => u.id)).toEqual(['task:run-b.train']);
    });

    it('stops lineage at the study boundary and says so', async () => {
      const q =
        '{ lineage(start: "/data/shared.h5", direction: BOTH) { nodes { node { id } } edges { from to } studyBoundaryEdges } }';
      const mine = await read(q);
      expect(mine.body.errors).toBeUndefined();
      const l = mine.body.data!.lineage as {
        nodes: Array<{ node: { id: string } }>;
        edges: Array<{ from: string; to: string }>;
        studyBoundaryEdges: number;
      };
      const ids = l.nodes.map((n) => n.node.id);
      expect(ids).toContain('task:run-a.train');
      expect(ids.some((i) => /run-b/.test(i))).toBe(false);
      expect(JSON.stringify(l.edges)).not.toMatch(/run-b/);
      expect(l.studyBoundaryEdges).toBeGreaterThan(0);
      const full = (await call(a.base, tokens['only-read'], q)).body.data!.lineage as typeof l;
      expect(full.nodes.map((n) => n.node.id)).toContain('task:run-b.train');
      expect(full.studyBoundaryEdges).toBe(0);
    });

    it('exports only alpha, in GraphQL and over GET /prov', async () => {
      const doc = await read('{ provDocument }');
      expect(doc.body.errors).toBeUndefined();
      const text = String(doc.body.data!.provDocument);
      expect(text).toMatch(/run-a/);
      expect(text).not.toMatch(/run-b|\/models\/b|beta/);
      const http = await route(a.base, tokens['alpha-reader'], 'GET', '/prov?format=turtle');
      expect(http.status).toBe(200);
      expect(http.text).toMatch(/run-a/);
      expect(http.text).not.toMatch(/run-b|\/models\/b|beta/);
      expect((await route(a.base, tokens['alpha-reader'], 'GET', '/prov/runs/run-b')).status).toBe(404);
      expect((await read('{ provDocument(run: "run-b") }')).body.errors![0].extensions!.code).toBe('NOT_FOUND');
    });

    it('is refused sparql (knowledge stores are not partitioned by study), and as admin, token management', async () => {
      const r = await read('{ sparql(store: "k", query: "ASK {}") { __typename } }');
      expect(r.status).toBe(403);
      expect(r.body.errors![0].extensions).toMatchObject({ code: 'FORBIDDEN', study: '*' });
      await create('alpha-admin', ['admin'], ['alpha']);
      const widen = await call(
        a.base,
        tokens['alpha-admin'],
        'mutation { createApiToken(input: {name: "wide", scopes: ["admin"]}) { secret } }',
      );
      expect(widen.status).toBe(403);
      expect(widen.body.errors![0].extensions).toMatchObject({ code: 'FORBIDDEN', study: '*' });
    });

    it("writes only alpha: other studies' events are rejected one by one, the rest land", async () => {
      const w = (q: string, v: Record<string, unknown>) => call(a.base, tokens['alpha-writer'], q, v);
      const r = await w(INGEST, {
        e: [
          { id: 'w0', type: 'metric', run: 'run-a', name: 'loss', value: 0.5 },
          { id: 'w1', type: 'metric', run: 'run-b', name: 'loss', value: 9 },
          { id: 'w2', type: 'workflowBegin', run: 'run-x', workflow: 'wf-beta' },
          { id: 'w3', type: 'workflowBegin', run: 'run-c', workflow: 'wf-alpha' },
          { id: 'w4', type: 'taskEnd', task: 'run-b.train' },
          { id: 'w5', type: 'workflowBegin', run: 'run-b', workflow: 'wf-alpha' },
          { id: 'w6', type: 'metric', run: 'nowhere', name: 'loss', value: 1 },
          { id: 'w7', type: 'agent', agent: 'beta-bot', kind: 'PERSON', name: 'renamed' },
          { id: 'w8', type: 'agent', agent: 'alpha-new', kind: 'PERSON' },
        ],
      });
      expect(r.body.errors).toBeUndefined();
      const out = r.body.data!.ingest as {
        accepted: number;
        rejected: number;
        issues: Array<{ index: number; code: string; field: string }>;
      };
      expect(out.accepted).toBe(3);
      expect(out.issues.map((i) => [i.index, i.code])).toEqual([
        [1, 'FORBIDDEN'],
        [2, 'FORBIDDEN'],
        [4, 'FORBIDDEN'],
        [5, 'FORBIDDEN'],
        [6, 'BAD_USER_INPUT'],
        [7, 'FORBIDDEN'],
      ]);
      expect(out.issues[0].field).toBe('events[1].run');
      expect(out.issues[4].field).toMatch(/^events\[6\]/);
      const beta = await w(REGISTER, { s: spec('wf-beta-2', 'beta') });
      expect(beta.body.errors![0].extensions).toMatchObject({ code: 'FORBIDDEN', study: 'beta' });
      expect((await w(REGISTER, { s: spec('wf-alpha-2', 'alpha') })).body.errors).toBeUndefined();
      // Nothing reached beta's run.
      const metrics = await pool.query(`SELECT count(*)::int AS n FROM metric_point WHERE run_id = 'run-b'`);
      expect(metrics.rows[0].n).toBe(0);
      expect((await pool.query(`SELECT name FROM agent WHERE id = 'beta-bot'`)).rows).toEqual([{ name: 'Beta bot' }]);
    });
  });

  it('logs every mutation and every refusal once, with the token name and never its text', async () => {
    const out = a.output() + b.output();
    const lines = out
      .split('\n')
      .filter((l) => l.includes('"source":"audit"'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.some((l) => l.msg === 'mutation' && l.token === 'root')).toBe(true);
    expect(lines.some((l) => l.msg === 'denied' && l.token === 'only-read' && l.code === 'FORBIDDEN')).toBe(true);
    expect(lines.some((l) => l.msg === 'denied' && l.token === 'victim' && l.reason === 'revoked')).toBe(true);
    expect(lines.some((l) => l.msg === 'denied' && l.token === 'alpha-writer' && l.reason === 'study')).toBe(true);
    expect(out).not.toMatch(TOKEN);
  });
});

describe('the loopback quick start (PROVML_AUTH=auto)', () => {
  it('needs no token until the first one exists, then needs one at once', async () => {
    const db = await createTestDatabase('provml_auth_auto');
    const env = { PROVML_DATABASE_URL: db.url, PROVML_DEMO: '0' };
    const s = await startServerProcess(env);
    try {
      expect((await call(s.base, null, '{ studies { nodes { id } } }')).status).toBe(200);
      const cli = await runProvml(['token', 'create', '--name', 'first', '--scopes', 'admin'], env);
      expect(cli.code).toBe(0);
      // The server learns of a token made by another process within a second: wait for that.
      const deadline = Date.now() + 10_000;
      let anon = await call(s.base, null, '{ studies { nodes { id } } }');
      while (anon.status === 200 && Date.now() < deadline) anon = await call(s.base, null, '{ studies { nodes { id } } }');
      expect(anon.status).toBe(401);
      expect((await call(s.base, TOKEN.exec(cli.output)![0], '{ studies { nodes { id } } }')).status).toBe(200);
      // /healthz stays open for load balancers.
      expect((await fetch(`${s.base}/healthz`)).status).toBe(200);
    } finally {
      await s.stop();
      await db.drop();
    }
  });
});
