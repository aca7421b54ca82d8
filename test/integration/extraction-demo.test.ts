/**
 * The demo lifecycle asks for extraction of its raw SEG-Y: once the worker has read it, the
 * ranges and polygon that Q1 and Q6 return are the extracted ones. Runs on a copy of the
 * embedded demo stores (examples/stores), so the checkout is never written.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createContext } from '../../src/context';
import { UPSERT_FOLDER } from '../../src/connectors/documents/file-document-store';
import { EXAMPLES_STORES_DIR, demoRegistryFile, openRegistry, type StoreRegistry } from '../../src/connectors/store-registry';
import { DEMO } from '../../src/demo/demo-events';
import { loadDemo } from '../../src/demo/load-demo';
import { silentLogger } from '../../src/logger';
import { createApollo } from '../../src/server';
import { createExtractionApp, type ExtractionApp } from './extraction-app';

type Named = { name: string; value: unknown };
const byName = (xs: Named[]) => Object.fromEntries(xs.map((x) => [x.name, x.value]));
const readQuery = (name: string) => ({
  query: fs.readFileSync(path.join(__dirname, '../../examples/queries', `${name}.graphql`), 'utf8'),
  variables: JSON.parse(fs.readFileSync(path.join(__dirname, '../../examples/queries', `${name}.json`), 'utf8')) as Record<
    string,
    unknown
  >,
});

describe('the demo raw file, extracted at ingest, feeds Q1 and Q6', () => {
  const stores = fs.mkdtempSync(path.join(os.tmpdir(), 'provml-extraction-demo-'));
  const demoDoc = path.join(stores, 'documents/netherlands.geojson');
  let registry: StoreRegistry;
  let app: ExtractionApp;

  beforeAll(async () => {
    fs.cpSync(EXAMPLES_STORES_DIR, stores, { recursive: true });
    registry = await openRegistry(demoRegistryFile(), { env: {}, baseDir: stores });
    app = await createExtractionApp(registry);
    // The whole lifecycle; the training runs are cut to one epoch each, except the one that
    // generated the best model (Q1 starts from it).
    await loadDemo(app.deps, DEMO.bestEpoch);
  });
  afterAll(async () => {
    await app?.close();
    await registry?.close();
    fs.rmSync(stores, { recursive: true, force: true });
  });

  it('extracts the demo SEG-Y: ranges [100, 750] x [300, 1250], the polygon already in the demo document store', async () => {
    const before = fs.readFileSync(demoDoc, 'utf8');
    const worker = app.startWorker();
    expect(await worker.drain()).toBe(1);
    await worker.stop();
    const res = await app.run<{
      dataReference: { extraction: { status: string; note: string | null; characteristics: Named[] } };
    }>(
      `{ dataReference(uri: "${DEMO.rawFile}", store: "${DEMO.store}") { extraction { status note characteristics { name value } } } }`,
    );
    expect(res.errors).toBeUndefined();
    const job = res.data!.dataReference.extraction;
    expect(job).toMatchObject({ status: 'DONE', note: null });
    const c = byName(job.characteristics);
    expect(c).toMatchObject({
      inline_range: DEMO.inlineRange,
      crossline_range: DEMO.crosslineRange,
      crs: 'EPSG:23031',
      trace_count: 280,
    });
    // The checked-in demo document is exactly what extraction writes: nothing needed writing.
    expect(JSON.parse(before).geometry).toEqual(c.footprint_wgs84);
    expect(fs.readFileSync(demoDoc, 'utf8')).toBe(before);
    expect(fs.existsSync(path.join(stores, 'documents', UPSERT_FOLDER))).toBe(false);
  });

  it('Q1 and Q6 answer with the extraction: its task used the raw file, the document holds its polygon', async () => {
    const gateway = createApollo(app.deps.config, silentLogger);
    await gateway.start();
    try {
      const job = await app.run<{ dataReference: { extraction: { characteristics: Named[]; run: { id: string } } } }>(
        `{ dataReference(uri: "${DEMO.rawFile}") { extraction { characteristics { name value } run { id } } } }`,
      );
      const extracted = byName(job.data!.dataReference.extraction.characteristics);
      const task = `task:${job.data!.dataReference.extraction.run.id.slice('run:'.length)}.extract`;
      type Raw = {
        uri: string;
        document: { geometry: unknown } | null;
        knowledge: Record<string, string> | null;
        usedBy: Array<{ id: string; generated?: Named[] }>;
      };
      const check = (raw: Raw) => {
        expect(raw.uri).toBe(DEMO.rawFile);
        expect(raw.document?.geometry).toEqual(extracted.footprint_wgs84);
        const ext = raw.usedBy.find((u) => u.id === task);
        expect(byName(ext!.generated!)).toMatchObject({ inline_range: DEMO.inlineRange, crossline_range: DEMO.crosslineRange });
        // The knowledge graph's slice ranges agree with what the file says about itself.
        expect([Number(raw.knowledge!.inlineMin), Number(raw.knowledge!.inlineMax)]).toEqual(extracted.inline_range);
        expect([Number(raw.knowledge!.crosslineMin), Number(raw.knowledge!.crosslineMax)]).toEqual(extracted.crossline_range);
      };
      for (const name of ['q1', 'q6']) {
        const { query, variables } = readQuery(name);
        const res = await gateway.executeOperation({ query, variables }, { contextValue: createContext(app.deps) });
        if (res.body.kind !== 'single') throw new Error('unexpected incremental result');
        const { data, errors } = res.body.singleResult as { data: Record<string, unknown>; errors?: unknown[] };
        expect(errors).toBeUndefined();
        const raw =
          name === 'q1'
            ? (data.model as { datasets: Array<{ name: string; dataReference: { wasDerivedFrom: Raw[] } }> }).datasets.find(
                (d) => d.name === 'train_set',
              )!.dataReference.wasDerivedFrom[0]
            : (data.dataReference as { wasDerivedFrom: Raw[] }).wasDerivedFrom[0];
        check(raw);
      }
    } finally {
      await gateway.stop();
    }
  });
});
