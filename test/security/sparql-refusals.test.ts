import { startVirtuoso, type VirtuosoServer } from '../helpers/virtuoso';
import {
  CURATION_SPEC,
  INGEST,
  REGISTER,
  curationEvents,
  startAttackServer,
  startTrap,
  type AttackServer,
  type Trap,
} from './attack-server';

/**
 * Attack suite, the `sparql` field (issue 11, item 5): a real Virtuoso, which does fetch what
 * SERVICE and LOAD name (the control below proves it against the trap), behind provml. Every
 * refusal is BAD_USER_INPUT at `query` with a reason, made before the store is asked: after
 * all of them, the trap has seen only the control's connections.
 */
const PUBLISH_GRAPH = 'https://w3id.org/provml/graph/attack';
const SPARQL = `query($q: String!) { sparql(store: "kg", query: $q) { form rows { bindings { variable } } } }`;

describe('attack suite: SPARQL that would leave the store, or change it, is refused', () => {
  let virtuoso: VirtuosoServer;
  let trap: Trap;
  let s: AttackServer;

  beforeAll(async () => {
    trap = await startTrap();
    virtuoso = await startVirtuoso();
    await virtuoso.update('INSERT DATA { GRAPH <urn:g> { <urn:a> <urn:p> "kept" } }');
    // Publishing on: ended runs are written to the same Virtuoso as SPARQL Update.
    s = await startAttackServer({
      sparqlEndpoint: virtuoso.sparqlUrl,
      env: { PROVML_PUBLISH_STORE: 'kg', PROVML_PUBLISH_GRAPH: PUBLISH_GRAPH, PROVML_PUBLISH_INTERVAL_MS: '200' },
    });
  }, 120_000);
  afterAll(async () => {
    await s?.close();
    await virtuoso?.stop();
    await trap?.close();
  });

  const attacks = (t: Trap): Array<[string, string, string]> => [
    ['SERVICE to a loopback port', `SELECT * WHERE { SERVICE <${t.url}/sparql> { ?s ?p ?o } }`, 'service'],
    [
      'SERVICE SILENT in FILTER EXISTS',
      `SELECT * WHERE { ?s ?p ?o FILTER EXISTS { SERVICE SILENT <${t.url}/> { ?a ?b ?c } } }`,
      'service',
    ],
    ['SERVICE in a subquery', `SELECT * WHERE { { SELECT * WHERE { SERVICE <${t.url}/> { ?s ?p ?o } } } }`, 'service'],
    ['SERVICE to a variable', `SELECT * WHERE { BIND(<${t.url}/> AS ?e) SERVICE ?e { ?s ?p ?o } }`, 'service'],
    ['LOAD', `LOAD <${t.url}/data.ttl>`, 'update'],
    ['LOAD INTO GRAPH', `LOAD SILENT <${t.url}/data.ttl> INTO GRAPH <urn:g>`, 'update'],
    ['INSERT DATA', 'INSERT DATA { GRAPH <urn:g> { <urn:b> <urn:p> "planted" } }', 'update'],
    ['DELETE WHERE', 'DELETE WHERE { GRAPH <urn:g> { ?s ?p ?o } }', 'update'],
    ['DROP', 'DROP GRAPH <urn:g>', 'update'],
    ['a query then an update', 'SELECT * WHERE { ?s ?p ?o } ; DROP ALL', 'syntax'],
    ['Virtuoso DEFINE pragma', `DEFINE get:soft "replace" SELECT * FROM <${t.url}/g> WHERE { ?s ?p ?o }`, 'syntax'],
  ];

  it('refuses SERVICE, LOAD and updates with a typed error, and none reaches the trap or changes the store', async () => {
    for (const [what, q, reason] of attacks(trap)) {
      const res = await s.gql<{ sparql: unknown }>(SPARQL, { q });
      expect({ what, data: res.body.data?.sparql ?? null, ext: res.body.errors?.[0].extensions }).toEqual({
        what,
        data: null,
        ext: expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'query', reason }),
      });
    }
    // The store is unchanged.
    const kept = await s.gql<{ sparql: { rows: unknown[] } }>(SPARQL, { q: 'SELECT ?o WHERE { GRAPH <urn:g> { ?s ?p ?o } }' });
    expect(kept.body.errors).toBeUndefined();
    expect(kept.body.data!.sparql.rows).toHaveLength(1);
    // Control: the same SERVICE and LOAD sent to Virtuoso directly do reach the trap.
    expect(trap.hits()).toBe(0);
    for (const q of [attacks(trap)[0][1], attacks(trap)[4][1]]) {
      await fetch(virtuoso.sparqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ query: q }).toString(),
      });
    }
    await trap.waitFor(2);
    expect(trap.hits()).toBe(2);
  });

  it('does not mistake the words in comments, strings and IRIs for the query', async () => {
    const q = `# SERVICE <${trap.url}/> and LOAD in a comment
      SELECT ?o WHERE { GRAPH <urn:g> { ?s ?p ?o } FILTER(?o != "SERVICE <http://x/> LOAD DROP") FILTER(?s != <urn:service:load>) }`;
    const res = await s.gql<{ sparql: { form: string; rows: unknown[] } }>(SPARQL, { q });
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data!.sparql).toMatchObject({ form: 'SELECT' });
    expect(res.body.data!.sparql.rows).toHaveLength(1);
  });

  it('caps the rows a query returns', async () => {
    const res = await s.gql<{ sparql: { rowCap: number; truncated: boolean; rows: unknown[] } }>(
      `query($q: String!) { sparql(store: "kg", query: $q, rowCap: 2) { rowCap truncated rows { bindings { variable } } } }`,
      { q: 'SELECT ?s WHERE { ?s ?p ?o }' },
    );
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data!.sparql).toMatchObject({ rowCap: 2, truncated: true });
    expect(res.body.data!.sparql.rows).toHaveLength(2);
    const over = await s.gql(`{ sparql(store: "kg", query: "ASK {}", rowCap: 2000000) { form } }`);
    expect(over.body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'rowCap' });
  });

  it('publishes hostile ids, URIs and values as data: the updates it writes cannot be broken out of', async () => {
    const before = trap.hits();
    const breakOut = (tag: string) => `> } } ; LOAD <${trap.url}/${tag}> ; INSERT DATA { GRAPH <urn:g> { <urn:x> <urn:y> <urn:z`;
    expect((await s.gql(REGISTER, { s: CURATION_SPEC })).body.errors).toBeUndefined();
    const events = curationEvents(`pub${breakOut('run')}`, [{ $ref: `/data/a${breakOut('uri')}`, store: 'files' }]);
    (events[0] as Record<string, unknown>).attributes = {
      note: `" } } ; LOAD <${trap.url}/value> ; INSERT DATA { GRAPH <urn:g> { <urn:q> <urn:r> "s`,
    };
    const r = await s.gql<{ ingest: { accepted: number; rejected: number } }>(INGEST, { e: events });
    expect(r.body.data!.ingest).toMatchObject({ accepted: 3, rejected: 0 });
    // Wait until the run's note is in the published graph, verbatim: the update ran to its end.
    const note = `SELECT ?v WHERE { GRAPH <${PUBLISH_GRAPH}> { ?s ?p ?v FILTER(CONTAINS(STR(?v), "/value> ; INSERT DATA")) } }`;
    const deadline = Date.now() + 30_000;
    for (;;) {
      const res = await s.gql<{ sparql: { rows: unknown[] } }>(SPARQL, { q: note });
      expect(res.body.errors).toBeUndefined();
      if (res.body.data!.sparql.rows.length > 0) break;
      if (Date.now() > deadline) throw new Error('the run was not published');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const g = await s.gql<{ sparql: { rows: unknown[] } }>(SPARQL, { q: 'SELECT * WHERE { GRAPH <urn:g> { ?s ?p ?o } }' });
    expect(g.body.data!.sparql.rows).toHaveLength(1); // only "kept": nothing was inserted beside the publish
    expect(trap.hits()).toBe(before);
  });
});
