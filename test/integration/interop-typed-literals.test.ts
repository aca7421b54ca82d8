import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { exportToString } from '../../src/interop/export-document';
import { importProvJsonFile } from '../../src/interop/import-document';
import { createTestApp, type TestApp } from '../helpers/app';

/**
 * Typed literals survive import → export (docs/interop.md, "Typed literals"): a document the W3C
 * PROV reference library wrote (python3-prov, /usr/bin/python3) with a literal of every kind it
 * writes is imported, exported, and the export read back by the same library: each value has
 * the value and the type the library read from the source document.
 */
const PY = '/usr/bin/python3';
const MAKE = path.join(__dirname, '../fixtures/prov/make_typed_literals.py');
const READ = path.join(__dirname, '../fixtures/prov/read_prov_document.py');
const EX = 'http://example.org/typed#';
const XSD = 'http://www.w3.org/2001/XMLSchema#';
const PROV = 'http://www.w3.org/ns/prov#';
const PROVML = 'https://w3id.org/provml/ns#';

type Typed = [string, string];
interface ReadBack {
  attributes: Record<string, Record<string, Typed[]>>;
}

const read = (file: string) => JSON.parse(execFileSync(PY, [READ, file]).toString()) as ReadBack;

// The library holds a double as a Python float (2.0 is repr's), an xsd:int or xsd:long as an int:
// compared as numbers. A decimal, float or integer it keeps as written ("2.50", "007"): compared
// as written.
const canonical = ([lex, type]: Typed): Typed =>
  type === `${XSD}double`
    ? [String(Number(lex)), type]
    : /#(int|long)$/.test(type)
      ? [BigInt(lex).toString(), type]
      : [lex, type];

/** What the library reads as the prov:value of each exported value entity, by its attribute's local name. */
function exportedValues(back: ReadBack): Record<string, Typed[]> {
  const out: Record<string, Typed[]> = {};
  for (const attrs of Object.values(back.attributes)) {
    const name = attrs[`${PROVML}attributeName`]?.[0]?.[0];
    const m = name && /^weights\.\/\/example\.org\/typed_(\w+)$/.exec(name);
    if (m) out[m[1]] = (attrs[`${PROV}value`] ?? []).map(canonical);
  }
  return out;
}

describe('typed literals: import → export keeps value and type (PROV reference library)', () => {
  let app: TestApp;
  let dir: string;
  let file: string;
  let source: ReadBack;

  const exportTo = async (a: TestApp, name: string, format: 'prov-json' | 'turtle' | 'jsonld' = 'prov-json') => {
    const out = path.join(dir, name);
    fs.writeFileSync(out, await exportToString(a.deps.store, { kind: 'run', runId: 'typed' }, format));
    return out;
  };

  beforeAll(async () => {
    app = await createTestApp();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'provml-typed-'));
    file = path.join(dir, 'typed.json');
    execFileSync(PY, [MAKE, file]);
    source = read(file);
    const r = await importProvJsonFile(file, { store: app.deps.store, catalog: app.deps.catalog, maxBatchEvents: 5000 });
    expect(r).toMatchObject({ rejected: 0 });
  });
  afterAll(() => app?.close());

  it('PROV-JSON: every literal of the entity comes back with its value and type', async () => {
    const written = source.attributes[`${EX}weights`];
    const back = exportedValues(read(await exportTo(app, 'export.json')));
    const locals = Object.keys(written)
      .filter((k) => k.startsWith(EX))
      .map((k) => k.slice(EX.length));
    expect(locals.sort()).toEqual(
      [
        'bool',
        'custom',
        'decimal',
        'double',
        'float',
        'fraction',
        'int',
        'integer',
        'kind',
        'long',
        'many',
        'note',
        'page',
        'sci',
        'seed',
        'str',
        'when',
      ].sort(),
    );
    for (const local of locals)
      expect({ local, value: back[local] }).toEqual({ local, value: written[`${EX}${local}`].map(canonical) });
    // The cases that used to lose their type, spelled out.
    expect(back.double).toEqual([['2', `${XSD}double`]]);
    expect(back.note).toEqual([['bonjour', '@fr']]);
    expect(back.kind).toEqual([[`${EX}Checkpoint`, `${PROV}QUALIFIED_NAME`]]);
    expect(back.many).toEqual([
      ['1', `${XSD}double`],
      ['2.5', `${XSD}double`],
    ]);
    expect(back.seed).toEqual([['13249385781391849832', `${XSD}int`]]);
    // Numbers in the form they were written, not their shortest one.
    expect(back.decimal).toEqual([['2.50', `${XSD}decimal`]]);
    expect(back.integer).toEqual([['007', `${XSD}integer`]]);
  });

  it('PROV-JSON writes the type the source wrote, xsd:long included (which the library reads as a Python int)', async () => {
    const doc = JSON.parse(fs.readFileSync(await exportTo(app, 'raw.json'), 'utf8')) as {
      entity: Record<string, Record<string, unknown>>;
    };
    const byName = new Map(
      Object.values(doc.entity)
        .filter((e) => typeof e['provml:attributeName'] === 'string')
        .map((e) => [String(e['provml:attributeName']).replace(/^.*typed_/, ''), e['prov:value']]),
    );
    expect(byName.get('long')).toEqual({ $: '123', type: 'xsd:long' });
    expect(byName.get('seed')).toEqual({ $: '13249385781391849832', type: 'xsd:long' });
    expect(byName.get('float')).toEqual({ $: '1.5', type: 'xsd:float' });
    expect(byName.get('when')).toEqual({ $: '2026-01-01T12:30:00+00:00', type: 'xsd:dateTime' });
    expect(byName.get('page')).toEqual({ $: 'http://example.org/page', type: 'xsd:anyURI' });
    expect(byName.get('int')).toEqual({ $: 13, type: 'xsd:int' });
    expect(byName.get('str')).toBe('plain');
    expect(byName.get('decimal')).toEqual({ $: '2.50', type: 'xsd:decimal' });
    expect(byName.get('integer')).toEqual({ $: '007', type: 'xsd:integer' });
    expect(byName.get('sci')).toEqual({ $: '1.0E2', type: 'xsd:double' });
    expect(byName.get('fraction')).toEqual({ $: 0.25, type: 'xsd:double' }); // a JSON number, as before
  });

  it('Turtle gives the typed and language-tagged literals (read by rdflib)', async () => {
    const ttl = await exportTo(app, 'export.ttl', 'turtle');
    const rows = JSON.parse(
      execFileSync(PY, [
        '-c',
        'import json,rdflib,sys; g=rdflib.Graph(); g.parse(sys.argv[1], format="turtle"); P=rdflib.Namespace(sys.argv[2]);' +
          'print(json.dumps({str(n): [str(v), str(v.datatype) if isinstance(v, rdflib.Literal) and v.datatype else None,' +
          ' v.language if isinstance(v, rdflib.Literal) else "iri"] for s, n in g.subject_objects(P.attributeName)' +
          ' for v in g.objects(s, rdflib.URIRef("http://www.w3.org/ns/prov#value")) if str(n).endswith(("double","note","kind","when","custom"))}))',
        ttl,
        PROVML,
      ]).toString(),
    ) as Record<string, [string, string | null, string | null]>;
    const of = (local: string) => rows[`weights.//example.org/typed_${local}`];
    expect(of('double')).toEqual(['2.0', `${XSD}double`, null]); // rdflib's canonical form of "2"^^xsd:double
    expect(of('note')).toEqual(['bonjour', null, 'fr']);
    expect(of('kind')).toEqual([`${EX}Checkpoint`, null, 'iri']);
    expect(of('when')).toEqual(['2026-01-01T12:30:00+00:00', `${XSD}dateTime`, null]);
    expect(of('custom')).toEqual(['v1', `${EX}Version`, null]);
    // rdflib normalises a decimal's lexical form when it parses: the written one is in the text.
    expect(fs.readFileSync(ttl, 'utf8')).toMatch(/"2\.50"\^\^(xsd:decimal|<http:\/\/www\.w3\.org\/2001\/XMLSchema#decimal>)/);
  });

  it('JSON-LD gives them too', async () => {
    const doc = JSON.parse(fs.readFileSync(await exportTo(app, 'export.jsonld', 'jsonld'), 'utf8')) as {
      '@graph': Array<Record<string, unknown>>;
    };
    const value = (local: string) =>
      doc['@graph'].find((n) => n[`${PROVML}attributeName`] === `weights.//example.org/typed_${local}`)?.[`${PROV}value`];
    expect(value('double')).toEqual({ '@value': '2', '@type': `${XSD}double` });
    expect(value('note')).toEqual({ '@value': 'bonjour', '@language': 'fr' });
    expect(value('kind')).toEqual({ '@id': `${EX}Checkpoint` });
    expect(value('decimal')).toEqual({ '@value': '2.50', '@type': `${XSD}decimal` });
  });

  it('GraphQL answers the values and attributes as before, the types beside them under literalTypes', async () => {
    const res = await app.run<{
      execution: {
        tasks: { nodes: Array<{ attributes: Record<string, unknown>; generated: Array<{ name: string; value: unknown }> }> };
      };
    }>('query { execution(id: "typed") { tasks(first: 5) { nodes { attributes generated { name value } } } } }');
    expect(res.errors).toBeUndefined();
    const [task] = res.data!.execution.tasks.nodes;
    const value = Object.fromEntries(task.generated.map((g) => [g.name.replace(/^.*typed_/, ''), g.value]));
    expect(value).toMatchObject({ double: 2, note: 'bonjour', kind: `${EX}Checkpoint`, float: 1.5, long: 123, many: [1, 2.5] });
    // The numbers are numbers, whatever form they were written in; the form is beside them.
    expect(value).toMatchObject({ decimal: 2.5, integer: 7, sci: 100 });
    const entity = (task.attributes.entities as Record<string, Record<string, unknown>>)[`${EX}weights`];
    expect(entity).toMatchObject({ [`${EX}double`]: 2, [`${EX}note`]: 'bonjour', [`${EX}seed`]: '13249385781391849832' });
    expect(task.attributes[`${EX}title`]).toBe('entraînement');
    expect(task.attributes.literalTypes).toMatchObject({
      attributes: { [`${EX}title`]: '@fr', [`${EX}lr`]: `${XSD}double` },
      entities: { [`${EX}weights`]: { [`${EX}double`]: `${XSD}double`, [`${EX}note`]: '@fr' } },
      generated: {
        'weights.//example.org/typed_double': `${XSD}double`,
        'weights.//example.org/typed_decimal': `"2.50"^^<${XSD}decimal>`,
        'weights.//example.org/typed_sci': `"1.0E2"^^<${XSD}double>`,
      },
    });
    // Only what the plain value would not say is recorded: 13 is an xsd:int, 0.25 a double anyway.
    const generated = (task.attributes.literalTypes as { generated: Record<string, unknown> }).generated;
    expect(generated['weights.//example.org/typed_int']).toBeUndefined();
    expect(generated['weights.//example.org/typed_fraction']).toBeUndefined();
  });

  it('export → import into another store → export keeps the types', async () => {
    const other = await createTestApp();
    try {
      const first = await exportTo(app, 'typed.provml.json');
      const back = await importProvJsonFile(first, {
        store: other.deps.store,
        catalog: other.deps.catalog,
        maxBatchEvents: 5000,
      });
      expect(back).toMatchObject({ source: 'provml', rejected: 0 });
      expect(exportedValues(read(await exportTo(other, 'again.json')))).toEqual(exportedValues(read(first)));
    } finally {
      await other.close();
    }
  });

  it('values stored with no type recorded (by earlier versions) export as they did', async () => {
    const sql = new pg.Pool({ connectionString: app.deps.config.databaseUrl, max: 1 });
    try {
      await sql.query(`UPDATE task_execution SET attributes = attributes - 'literalTypes' WHERE run_id = 'typed'`);
    } finally {
      await sql.end();
    }
    const back = exportedValues(read(await exportTo(app, 'old.json')));
    expect(back.double).toEqual([['2', `${XSD}int`]]); // what every version before wrote for 2.0
    expect(back.note).toEqual([['bonjour', `${XSD}string`]]);
    expect(back.many).toEqual([['[1,2.5]', `${PROVML}json`]]);
  });
});
