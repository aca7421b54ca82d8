import { randomUUID } from 'node:crypto';
import oxigraph from 'oxigraph';
import { createSparqlClient } from '../../src/connectors/knowledge/load-sparql-http-client';
import { SparqlKnowledgeStore } from '../../src/connectors/knowledge/sparql-knowledge-store';
import { StoreTimeoutError, StoreUnavailableError } from '../../src/errors';
import { freePort, startVirtuoso, type VirtuosoServer } from '../helpers/virtuoso';
import { knowledgeStoreContract } from './knowledge-store.contract';

/** Loads Turtle into one named graph per run with INSERT DATA (N-Triples made by Oxigraph). */
async function loadInto(server: VirtuosoServer, graph: string, turtle: string): Promise<void> {
  const store = new oxigraph.Store();
  store.load(turtle, { format: 'text/turtle' });
  const ntriples = store.dump({ format: 'application/n-triples', from_graph_name: oxigraph.defaultGraph() });
  await server.update(`INSERT DATA { GRAPH <${graph}> {\n${ntriples}\n} }`);
}

// One Virtuoso for the file (each suite in a graph of its own): a start is the slowest step here.
let shared: Promise<VirtuosoServer> | undefined;
const virtuoso = () => (shared ??= startVirtuoso());
afterAll(async () => (await shared)?.stop());

knowledgeStoreContract('SPARQL endpoint (Virtuoso)', async () => {
  const server = await virtuoso();
  const graph = `http://provml.test/graph/${randomUUID()}`;
  const client = createSparqlClient({ endpointUrl: server.sparqlUrl, requestTimeoutMs: 10_000 });
  return {
    load: (turtle) => loadInto(server, graph, turtle),
    create: (options) => new SparqlKnowledgeStore(client, { id: 'knowledge-virtuoso', graphs: [graph], ...options }),
    stop: async () => undefined, // the file's afterAll stops the shared server
  };
});

describe('SparqlKnowledgeStore failures (Virtuoso)', () => {
  let server: VirtuosoServer;
  const graph = `http://provml.test/graph/${randomUUID()}`;
  const sgy = 'http://ibm.com/netherlands.sgy';

  beforeAll(async () => {
    server = await virtuoso();
    await loadInto(server, graph, `<${sgy}> <http://provml.test/p> "v" .`);
  }, 200_000);

  const storeFor = (endpointUrl: string, timeoutMs: number) =>
    new SparqlKnowledgeStore(createSparqlClient({ endpointUrl, requestTimeoutMs: timeoutMs }), {
      id: 'kg',
      timeoutMs,
      graphs: [graph],
    });

  it('gives every slot a StoreUnavailableError naming the store when nothing listens', async () => {
    const store = storeFor(`http://127.0.0.1:${await freePort()}/sparql`, 2000);
    const out = await store.describe([sgy, 'not an iri', sgy]);
    expect(out[0]).toBeInstanceOf(StoreUnavailableError);
    expect((out[0] as StoreUnavailableError).extensions).toMatchObject({ code: 'STORE_UNAVAILABLE', store: 'kg' });
    expect(out[1]).not.toBeInstanceOf(StoreUnavailableError); // bad input stays bad input
    expect(out[2]).toBe(out[0]);
    await expect(store.query('ASK {}')).rejects.toBeInstanceOf(StoreUnavailableError);
  });

  it('times out a stalled server with StoreTimeoutError, and heals when it resumes', async () => {
    const store = storeFor(server.sparqlUrl, 700);
    await server.signal('SIGSTOP');
    try {
      const started = Date.now();
      const out = await store.describe([sgy]);
      expect(out[0]).toBeInstanceOf(StoreTimeoutError);
      expect((out[0] as StoreTimeoutError).extensions).toMatchObject({ code: 'STORE_TIMEOUT', store: 'kg', timeoutMs: 700 });
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      await server.signal('SIGCONT');
    }
    const healed = await store.describe([sgy]);
    expect(healed[0]).toMatchObject({ uri: sgy, statements: [{ object: { value: 'v' } }] });
  });

  it('reports a server-side failure of its own describe query as StoreUnavailableError', async () => {
    const store = new SparqlKnowledgeStore(createSparqlClient({ endpointUrl: `${server.sparqlUrl}-missing` }), { id: 'kg' });
    const out = await store.describe([sgy]);
    expect(out[0]).toBeInstanceOf(StoreUnavailableError);
    expect((out[0] as Error).message).toMatch(/store kg is unavailable: .*404/);
  });
});
