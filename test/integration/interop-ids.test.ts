import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadDemo } from '../../src/demo/load-demo';
import { EXPORT_FORMATS } from '../../src/interop/export-document';
import { handleProvRoute } from '../../src/interop/prov-route';
import { createTestApp, type TestApp } from '../helpers/app';

// Every id a result returns is accepted wherever an id is asked, and an unknown run or URI is a
// 404 / NOT_FOUND in every export format (issue 10, finding 8).

interface Collected {
  executions: {
    nodes: Array<{
      id: string;
      experiment: {
        id: string;
        study: { id: string } | null;
        attributes: Array<{ id: string }>;
        transformations: Array<{ id: string; attributes: Array<{ id: string }> }>;
      };
      agent: { id: string } | null;
      used: Array<{ id: string }>;
      generated: Array<{ id: string }>;
      tasks: { nodes: Array<{ id: string; used: Array<{ id: string }> }> };
    }>;
  };
  models: { nodes: Array<{ id: string; reference: { id: string; uri: string } }> };
}

const COLLECT = `{
  executions(first: 10) { nodes {
    id
    experiment { id study { id } attributes { id } transformations { id attributes { id } } }
    agent { id } used { id } generated { id }
    tasks(first: 5) { nodes { id used { id } } }
  } }
  models(first: 1) { nodes { id reference { id uri } } }
}`;

type Gql = TestApp['run'];

describe('ids round-trip; unknown ids are NOT_FOUND', () => {
  let app: TestApp;
  let server: http.Server;
  let base: string;
  let ids: Collected;
  let gql: Gql;

  beforeAll(async () => {
    app = await createTestApp();
    // 50 epochs: the first checkpoint model is written at epoch 50.
    expect((await loadDemo(app.deps, 50)).rejected).toBe(0);
    gql = app.run.bind(app);
    const res = await gql<Collected>(COLLECT);
    expect(res.errors).toBeUndefined();
    ids = res.data!;
    server = http.createServer((req, res) => {
      void handleProvRoute(req, res, app.deps).then((mine) => {
        if (!mine) res.writeHead(404).end('not mine');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    if (server) await new Promise<void>((r) => server.close(() => r()));
    await app?.close();
  });

  const runs = () => ids.executions.nodes;
  const training = () => runs().find((r) => r.id.startsWith('run:demo-training') && r.agent)!;
  const model = () => ids.models.nodes[0];

  it('node(id) answers every kind of id a result returns', async () => {
    const all = new Set<string>();
    for (const r of runs()) {
      all.add(r.id);
      all.add(r.experiment.id);
      if (r.experiment.study) all.add(r.experiment.study.id);
      if (r.agent) all.add(r.agent.id);
      for (const x of [...r.used, ...r.generated, ...r.experiment.attributes]) all.add(x.id);
      for (const t of r.experiment.transformations) [t, ...t.attributes].forEach((x) => all.add(x.id));
      for (const t of r.tasks.nodes) [t, ...t.used].forEach((x) => all.add(x.id));
    }
    all.add(model().id);
    all.add(model().reference.id);
    const kinds = new Set([...all].map((id) => id.slice(0, id.indexOf(':'))));
    expect([...kinds].sort()).toEqual([
      'agent',
      'attribute',
      'experiment',
      'ref',
      'run',
      'study',
      'task',
      'transformation',
      'value',
    ]);
    const missing: string[] = [];
    for (const id of all) {
      const res = await gql<{ node: { id: string } | null }>(`query($id: ID!) { node(id: $id) { id } }`, { id });
      if (res.data?.node?.id !== id) missing.push(id);
    }
    expect(missing).toEqual([]);
  });

  // [field, query, variables, path to the id in the answer, expected id]
  const roundTrips: Array<[string, () => [string, Record<string, unknown>, (d: Record<string, unknown>) => unknown, string]]> = [
    [
      'execution(run:<id>)',
      () => [
        'query($id: String!) { execution(id: $id) { id } }',
        { id: training().id },
        (d) => (d.execution as { id: string } | null)?.id,
        training().id,
      ],
    ],
    [
      'execution(<id>)',
      () => [
        'query($id: String!) { execution(id: $id) { id } }',
        { id: training().id.slice(4) },
        (d) => (d.execution as { id: string } | null)?.id,
        training().id,
      ],
    ],
    [
      'task(task:<id>)',
      () => [
        'query($id: String!) { task(id: $id) { id } }',
        { id: training().tasks.nodes[0].id },
        (d) => (d.task as { id: string } | null)?.id,
        training().tasks.nodes[0].id,
      ],
    ],
    [
      'model(uri: value:<n>)',
      () => [
        'query($u: String!) { model(uri: $u) { id } }',
        { u: model().id },
        (d) => (d.model as { id: string } | null)?.id,
        model().id,
      ],
    ],
    [
      'model(uri: ref:<n>)',
      () => [
        'query($u: String!) { model(uri: $u) { id } }',
        { u: model().reference.id },
        (d) => (d.model as { id: string } | null)?.id,
        model().id,
      ],
    ],
    [
      'model(uri: <uri>)',
      () => [
        'query($u: String!) { model(uri: $u) { id } }',
        { u: model().reference.uri },
        (d) => (d.model as { id: string } | null)?.id,
        model().id,
      ],
    ],
    [
      'dataReference(uri: ref:<n>)',
      () => [
        'query($u: String!) { dataReference(uri: $u) { id } }',
        { u: model().reference.id },
        (d) => (d.dataReference as { id: string } | null)?.id,
        model().reference.id,
      ],
    ],
    [
      'models(filter: {run: run:<id>})',
      () => [
        'query($r: String!) { models(filter: {run: $r}, first: 1) { nodes { id } } }',
        { r: training().id },
        (d) => ((d.models as { nodes: Array<{ id: string }> }).nodes.length > 0 ? 'some' : 'none'),
        'some',
      ],
    ],
    [
      'experiments(filter: {studyId: study:<id>})',
      () => [
        'query($s: String!) { experiments(filter: {studyId: $s}) { nodes { id } } }',
        { s: runs().find((r) => r.experiment.study)!.experiment.study!.id },
        (d) => ((d.experiments as { nodes: Array<{ id: string }> }).nodes.length > 0 ? 'some' : 'none'),
        'some',
      ],
    ],
    ...(['run', 'task', 'agent'] as const).map((kind): (typeof roundTrips)[number] => [
      `lineage(start: ${kind}:<id>)`,
      () => {
        const start = kind === 'run' ? training().id : kind === 'task' ? training().tasks.nodes[0].id : training().agent!.id;
        return [
          'query($s: String!) { lineage(start: $s, direction: BOTH, maxDepth: 1) { nodes { node { id } } } }',
          { s: start },
          (d) =>
            (d.lineage as { nodes: Array<{ node: { id: string } }> }).nodes.some((n) => n.node.id === start) ? start : null,
          start,
        ];
      },
    ]),
    [
      'lineage(start: value:<n>) of a model',
      () => [
        'query($s: String!) { lineage(start: $s, maxDepth: 1) { nodes { node { id } } } }',
        { s: model().id },
        (d) => (d.lineage as { nodes: Array<{ node: { id: string } }> }).nodes[0]?.node.id,
        model().reference.id,
      ],
    ],
  ];

  it.each(roundTrips)('%s', async (_name, make) => {
    const [query, variables, pick, expected] = make();
    const res = await gql(query, variables);
    expect(res.errors).toBeUndefined();
    expect(pick(res.data!)).toBe(expected);
  });

  it.each(EXPORT_FORMATS)('export %s of a run by its result id and of an entity by ref:<n>', async (format) => {
    // The curation run: small enough for SVG's node cap.
    const curation = runs().find((r) => r.id === 'run:demo-curation-1')!.id;
    for (const run of [curation, curation.slice(4)]) {
      const r = await fetch(`${base}/prov/runs/${encodeURIComponent(run)}?format=${format}`);
      expect(r.status).toBe(200);
      expect(await r.text()).toMatch(/run\/|run:/);
      const g = await gql<{ provDocument: string }>('query($f: String!, $r: String) { provDocument(format: $f, run: $r) }', {
        f: format,
        r: run,
      });
      expect(g.errors).toBeUndefined();
      expect(g.data!.provDocument.length).toBeGreaterThan(200);
    }
    const e = await fetch(`${base}/prov/entity?uri=${encodeURIComponent(model().reference.id)}&depth=1&format=${format}`);
    expect(e.status).toBe(200);
    const g = await gql<{ provDocument: string }>(
      'query($f: String!, $e: String) { provDocument(format: $f, entity: $e, depth: 1) }',
      { f: format, e: model().id },
    );
    expect(g.errors).toBeUndefined();
  });

  const unknown: Array<[string, string, { run?: string; entity?: string }]> = EXPORT_FORMATS.flatMap((f) => [
    [f, `/prov/runs/nope?format=${f}`, { run: 'nope' }] as [string, string, { run?: string; entity?: string }],
    [f, `/prov/runs/run%3Anope?format=${f}`, { run: 'run:nope' }],
    [f, `/prov/entity?uri=%2Fno%2Fsuch.h5&format=${f}`, { entity: '/no/such.h5' }],
    [f, `/prov/entity?uri=ref%3A999999&format=${f}`, { entity: 'ref:999999' }],
  ]);

  it.each(unknown)('%s: %s is 404 NOT_FOUND, and so is provDocument', async (format, path, args) => {
    const r = await fetch(`${base}${path}`);
    expect(r.status).toBe(404);
    const body = (await r.json()) as { errors: Array<{ extensions: { code: string } }> };
    expect(body.errors[0].extensions.code).toBe('NOT_FOUND');
    const g = await gql('query($f: String!, $r: String, $e: String) { provDocument(format: $f, run: $r, entity: $e) }', {
      f: format,
      r: args.run ?? null,
      e: args.entity ?? null,
    });
    expect(g.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });
});
