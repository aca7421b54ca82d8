import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import oxigraph from 'oxigraph';
import { loadOxigraphStore, OxigraphKnowledgeStore } from '../../src/connectors/knowledge/oxigraph-knowledge-store';
import { BadUserInputError } from '../../src/errors';
import { knowledgeStoreContract } from './knowledge-store.contract';

knowledgeStoreContract('Oxigraph (in process, from files)', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'provml-oxigraph-'));
  let store: oxigraph.Store | undefined;
  return {
    async load(turtle) {
      // Through files, as the embedded backend is configured.
      const file = path.join(dir, 'graph.ttl');
      await writeFile(file, turtle);
      store = await loadOxigraphStore([file]);
    },
    create: (options) => new OxigraphKnowledgeStore(store!, { id: 'knowledge-embedded', ...options }),
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
    expect(out.map((d) => (d && !(d instanceof Error) ? d.statements[0].object.value : d))).toEqual(['v', 'w']);
  });

  it('names the file and field of a file that does not parse, or has an unknown extension', async () => {
    const bad = path.join(dir, 'bad.ttl');
    await writeFile(bad, '<http://a> <http://p> .\n');
    await expect(loadOxigraphStore([bad])).rejects.toThrow(/bad\.ttl does not parse/);
    await expect(loadOxigraphStore([path.join(dir, 'x.csv')])).rejects.toBeInstanceOf(BadUserInputError);
  });
});
