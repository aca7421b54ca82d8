import { demoRegistryFile, EXAMPLES_STORES_DIR, openRegistry, type StoreRegistry } from '../../src/connectors/store-registry';
import { createFederationApp, type FederationApp } from './federation-app';

// Read-only SPARQL for domain experts (issue 3, item 8) over the gateway, on the embedded demo
// knowledge store (Oxigraph in-process, loaded from examples/stores/knowledge/netherlands.ttl).
const SPARQL = `query($store: String!, $q: String!, $cap: Int) {
  sparql(store: $store, query: $q, rowCap: $cap) {
    store form variables boolean rowCap truncated
    rows { bindings { variable term { kind value datatype language } } label: value(variable: "label") { value language } }
    triples { subject { value } predicate { value } object { kind value } }
  }
}`;
type Term = { kind: string; value: string; datatype?: string | null; language?: string | null };
type Result = {
  store: string;
  form: string;
  variables: string[];
  boolean: boolean | null;
  rowCap: number;
  truncated: boolean;
  rows: Array<{ bindings: Array<{ variable: string; term: Term }>; label: { value: string; language: string | null } | null }>;
  triples: Array<{ subject: { value: string }; predicate: { value: string }; object: Term }>;
};
const PREFIXES = 'PREFIX pml: <http://provml.dev/ns/domain#> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> ';

describe('sparql on the embedded knowledge store', () => {
  let registry: StoreRegistry;
  let app: FederationApp;
  const ask = (q: string, cap?: number, store = 'knowledge') => app.run<{ sparql: Result | null }>(SPARQL, { store, q, cap });
  let tripleCount: number;

  beforeAll(async () => {
    registry = await openRegistry(demoRegistryFile(), { env: {}, baseDir: EXAMPLES_STORES_DIR });
    app = await createFederationApp(registry, { demo: false });
    const count = await ask('SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }');
    tripleCount = Number(count.data!.sparql!.rows[0].bindings[0].term.value);
  });
  afterAll(async () => {
    await app?.close();
    await registry?.close();
  });

  it('SELECT: variables, typed terms, and a row read by variable', async () => {
    const res = await ask(
      `${PREFIXES} SELECT ?well ?label ?depth WHERE { <http://ibm.com/netherlands.sgy> pml:nearbyWell ?well . ?well rdfs:label ?label ; pml:totalDepthM ?depth } ORDER BY ?label`,
    );
    expect(res.errors).toBeUndefined();
    const r = res.data!.sparql!;
    expect(r).toMatchObject({ store: 'knowledge', form: 'SELECT', boolean: null, truncated: false, triples: [] });
    expect([...r.variables].sort()).toEqual(['depth', 'label', 'well']);
    expect(r.rows.map((row) => row.label!.value)).toEqual(['F02-1', 'F03-2', 'F03-4', 'F06-1']);
    const first = Object.fromEntries(r.rows[0].bindings.map((b) => [b.variable, b.term]));
    expect(first.well).toMatchObject({ kind: 'IRI', value: 'http://ibm.com/well/F02-1', datatype: null });
    expect(first.depth).toMatchObject({ kind: 'LITERAL', value: '2994', datatype: 'http://www.w3.org/2001/XMLSchema#integer' });
  });

  it('applies the row cap and says when it cut (default cap 1000)', async () => {
    expect(tripleCount).toBeGreaterThan(20);
    const capped = await ask('SELECT ?s ?p ?o WHERE { ?s ?p ?o }', 5);
    expect(capped.errors).toBeUndefined();
    expect(capped.data!.sparql).toMatchObject({ rowCap: 5, truncated: true });
    expect(capped.data!.sparql!.rows).toHaveLength(5);
    const all = await ask('SELECT ?s ?p ?o WHERE { ?s ?p ?o }');
    expect(all.data!.sparql).toMatchObject({ rowCap: 1000, truncated: false });
    expect(all.data!.sparql!.rows).toHaveLength(tripleCount);
    const exact = await ask('SELECT ?s ?p ?o WHERE { ?s ?p ?o }', tripleCount);
    expect(exact.data!.sparql).toMatchObject({ truncated: false });
  });

  it('ASK and CONSTRUCT (capped too)', async () => {
    const yes = await ask(`${PREFIXES} ASK { <http://ibm.com/netherlands.sgy> pml:field ?f }`);
    expect(yes.data!.sparql).toMatchObject({ form: 'ASK', boolean: true, truncated: false, rows: [] });
    const no = await ask(`${PREFIXES} ASK { <http://ibm.com/netherlands.sgy> pml:field <http://ibm.com/field/nowhere> }`);
    expect(no.data!.sparql!.boolean).toBe(false);
    const built = await ask(`${PREFIXES} CONSTRUCT { ?w a pml:Well } WHERE { ?w pml:totalDepthM ?d }`, 3);
    expect(built.errors).toBeUndefined();
    expect(built.data!.sparql).toMatchObject({ form: 'CONSTRUCT', truncated: true, rowCap: 3 });
    expect(built.data!.sparql!.triples).toHaveLength(3);
    expect(built.data!.sparql!.triples[0].object).toMatchObject({ kind: 'IRI', value: 'http://provml.dev/ns/domain#Well' });
  });

  it('refuses updates with BAD_USER_INPUT at `query`, and the store is unchanged', async () => {
    for (const q of [
      'INSERT DATA { <http://x/a> <http://x/b> <http://x/c> }',
      `${PREFIXES} DELETE WHERE { ?s pml:basin ?b }`,
      'CLEAR ALL',
      'LOAD <http://example.org/data.ttl>',
      'SELECT * WHERE { ?s ?p ?o } ; INSERT DATA { <http://x/a> <http://x/b> <http://x/c> }',
      'DEFINE input:grab-all "yes" SELECT * WHERE { ?s ?p ?o }',
    ]) {
      const res = await ask(q);
      expect(res.data?.sparql ?? null).toBeNull();
      expect(res.errors).toHaveLength(1);
      expect(res.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'query' });
      expect(res.errors![0].path).toEqual(['sparql']);
    }
    const still = await ask(`${PREFIXES} ASK { ?s pml:basin ?b }`);
    expect(still.data!.sparql!.boolean).toBe(true);
    const count = await ask('SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }');
    expect(Number(count.data!.sparql!.rows[0].bindings[0].term.value)).toBe(tripleCount);
  });

  it('bad input names its argument: unknown or non-knowledge store, row cap, syntax', async () => {
    const cases: Array<[string, number | undefined, string, string]> = [
      ['ASK {}', undefined, 'nowhere', 'store'],
      ['ASK {}', undefined, 'documents', 'store'],
      ['ASK {}', 0, 'knowledge', 'rowCap'],
      ['SELECT * WHERE { ?s ?p }', undefined, 'knowledge', 'query'],
      ['', undefined, 'knowledge', 'query'],
    ];
    for (const [q, cap, store, field] of cases) {
      const res = await ask(q, cap, store);
      expect(res.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    }
  });
});
