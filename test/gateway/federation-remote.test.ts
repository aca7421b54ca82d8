import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { graphql } from 'graphql';
import { EXAMPLES_STORES_DIR, demoRegistryFile, openRegistry, type StoreRegistry } from '../../src/connectors/store-registry';
import { loadRemoteSubschemas } from '../../src/resolvers/remote/remote.subschema';
import { createFederationApp, type FederationApp } from './federation-app';

// A second, in-process GraphQL server stands for a user's GraphQL store (a data catalogue): the
// gateway introspects it, stitches it in with the merge keys of the config, and keeps answering
// without it when it is down or slow.
const CATALOG_SDL = /* GraphQL */ `
  type DataReference {
    uri: String!
    catalog: CatalogEntry
  }
  type CatalogEntry {
    title: String!
    license: String!
  }
  type Query {
    _catalogByUris(uris: [String!]!): [DataReference]!
  }
`;
const ENTRIES: Record<string, { title: string; license: string }> = {
  '/data/netherlands.sgy': { title: 'F3 Netherlands (dGB Earth Sciences)', license: 'CC BY-SA 3.0' },
  '/input/train.hdf5': { title: 'F3 training tiles', license: 'internal' },
};

class CatalogServer {
  requests: Array<{ authorization?: string; uris?: string[] }> = [];
  delayMs = 0;
  private server?: http.Server;
  port = 0;
  private readonly schema = makeExecutableSchema({
    typeDefs: CATALOG_SDL,
    resolvers: {
      Query: {
        _catalogByUris: (_: unknown, { uris }: { uris: string[] }) => uris.map((uri) => ({ uri, catalog: ENTRIES[uri] ?? null })),
      },
    },
  });

  async start(port = 0) {
    this.server = http.createServer(async (req, res) => {
      let body = '';
      for await (const c of req) body += c;
      const { query, variables } = JSON.parse(body) as { query: string; variables?: Record<string, unknown> };
      if (req.headers.authorization !== 'Bearer s3cret') {
        res.writeHead(401).end(JSON.stringify({ errors: [{ message: 'unauthorized' }] }));
        return;
      }
      const uris = (Object.values(variables ?? {}).find(Array.isArray) as string[] | undefined) ?? undefined;
      this.requests.push({ authorization: req.headers.authorization, uris });
      if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
      const result = await graphql({ schema: this.schema, source: query, variableValues: variables });
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(result));
    });
    await new Promise<void>((r) => this.server!.listen(port, '127.0.0.1', () => r()));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop() {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

describe('a remote GraphQL store stitched into the gateway', () => {
  const catalog = new CatalogServer();
  let registry: StoreRegistry;
  let app: FederationApp;

  beforeAll(async () => {
    await catalog.start();
    const demo = demoRegistryFile();
    demo.stores.push({
      id: 'catalog',
      kind: 'graphql',
      endpoint: `http://127.0.0.1:${catalog.port}/graphql`,
      timeoutMs: 1000,
      secretsFromEnv: { authorization: 'CATALOG_TOKEN' },
      options: { merge: { DataReference: { fieldName: '_catalogByUris', keyField: 'uri', argName: 'uris' } } },
    });
    registry = await openRegistry(demo, { env: { CATALOG_TOKEN: 'Bearer s3cret' }, baseDir: EXAMPLES_STORES_DIR });
    const remotes = await loadRemoteSubschemas(registry);
    expect(remotes.map((r) => r.id)).toEqual(['catalog']);
    app = await createFederationApp(registry, { remotes });
  });
  afterAll(async () => {
    await app?.close();
    await registry?.close();
    await catalog.stop();
  });
  beforeEach(() => {
    catalog.requests = [];
    catalog.delayMs = 0;
  });

  const QUERY = `{ dataReferences(filter: { uriPrefix: "/" }, first: 100) { nodes { uri catalog { title license } knowledge { basin: value(predicate: "pml:basin") } } } }`;
  type Res = {
    dataReferences: { nodes: Array<{ uri: string; catalog: { title: string } | null; knowledge: { basin: string } | null }> };
  };

  it('adds the remote fields to DataReference in one batched request per level, with the configured secret', async () => {
    const res = await app.run<Res>(QUERY);
    expect(res.errors).toBeUndefined();
    const nodes = res.data!.dataReferences.nodes;
    const sgy = nodes.find((n) => n.uri === '/data/netherlands.sgy')!;
    expect(sgy.catalog).toEqual(ENTRIES['/data/netherlands.sgy']);
    expect(sgy.knowledge).toEqual({ basin: 'Southern North Sea' });
    expect(nodes.find((n) => n.uri === '/input/train.hdf5')!.catalog).toEqual(ENTRIES['/input/train.hdf5']);
    expect(nodes.filter((n) => n.catalog === null).length).toBe(nodes.length - 2);
    expect(catalog.requests).toHaveLength(1);
    expect(catalog.requests[0].uris).toHaveLength(nodes.length);
    // The merge entry is private: not in the public schema.
    const direct = await app.run(`{ _catalogByUris(uris: ["/data/netherlands.sgy"]) { uri } }`);
    expect(direct.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it('costs only the remote fields when it is down (STORE_UNAVAILABLE) or slow (STORE_TIMEOUT), and heals without restart', async () => {
    const port = catalog.port;
    await catalog.stop();
    const down = await app.run<Res>(QUERY);
    const sgyDown = down.data!.dataReferences.nodes.find((n) => n.uri === '/data/netherlands.sgy')!;
    expect(sgyDown.catalog).toBeNull();
    expect(sgyDown.knowledge).toEqual({ basin: 'Southern North Sea' }); // other stores still answer
    expect(down.errors!.length).toBe(down.data!.dataReferences.nodes.length);
    for (const e of down.errors!) {
      expect(e.extensions).toMatchObject({ code: 'STORE_UNAVAILABLE', store: 'catalog' });
      // At each item's own field: dataReferences.nodes.<index>.catalog.
      expect(e.path).toEqual(['dataReferences', 'nodes', expect.any(Number), 'catalog']);
      expect(e.message).not.toContain('s3cret');
    }

    await catalog.start(port);
    catalog.delayMs = 1500;
    const slow = await app.run<Res>(QUERY);
    expect(slow.data!.dataReferences.nodes.find((n) => n.uri === '/data/netherlands.sgy')!.knowledge).toEqual({
      basin: 'Southern North Sea',
    });
    expect(slow.errors!.every((e) => e.extensions?.code === 'STORE_TIMEOUT' && e.extensions?.store === 'catalog')).toBe(true);

    catalog.delayMs = 0;
    const healed = await app.run<Res>(QUERY);
    expect(healed.errors).toBeUndefined();
    expect(healed.data!.dataReferences.nodes.find((n) => n.uri === '/data/netherlands.sgy')!.catalog).toEqual(
      ENTRIES['/data/netherlands.sgy'],
    );
  });
});
