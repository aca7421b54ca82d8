import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  loadOxigraphStore,
  OxigraphKnowledgeStore,
  type OxigraphFiles,
} from '../../src/connectors/knowledge/oxigraph-knowledge-store';
import { BadUserInputError, StoreTimeoutError, StoreUnavailableError } from '../../src/errors';
import { knowledgeStoreContract } from './knowledge-store.contract';

knowledgeStoreContract('Oxigraph (in process, from files)', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'provml-oxigraph-'));
  let files: OxigraphFiles | undefined;
  return {
    async load(turtle) {
      // Through files, as the embedded backend is configured.
      const file = path.join(dir, 'graph.ttl');
      await writeFile(file, turtle);
      files = await loadOxigraphStore([file]);
    },
    create: (options) => new OxigraphKnowledgeStore(files!, { id: 'knowledge-embedded', ...options }),
    stop: () => rm(dir, { recursive: true, force: true }),
  };
});

describe('Oxigraph loading', () => {
  let dir: string;
  beforeAll(async () => (dir = await mkdtemp(path.join(os.tmpdir(), 'provml-oxigraph-'))));
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('reads N-Quads into named graphs that the default graph unions', async () => {
    const file = path.join(dir, 'g.nq');
    await writeFile(file, '<http://a> <http://p> "v" <http://g1> .\n<http://b> <http://p> "w" .\n');
    const store = new OxigraphKnowledgeStore(await loadOxigraphStore([file]), { id: 'k' });
    const out = await store.describe(['http://a', 'http://b']);
    await store.close();
    expect(out.map((d) => (d && !(d instanceof Error) ? d.statements[0].object.value : d))).toEqual(['v', 'w']);
  });

  it('names the file and field of a file that does not parse, or has an unknown extension', async () => {
    const bad = path.join(dir, 'bad.ttl');
    await writeFile(bad, '<http://a> <http://p> .\n');
    await expect(loadOxigraphStore([bad])).rejects.toThrow(/bad\.ttl does not parse/);
    await expect(loadOxigraphStore([path.join(dir, 'x.csv')])).rejects.toBeInstanceOf(BadUserInputError);
  });
});

describe('Oxigraph in its worker thread: timeouts and restarts', () => {
  const TTL = path.join(__dirname, '../../examples/stores/knowledge/netherlands.ttl');
  // Five unbounded patterns: ~40 s of evaluation on one core, far past any timeout here.
  const HEAVY = 'SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n0 ?o }';
  const WELLS = 'PREFIX pml: <http://provml.dev/ns/domain#> SELECT ?w WHERE { ?w a pml:Well }';
  const SGY = 'http://ibm.com/netherlands.sgy';
  let files: OxigraphFiles;
  beforeAll(async () => (files = await loadOxigraphStore([TTL])));

  it('answers STORE_TIMEOUT on time, keeps the event loop free, and answers again from a fresh worker', async () => {
    const store = new OxigraphKnowledgeStore(files, { id: 'k', timeoutMs: 800 });
    try {
      await store.query(WELLS); // loaded
      let ticks = 0;
      const ticker = setInterval(() => ticks++, 20);
      const started = Date.now();
      const err = await store.query(HEAVY).catch((e: unknown) => e);
      const ms = Date.now() - started;
      clearInterval(ticker);
      expect(err).toBeInstanceOf(StoreTimeoutError);
      expect((err as StoreTimeoutError).extensions).toMatchObject({ code: 'STORE_TIMEOUT', store: 'k', timeoutMs: 800 });
      expect(ms).toBeLessThan(800 + 1000);
      // A blocked loop would not have ticked at all during the query.
      expect(ticks).toBeGreaterThan(ms / 20 / 2);
      // The fresh worker loads the files first; on a loaded machine that alone can pass the 800 ms
      // deadline of the first call after the restart, so wait on the condition, not on one call.
      let again: Awaited<ReturnType<typeof store.query>> | undefined;
      for (let i = 0; i < 30 && !again; i++) {
        again = await store.query(WELLS).catch((e: unknown) => {
          if (e instanceof StoreTimeoutError) return undefined;
          throw e;
        });
      }
      expect(again?.form === 'select' && again.rows).toHaveLength(4);
    } finally {
      await store.close();
    }
  });

  it('puts STORE_TIMEOUT in every slot of a describe that times out', async () => {
    const store = new OxigraphKnowledgeStore(files, { id: 'k', timeoutMs: 500 });
    try {
      const heavy = store.query(HEAVY).catch((e: unknown) => e);
      const out = await store.describe([SGY, 'not an iri', SGY]);
      expect(out[0]).toBeInstanceOf(StoreTimeoutError);
      expect(out[1]).toBeInstanceOf(BadUserInputError);
      expect(out[2]).toBe(out[0]);
      expect(await heavy).toBeInstanceOf(StoreTimeoutError);
    } finally {
      await store.close();
    }
  });

  it('hands a call queued behind a stuck query to the fresh worker, within its own deadline', async () => {
    const store = new OxigraphKnowledgeStore(files, { id: 'k', timeoutMs: 6000 });
    try {
      await store.query(WELLS);
      const heavy = store.query(HEAVY).catch((e: unknown) => e);
      // Queued late in HEAVY's 6 s, so that its own deadline is 5 s after HEAVY's: a fresh worker
      // must load within that (1 s of slack was not enough on a loaded CI machine).
      await new Promise((r) => setTimeout(r, 5000));
      // Waits behind HEAVY (still stuck: it runs until its deadline).
      const queued = store.describe([SGY]);
      expect(await heavy).toBeInstanceOf(StoreTimeoutError);
      const [d] = await queued;
      expect(d && !(d instanceof Error) && d.statements).toHaveLength(16);
    } finally {
      await store.close();
    }
  });

  it('answers STORE_UNAVAILABLE once closed, and names a knowledge file that cannot be read', async () => {
    const store = new OxigraphKnowledgeStore(files, { id: 'k' });
    await store.close();
    await expect(store.query(WELLS)).rejects.toBeInstanceOf(StoreUnavailableError);
    const missing = loadOxigraphStore([path.join(os.tmpdir(), 'provml-no-such-file.ttl')]);
    await expect(missing).rejects.toBeInstanceOf(BadUserInputError);
    await expect(missing).rejects.toThrow(/provml-no-such-file\.ttl cannot be read/);
  });
});
