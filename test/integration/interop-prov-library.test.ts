import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { exportToString } from '../../src/interop/export-document';
import { importProvJsonFile } from '../../src/interop/import-document';
import { agentIri, taskIri } from '../../src/interop/namespaces';
import { createTestApp, type TestApp } from '../helpers/app';

// A document written by the W3C PROV reference library (Debian python3-prov, /usr/bin/python3)
// with one statement of each PROV-DM kind: what a producer we did not write sends.
const PY = '/usr/bin/python3';
const MAKE = path.join(__dirname, '../fixtures/prov/make_prov_document.py');
const READ = path.join(__dirname, '../fixtures/prov/read_prov_document.py');
const PROV = 'http://www.w3.org/ns/prov#';

/** What the reference library reads back from a PROV-JSON file (read_prov_document.py). */
interface ReadBack {
  nodes: string[];
  relations: Array<{ type: string; id: string | null; formal: Record<string, string>; extra: Record<string, string[]> }>;
  bundles: Record<string, { nodes: string[]; relations: unknown[] }>;
}
const EX = 'http://example.org/seismic#';
const FOAF = 'http://xmlns.com/foaf/0.1/';

type Source = Record<string, Record<string, unknown>>;

const RUN = `query($id: String!) {
  execution(id: $id) {
    attributes
    tasks(first: 10) { nodes { id wasInformedBy { id } } }
  }
  alice: node(id: "agent:alice") { ... on Agent { name attributes } __typename }
  lab: node(id: "agent:lab") { __typename ... on Agent { name attributes } }
  tiler: node(id: "agent:tiler") { __typename }
  set: dataReference(uri: "${EX}training_set") { hadMember { uri } }
}`;

interface RunAnswer {
  execution: {
    attributes: { statements?: Source };
    tasks: { nodes: Array<{ id: string; wasInformedBy: Array<{ id: string }> }> };
  };
  alice: { __typename: string; name: string; attributes: Record<string, unknown> };
  lab: { __typename: string; name: string; attributes: Record<string, unknown> };
  tiler: { __typename: string };
  set: { hadMember: Array<{ uri: string }> } | null;
}

describe('import of a PROV-JSON document written by the PROV reference library', () => {
  let app: TestApp;
  let file: string;
  let source: Source;
  let result: Awaited<ReturnType<typeof importProvJsonFile>>;
  let run: RunAnswer;

  beforeAll(async () => {
    app = await createTestApp();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'provml-prov-'));
    file = path.join(dir, 'seismic-prov.json');
    execFileSync(PY, [MAKE, file]);
    source = JSON.parse(fs.readFileSync(file, 'utf8')) as Source;
    result = await importProvJsonFile(file, { store: app.deps.store, catalog: app.deps.catalog, maxBatchEvents: 5000 });
    const res = await app.run<RunAnswer>(RUN, { id: 'seismic-prov' });
    expect(res.errors).toBeUndefined();
    run = res.data!;
  });
  afterAll(() => app?.close());

  it('lands whole: nothing rejected, and the import names what it kept only as written', () => {
    expect(result).toMatchObject({ source: 'prov-json', rejected: 0, duplicates: 0 });
    expect(result.accepted).toBe(result.events);
    const kept = result.warnings.find((w) => w.startsWith('kept as written'));
    for (const kind of [
      'wasAttributedTo',
      'actedOnBehalfOf',
      'specializationOf',
      'alternateOf',
      'wasStartedBy',
      'wasEndedBy',
      'wasInvalidatedBy',
      'wasInfluencedBy',
      'bundle',
    ])
      expect(kept).toContain(kind);
  });

  it('every statement of the document is mapped or kept as written, none dropped', () => {
    const statements = run.execution.attributes.statements ?? {};
    // What provml holds as its own relations, values and nesting (checked in the next test).
    const mapped = new Set(['wasGeneratedBy', 'wasDerivedFrom', 'wasInformedBy', 'hadMember']);
    const sections = Object.keys(source).filter((k) => !['prefix', 'entity', 'activity', 'agent'].includes(k));
    expect(sections.length).toBeGreaterThanOrEqual(15);
    for (const section of sections) {
      for (const [id, body] of Object.entries(source[section])) {
        const keptAs = statements[section]?.[id];
        if (keptAs !== undefined) expect(keptAs).toEqual(body);
        else
          expect({ section, id, mapped: mapped.has(section) || section === 'used' || section === 'wasAssociatedWith' }).toEqual({
            section,
            id,
            mapped: true,
          });
      }
    }
    // A usage with its own id, time and role says more than "used": it is kept as written.
    expect(statements.used?.['ex:usage1']).toEqual(source.used['ex:usage1']);
    // An association with a role too; the plain one is a relation.
    expect(Object.values(statements.wasAssociatedWith ?? {})).toEqual([expect.objectContaining({ 'prov:role': 'ex:operator' })]);
    expect(statements.bundle).toEqual(source.bundle);
  });

  it('what maps onto provml answers through GraphQL: agents with kind and attributes, membership, informed-by', () => {
    expect(run.alice).toMatchObject({ __typename: 'Person', name: 'alice', attributes: { [`${FOAF}name`]: 'Alice' } });
    expect(run.lab).toMatchObject({ __typename: 'Organization', attributes: { [`${FOAF}name`]: 'Seismic lab' } });
    expect(run.tiler.__typename).toBe('SoftwareAgent');
    expect(run.set?.hadMember).toEqual([{ uri: `${EX}tiles` }]);
    const training = run.execution.tasks.nodes.find((t) => t.id.endsWith('/training'))!;
    expect(training.wasInformedBy.map((t) => t.id)).toEqual([expect.stringMatching(/\/tiling$/)]);
  });

  it('the export gives kept statements back as PROV statements, read by the reference library', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'provml-prov-out-'));
    const out = path.join(dir, 'export.json');
    fs.writeFileSync(out, await exportToString(app.deps.store, { kind: 'run', runId: 'seismic-prov' }, 'prov-json'));
    const back = JSON.parse(execFileSync(PY, [READ, out]).toString()) as ReadBack;
    const of = (type: string) => back.relations.filter((r) => r.type === type);
    const task = (name: string) => taskIri(`seismic-prov/${name}`);
    const declared = new Set(back.nodes);
    // Attribution and delegation point at the exported model entity and agents, all declared
    // (lab is named only by actedOnBehalfOf: the run's export declares it all the same).
    const [attributed] = of('Attribution');
    expect(attributed.formal[`${PROV}agent`]).toBe(agentIri('alice'));
    expect(declared.has(attributed.formal[`${PROV}entity`])).toBe(true);
    expect(of('Delegation')).toEqual([
      expect.objectContaining({ formal: { [`${PROV}delegate`]: agentIri('alice'), [`${PROV}responsible`]: agentIri('lab') } }),
    ]);
    expect(declared.has(agentIri('lab'))).toBe(true);
    // Start, end and invalidation: the training task, with their times as written.
    const [started] = of('Start');
    expect(started.formal).toMatchObject({
      [`${PROV}activity`]: task('training'),
      [`${PROV}starter`]: task('tiling'),
      [`${PROV}time`]: expect.stringMatching(/^2026-01-01[T ]01:00:00/),
    });
    expect(of('End')[0].formal[`${PROV}activity`]).toBe(task('training'));
    expect(of('Invalidation')[0].formal[`${PROV}activity`]).toBe(task('training'));
    for (const kind of ['Specialization', 'Alternate', 'Influence']) expect(of(kind)).toHaveLength(1);
    // The usage with its own id, time and role keeps all three.
    const usage = of('Usage').find((r) => r.id === `${EX}usage1`)!;
    expect(usage.formal).toMatchObject({
      [`${PROV}activity`]: task('tiling'),
      [`${PROV}time`]: expect.stringMatching(/^2026-01-01[T ]00:01/),
    });
    expect(usage.extra[`${PROV}role`]).toEqual(['ex:input']);
    // The bundle, a document of its own, with its entity and attribute.
    expect(back.bundles[`${EX}run_bundle`]?.nodes).toEqual([`${EX}inner`]);
    // Every kept statement is marked, so provml's own import does not take it for a new fact.
    const written = JSON.parse(fs.readFileSync(out, 'utf8')) as Record<string, Record<string, Record<string, unknown>>>;
    expect(Object.values(written.wasAttributedTo)[0]).toMatchObject({ 'provml:keptAsWritten': true });
    expect(written.prefix.ex).toBe(EX); // the source's own prefix, reused
  });

  it('a lineage export gives the kept statements of the runs it touches, read by the reference library', async () => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'provml-prov-lineage-')), 'lineage.json');
    const scope = { kind: 'entity', uri: `${EX}model`, depth: 10 } as const;
    fs.writeFileSync(out, await exportToString(app.deps.store, scope, 'prov-json'));
    const back = JSON.parse(execFileSync(PY, [READ, out]).toString()) as ReadBack;
    const kinds = back.relations.map((r) => r.type);
    // Every kept statement of the run, as the run's export gives them (bundles apart).
    for (const kind of ['Attribution', 'Delegation', 'Specialization', 'Alternate', 'Start', 'End', 'Invalidation', 'Influence'])
      expect({ kind, present: kinds.includes(kind) }).toEqual({ kind, present: true });
    expect(back.bundles[`${EX}run_bundle`]?.nodes).toEqual([`${EX}inner`]);
    const declared = new Set(back.nodes);
    const [attributed] = back.relations.filter((r) => r.type === 'Attribution');
    expect(attributed.formal[`${PROV}agent`]).toBe(agentIri('alice'));
    expect(declared.has(attributed.formal[`${PROV}entity`])).toBe(true); // the model, the lineage's start
    // The agents they name are declared, lab included (named by actedOnBehalfOf only).
    expect([agentIri('alice'), agentIri('lab')].filter((a) => declared.has(a))).toEqual([agentIri('alice'), agentIri('lab')]);
    // Depth 0: the model alone, no run touched, no kept statement.
    const bare = await exportToString(app.deps.store, { ...scope, depth: 0 }, 'prov-json');
    expect(JSON.parse(bare)).not.toHaveProperty('wasAttributedTo');
  });

  it('Turtle and JSON-LD give kept statements as unqualified PROV-O properties', async () => {
    const ttl = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'provml-prov-ttl-')), 'export.ttl');
    fs.writeFileSync(ttl, await exportToString(app.deps.store, { kind: 'run', runId: 'seismic-prov' }, 'turtle'));
    const ask = (s: string, p: string, o: string) =>
      execFileSync(PY, [
        '-c',
        'import rdflib,sys; g=rdflib.Graph(); g.parse(sys.argv[1], format="turtle"); ' +
          'print((rdflib.URIRef(sys.argv[2]), rdflib.URIRef(sys.argv[3]), rdflib.URIRef(sys.argv[4])) in g)',
        ttl,
        s,
        p,
        o,
      ])
        .toString()
        .trim();
    expect(ask(agentIri('alice'), `${PROV}actedOnBehalfOf`, agentIri('lab'))).toBe('True');
    expect(ask(taskIri('seismic-prov/training'), `${PROV}wasInvalidatedBy`, taskIri('seismic-prov/training'))).toBe('False');
    expect(ask(agentIri('lab'), `${PROV}actedOnBehalfOf`, agentIri('alice'))).toBe('False');
    const jsonld = JSON.parse(await exportToString(app.deps.store, { kind: 'run', runId: 'seismic-prov' }, 'jsonld')) as {
      '@graph': Array<Record<string, unknown>>;
    };
    expect(jsonld['@graph']).toContainEqual({ '@id': agentIri('alice'), [`${PROV}actedOnBehalfOf`]: { '@id': agentIri('lab') } });
  });

  it("provml's own export imported into another store keeps the statements once, as run attributes", async () => {
    const other = await createTestApp();
    try {
      const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'provml-prov-rt-')), 'seismic-prov.provml.json');
      fs.writeFileSync(out, await exportToString(app.deps.store, { kind: 'run', runId: 'seismic-prov' }, 'prov-json'));
      const back = await importProvJsonFile(out, { store: other.deps.store, catalog: other.deps.catalog, maxBatchEvents: 5000 });
      expect(back).toMatchObject({ source: 'provml', rejected: 0 });
      const res = await other.run<RunAnswer>(RUN, { id: 'seismic-prov' });
      expect(res.data!.execution.attributes.statements).toEqual(run.execution.attributes.statements);
      expect(res.data!.lab.__typename).toBe('Organization');
    } finally {
      await other.close();
    }
  });

  it("each activity's own prov:startTime / endTime times its task; the run spans them; naive times are UTC", async () => {
    // python3-prov writes a datetime without tzinfo as isoformat() with no zone: "2026-01-01T01:00:00".
    expect((source.activity['ex:training'] as Record<string, unknown>)['prov:startTime']).toBe('2026-01-01T01:00:00');
    const res = await app.run<{
      execution: {
        startedAt: string;
        endedAt: string;
        tasks: { nodes: Array<{ id: string; startedAt: string; endedAt: string }> };
      };
    }>('query { execution(id: "seismic-prov") { startedAt endedAt tasks(first: 10) { nodes { id startedAt endedAt } } } }');
    expect(res.errors).toBeUndefined();
    // In process, DateTime values come back as Date objects: compare their JSON.
    const e = JSON.parse(JSON.stringify(res.data!.execution)) as NonNullable<typeof res.data>['execution'];
    expect([e.startedAt, e.endedAt]).toEqual(['2026-01-01T00:00:00.000Z', '2026-01-01T03:00:00.000Z']);
    expect(Object.fromEntries(e.tasks.nodes.map((t) => [t.id, [t.startedAt, t.endedAt]]))).toEqual({
      'task:seismic-prov/tiling': ['2026-01-01T00:00:00.000Z', '2026-01-01T01:00:00.000Z'],
      'task:seismic-prov/training': ['2026-01-01T01:00:00.000Z', '2026-01-01T03:00:00.000Z'],
    });
    expect(result.warnings).toContainEqual(expect.stringMatching(/^4 times written without a time zone .*read as UTC/));
  });

  it('importing the same document again changes nothing', async () => {
    const again = await importProvJsonFile(file, { store: app.deps.store, catalog: app.deps.catalog, maxBatchEvents: 5000 });
    expect(again).toMatchObject({ accepted: 0, duplicates: result.events, rejected: 0 });
  });
});
