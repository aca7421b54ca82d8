import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { importProvJsonFile } from '../../src/interop/import-document';
import { createTestApp, type TestApp } from '../helpers/app';

// A document written by the W3C PROV reference library (Debian python3-prov, /usr/bin/python3)
// with one statement of each PROV-DM kind: what a producer we did not write sends.
const PY = '/usr/bin/python3';
const MAKE = path.join(__dirname, '../fixtures/prov/make_prov_document.py');
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
    const e = JSON.parse(JSON.stringify(res.data!.execution)) as typeof res.data extends infer D
      ? NonNullable<D>['execution']
      : never;
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
