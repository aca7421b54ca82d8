import { EXAMPLES_STORES_DIR, openRegistry, type StoreRegistry } from '../../src/connectors/store-registry';
import { createFederationApp, type FederationApp, type GqlResult } from '../gateway/federation-app';
import { startVirtuoso, virtuosoAvailable, type VirtuosoServer } from '../helpers/virtuoso';

// Read-only SPARQL (issue 3, item 8) through the gateway against a real Virtuoso, which runs
// updates sent as queries when the SPARQL user may update (the harness grants it): the refusal
// must be ours. Row cap, 400 -> BAD_USER_INPUT, SIGSTOP -> STORE_TIMEOUT, SIGCONT heals.
const GRAPH = 'http://provml.dev/graph/sparql-field-test';
const N = 40;
const SPARQL = `query($q: String!, $cap: Int) { sparql(store: "kg", query: $q, rowCap: $cap) { form rowCap truncated boolean rows { value(variable: "i") { value datatype } } triples { subject { value } } } }`;
type Res = {
  sparql: {
    form: string;
    rowCap: number;
    truncated: boolean;
    boolean: boolean | null;
    rows: Array<{ value: { value: string; datatype: string } | null }>;
    triples: unknown[];
  } | null;
};

const haveVirtuoso = virtuosoAvailable();

describe('sparql over Virtuoso', () => {
  let virtuoso: VirtuosoServer;
  let registry: StoreRegistry;
  let app: FederationApp;
  let skip = false;
  const ask = (q: string, cap?: number) => app.run<Res>(SPARQL, { q, cap });
  // An independent reader: Virtuoso's own endpoint, not the connector.
  const direct = async (q: string): Promise<boolean> => {
    const res = await fetch(`${virtuoso.sparqlUrl}?query=${encodeURIComponent(q)}`, {
      headers: { accept: 'application/sparql-results+json' },
    });
    return ((await res.json()) as { boolean: boolean }).boolean;
  };

  beforeAll(async () => {
    if (!(await haveVirtuoso)) {
      skip = true;
      console.warn('federation-sparql: SKIPPED, virtuoso-t is not installed (apt-get install -y virtuoso-opensource)');
      return;
    }
    virtuoso = await startVirtuoso();
    const triples = Array.from({ length: N }, (_, i) => `<http://x.test/item/${i}> <http://x.test/index> ${i} .`).join('\n');
    await virtuoso.update(`INSERT DATA { GRAPH <${GRAPH}> { ${triples} } }`);
    registry = await openRegistry(
      { stores: [{ id: 'kg', kind: 'sparql', endpoint: virtuoso.sparqlUrl, options: { rowCap: 25 }, timeoutMs: 1000 }] },
      { env: {}, baseDir: EXAMPLES_STORES_DIR },
    );
    app = await createFederationApp(registry, { demo: false });
  }, 200_000); // starting Virtuoso waits on its endpoint, up to 150 s on a loaded machine
  afterAll(async () => {
    await app?.close();
    await registry?.close();
    await virtuoso?.stop();
  });

  const ITEMS = `SELECT ?i WHERE { GRAPH <${GRAPH}> { ?s <http://x.test/index> ?i } } ORDER BY ?i`;

  it("SELECT within the row cap, and cut at it (never past the store's own cap)", async () => {
    if (skip) return;
    const ten = await ask(ITEMS, 10);
    expect(ten.errors).toBeUndefined();
    expect(ten.data!.sparql).toMatchObject({ form: 'SELECT', rowCap: 10, truncated: true });
    expect(ten.data!.sparql!.rows.map((r) => Number(r.value!.value))).toEqual([...Array(10).keys()]);
    expect(ten.data!.sparql!.rows[0].value!.datatype).toBe('http://www.w3.org/2001/XMLSchema#integer');
    // The store's rowCap (25) bounds what a caller may ask for.
    const many = await ask(ITEMS, 1000);
    expect(many.data!.sparql).toMatchObject({ rowCap: 25, truncated: true });
    expect(many.data!.sparql!.rows).toHaveLength(25);
    const few = await ask(`SELECT ?i WHERE { GRAPH <${GRAPH}> { ?s <http://x.test/index> ?i FILTER (?i < 7) } }`);
    expect(few.data!.sparql).toMatchObject({ truncated: false });
    expect(few.data!.sparql!.rows).toHaveLength(7);
  });

  it('ASK and CONSTRUCT', async () => {
    if (skip) return;
    const yes = await ask(`ASK { GRAPH <${GRAPH}> { <http://x.test/item/3> ?p ?o } }`);
    expect(yes.data!.sparql).toMatchObject({ form: 'ASK', boolean: true });
    const built = await ask(
      `CONSTRUCT { ?s a <http://x.test/Item> } WHERE { GRAPH <${GRAPH}> { ?s <http://x.test/index> ?i } }`,
      5,
    );
    expect(built.errors).toBeUndefined();
    expect(built.data!.sparql).toMatchObject({ form: 'CONSTRUCT', truncated: true });
    expect(built.data!.sparql!.triples).toHaveLength(5);
  });

  it('refuses INSERT and DELETE with BAD_USER_INPUT before Virtuoso sees them', async () => {
    if (skip) return;
    const insert = await ask(`INSERT DATA { GRAPH <${GRAPH}> { <http://x.test/evil> <http://x.test/index> 999 } }`);
    expect(insert.data?.sparql ?? null).toBeNull();
    expect(insert.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'query' });
    expect(await direct(`ASK { GRAPH <${GRAPH}> { <http://x.test/evil> ?p ?o } }`)).toBe(false);
    const del = await ask(`DELETE WHERE { GRAPH <${GRAPH}> { ?s ?p ?o } }`);
    expect(del.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'query' });
    expect(await direct(`ASK { GRAPH <${GRAPH}> { <http://x.test/item/0> ?p ?o } }`)).toBe(true);
  });

  it("a query Virtuoso rejects is the caller's: BAD_USER_INPUT, not an outage", async () => {
    if (skip) return;
    const res = await ask('SELECT ?s WHERE { ?s ?p }');
    expect(res.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'query' });
  });

  it("a stopped Virtuoso gives STORE_TIMEOUT within the store's timeout; resumed, it answers again", async () => {
    if (skip) return;
    await virtuoso.signal('SIGSTOP');
    let res: GqlResult<Res>;
    const started = Date.now();
    try {
      res = await ask(ITEMS, 5);
    } finally {
      await virtuoso.signal('SIGCONT');
    }
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(900);
    expect(took).toBeLessThan(3000);
    expect(res.data?.sparql ?? null).toBeNull();
    expect(res.errors).toHaveLength(1);
    expect(res.errors![0].path).toEqual(['sparql']);
    expect(res.errors![0].extensions).toMatchObject({ code: 'STORE_TIMEOUT', store: 'kg', timeoutMs: 1000 });
    const healed = await ask(ITEMS, 5);
    expect(healed.errors).toBeUndefined();
    expect(healed.data!.sparql!.rows).toHaveLength(5);
  });

  it('a killed Virtuoso gives STORE_UNAVAILABLE', async () => {
    if (skip) return;
    await virtuoso.kill();
    const res = await ask(ITEMS, 5);
    expect(res.errors?.[0].extensions).toMatchObject({ code: 'STORE_UNAVAILABLE', store: 'kg' });
  });
});
