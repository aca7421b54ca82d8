import { readFileSync } from 'node:fs';
import path from 'node:path';
import { BadUserInputError, LimitExceededError } from '../../src/errors';
import type { KnowledgeDescription, KnowledgeStore, RdfTerm } from '../../src/connectors/knowledge/knowledge-store';

/**
 * One contract for every KnowledgeStore backend. A backend gets the demo graph plus edge
 * cases as Turtle, and makes stores over it with the options a test asks for.
 */
export interface KnowledgeBackend {
  load(turtle: string): Promise<void>;
  create(options: { rowCap?: number }): KnowledgeStore;
  stop(): Promise<void>;
}

const PML = 'http://provml.dev/ns/domain#';
const XSD = 'http://www.w3.org/2001/XMLSchema#';
const SGY = 'http://ibm.com/netherlands.sgy';
const BASIN = 'http://ibm.com/basin/southern-north-sea';

export const DEMO_TURTLE = readFileSync(path.join(__dirname, '../../examples/stores/knowledge/netherlands.ttl'), 'utf8');
export const EDGE_TURTLE = `
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<http://provml.test/tricky%20name?x=1&y=2#frag> rdfs:comment "line1\\nline2 \\"quoted\\" \\u00fcn\\u00efc\\u00f6d\\u00e9 \\\\ back" ;
  <http://provml.test/flag> true ;
  <http://provml.test/when> "2020-01-02"^^xsd:date ;
  <http://provml.test/label> "etiket"@nl , "label"@EN-gb .
`;

export function knowledgeStoreContract(name: string, start: () => Promise<KnowledgeBackend>): void {
  describe(`KnowledgeStore contract: ${name}`, () => {
    let backend: KnowledgeBackend;
    let store: KnowledgeStore;

    beforeAll(async () => {
      backend = await start();
      await backend.load(DEMO_TURTLE + '\n' + EDGE_TURTLE);
      store = backend.create({});
    }, 200_000); // a backend that is a server (Virtuoso) waits on its endpoint: up to 150 s under load
    afterAll(async () => {
      await store?.close();
      await backend?.stop();
    });

    const find = (d: KnowledgeDescription, predicate: string) => d.statements.filter((s) => s.predicate === predicate);

    it('describes a batch in key order, with null for an unknown IRI', async () => {
      const out = await store.describe([SGY, 'http://ibm.com/unknown.sgy', BASIN, SGY]);
      expect(out).toHaveLength(4);
      const sgy = out[0] as KnowledgeDescription;
      expect(sgy.uri).toBe(SGY);
      expect(sgy.truncated).toBe(false);
      expect(out[1]).toBeNull();
      expect((out[2] as KnowledgeDescription).uri).toBe(BASIN);
      expect(out[3]).toEqual(sgy);
      // 1 type, 1 label, basin, field, 4 ranges, interval, crs, 4 wells, report, description
      expect(sgy.statements).toHaveLength(16);
    });

    it('returns IRI objects with their rdfs:label, and typed and tagged literals', async () => {
      const [sgy] = (await store.describe([SGY])) as KnowledgeDescription[];
      expect(find(sgy, PML + 'basin')).toEqual([
        { predicate: PML + 'basin', object: { type: 'iri', value: BASIN }, objectLabel: 'Southern North Sea' },
      ]);
      expect(find(sgy, PML + 'inlineMin')[0].object).toEqual<RdfTerm>({
        type: 'literal',
        value: '100',
        datatype: XSD + 'integer',
        language: null,
      });
      expect(find(sgy, PML + 'crosslineMax')[0].object).toMatchObject({ value: '1250' });
      expect(find(sgy, PML + 'crs')[0].object).toEqual<RdfTerm>({
        type: 'literal',
        value: 'EPSG:23031',
        datatype: XSD + 'string',
        language: null,
      });
      const description = find(sgy, 'http://purl.org/dc/terms/description')[0].object;
      expect(description).toMatchObject({
        type: 'literal',
        language: 'en',
        datatype: 'http://www.w3.org/1999/02/22-rdf-syntax-ns#langString',
      });
      expect(
        find(sgy, PML + 'nearbyWell')
          .map((s) => s.objectLabel)
          .sort(),
      ).toEqual(['F02-1', 'F03-2', 'F03-4', 'F06-1']);
    });

    it('keeps escapes, unicode, booleans, dates and language tags intact', async () => {
      const iri = 'http://provml.test/tricky%20name?x=1&y=2#frag';
      const [d] = (await store.describe([iri])) as KnowledgeDescription[];
      expect(find(d, 'http://www.w3.org/2000/01/rdf-schema#comment')[0].object.value).toBe(
        'line1\nline2 "quoted" ünïcödé \\ back',
      );
      expect(find(d, 'http://provml.test/flag')[0].object).toEqual({
        type: 'literal',
        value: 'true',
        datatype: XSD + 'boolean',
        language: null,
      });
      expect(find(d, 'http://provml.test/when')[0].object).toMatchObject({ value: '2020-01-02', datatype: XSD + 'date' });
      expect(
        find(d, 'http://provml.test/label')
          .map((s) => s.object.type === 'literal' && s.object.language)
          .sort(),
      ).toEqual(['en-gb', 'nl']);
    });

    it('puts a BadUserInputError in the slot of each invalid IRI and answers the others', async () => {
      const injection = 'http://x> ?p ?o } . DROP GRAPH <http://x';
      const out = await store.describe(['/data/netherlands.sgy', injection, SGY, 'http://has space', '']);
      expect(out[0]).toBeInstanceOf(BadUserInputError);
      expect((out[0] as Error).message).toMatch(/absolute IRI/);
      expect(out[1]).toBeInstanceOf(BadUserInputError);
      expect((out[1] as Error).message).toMatch(/U\+003e at offset 8/);
      expect((out[2] as KnowledgeDescription).statements.length).toBeGreaterThan(0);
      expect(out[3]).toBeInstanceOf(BadUserInputError);
      expect(out[4]).toBeInstanceOf(BadUserInputError);
      expect(await store.describe([])).toEqual([]);
    });

    it('cuts a batch at the row cap: truncated descriptions, and no false nulls', async () => {
      const capped = backend.create({ rowCap: 5 });
      const out = await capped.describe([SGY, BASIN, 'http://ibm.com/well/F02-1', 'http://ibm.com/unknown']);
      const got = out.filter((d): d is KnowledgeDescription => !!d && !(d instanceof Error));
      expect(got.reduce((n, d) => n + d.statements.length, 0)).toBe(5);
      got.forEach((d) => expect(d.truncated).toBe(true));
      // A URI without rows may have been cut off: it is reported, not answered with null.
      out.filter((d) => !got.includes(d as KnowledgeDescription)).forEach((d) => expect(d).toBeInstanceOf(LimitExceededError));
    });

    it('runs SELECT with variables, typed values and a row cap', async () => {
      const q = `PREFIX pml: <${PML}> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        SELECT ?well ?depth WHERE { ?well a pml:Well ; pml:totalDepthM ?depth } ORDER BY DESC(?depth)`;
      const all = await store.query(q);
      expect(all.form).toBe('select');
      if (all.form !== 'select') return;
      expect(all.truncated).toBe(false);
      expect(all.rows.map((r) => r.depth.value)).toEqual(['2994', '2400', '2158', '1499']);
      expect(all.variables.sort()).toEqual(['depth', 'well']);
      const two = await store.query(q, { rowCap: 2 });
      expect(two.form === 'select' && two.rows.length).toBe(2);
      expect(two.form === 'select' && two.truncated).toBe(true);
    });

    it('runs ASK and CONSTRUCT', async () => {
      expect(await store.query(`ASK { <${SGY}> <${PML}basin> <${BASIN}> }`)).toEqual({ form: 'ask', value: true });
      expect(await store.query(`ASK { <${SGY}> <${PML}basin> <http://ibm.com/nowhere> }`)).toEqual({ form: 'ask', value: false });
      const c = await store.query(`CONSTRUCT { ?s <http://provml.test/basinOf> ?b } WHERE { ?s <${PML}basin> ?b }`);
      expect(c).toEqual({
        form: 'construct',
        truncated: false,
        triples: [
          {
            subject: { type: 'iri', value: SGY },
            predicate: { type: 'iri', value: 'http://provml.test/basinOf' },
            object: { type: 'iri', value: BASIN },
          },
        ],
      });
    });

    it('refuses updates, whatever their disguise, and the data stays', async () => {
      const attempts = [
        `INSERT DATA { <http://a> <http://b> "c" }`,
        `PREFIX x: <http://x/> DELETE WHERE { ?s ?p ?o }`,
        `# comment\n drop all`,
        `SELECT * WHERE { ?s ?p ?o } ; CLEAR ALL`,
        `DEFINE get:soft "replace" SELECT * FROM <http://example.org/> WHERE { ?s ?p ?o }`,
        ``,
      ];
      for (const sparql of attempts) {
        await expect(store.query(sparql)).rejects.toBeInstanceOf(BadUserInputError);
      }
      expect(await store.query(`ASK { <${SGY}> ?p ?o }`)).toEqual({ form: 'ask', value: true });
      // Keywords inside strings, IRIs and comments are not updates.
      const ok = await store.query(`SELECT ?o WHERE { <${SGY}> ?p ?o FILTER(?o = "DELETE" || ?o = <http://x/INSERT>) } # DROP`);
      expect(ok).toMatchObject({ form: 'select', rows: [] });
    });

    it('answers a query that does not parse with BadUserInputError on field sparql', async () => {
      const err = await store.query('SELECT ?x WHERE { ?x <http://p> }').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BadUserInputError);
      expect((err as BadUserInputError).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'sparql' });
    });
  });
}
