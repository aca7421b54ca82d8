/**
 * Fenced job completion on real PostgreSQL (issue 10, finding 7): a worker whose lease ran out
 * while it stalled, and the worker that took the job over, must not both write results. Each
 * claim gets a lease token (migration 008); only the current token renews, completes or fails.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ObjectStore } from '../../src/connectors/objects/object-store';
import type { ExtractionJobRow } from '../../src/connectors/provenance/pg-extraction-jobs';
import type { CreatedStore } from '../../src/connectors/store-config';
import { EXAMPLES_STORES_DIR, openRegistry, type StoreRegistry } from '../../src/connectors/store-registry';
import type { ProvenanceStore } from '../../src/connectors/provenance/provenance-store';
import { startExtractionWorker } from '../../src/ingest/extraction/extraction-worker';
import { createLogger } from '../../src/logger';
import { parseWorkflowSpec, specHash } from '../../src/ingest/workflow-spec';
import { CURATION_SPEC, createExtractionApp, curationEvents, type ExtractionApp } from './extraction-app';

const SGY = path.join(EXAMPLES_STORES_DIR, 'objects/data/netherlands.sgy');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
type Named = { name: string; value: unknown };
const byName = (xs: Named[] | null | undefined) => Object.fromEntries((xs ?? []).map((x) => [x.name, x.value]));

/** A promise and its resolver: a door the test opens. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((r) => (open = r));
  return { wait, open };
}

describe('job completion is fenced by the lease (PostgreSQL)', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'provml-fencing-'));
  let registry: StoreRegistry;
  let app: ExtractionApp;
  const ref = (uri: string) => ({ $ref: uri, store: 'fs', extract: true });
  const extraction = async (uri: string) => {
    const res = await app.run<{
      dataReference: {
        extraction: { status: string; attempts: number; characteristics: Named[] | null; run: { id: string } | null };
        usedBy: Array<{ id: string; generated?: Named[] }>;
      };
    }>(
      `query($uri: String!) { dataReference(uri: $uri) {
        extraction { status attempts characteristics { name value } run { id } }
        usedBy { id ... on TaskExecution { generated { name value } } } } }`,
      { uri },
    );
    expect(res.errors).toBeUndefined();
    return res.data!.dataReference;
  };

  beforeAll(async () => {
    fs.mkdirSync(path.join(root, 'data'));
    for (const name of ['a.sgy', 'c.sgy']) fs.copyFileSync(SGY, path.join(root, 'data', name));
    // The cube the stalled worker reads instead: its results are told apart by the trace count.
    const small = Buffer.from(fs.readFileSync(SGY));
    fs.writeFileSync(path.join(root, 'data/other.sgy'), small.subarray(0, 3600 + 140 * (240 + 16)));
    registry = await openRegistry(
      { stores: [{ id: 'fs', kind: 'fs', options: { root, paths: 'rooted' } }] },
      { env: {}, baseDir: root },
    );
    app = await createExtractionApp(registry);
    const spec = parseWorkflowSpec(CURATION_SPEC);
    await app.deps.store.registerWorkflow(spec, specHash(spec));
    await app.ingest(curationEvents('fence', [ref('/data/a.sgy')]));
  });
  afterAll(async () => {
    await app?.close();
    await registry?.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('extraction: the stale claim cannot renew, fail or complete; the current one completes', async () => {
    const store = app.deps.store;
    const [stale] = await store.claimExtractionJobs(1, 50);
    expect(stale.leaseToken).toMatch(/^[0-9a-f-]{36}$/);
    await sleep(150); // the lease runs out
    const [current] = await store.claimExtractionJobs(1, 60_000);
    expect(current.id).toBe(stale.id);
    expect(current.attempts).toBe(stale.attempts + 1);
    expect(current.leaseToken).not.toBe(stale.leaseToken);

    const result = (n: number) => ({
      bytesRead: n,
      characteristics: [{ name: 'trace_count', value: n }],
      resultRunId: null,
      note: null,
    });
    expect(await store.renewExtractionLeases([{ id: stale.id, leaseToken: stale.leaseToken!, bytesRead: 1 }], 60_000)).toEqual(
      new Set(),
    );
    expect(await store.completeExtractionJob({ id: stale.id, leaseToken: stale.leaseToken! }, result(1))).toBe(false);
    const failure = { code: 'TRUNCATED', message: 'stale', offset: null, field: null, bytesRead: null };
    expect(await store.failExtractionJob({ id: stale.id, leaseToken: stale.leaseToken! }, failure, null)).toBe(false);
    const [row] = (await store.extractionJobs({ status: 'RUNNING' }, { first: 10 })).items.filter(
      (j: ExtractionJobRow) => j.id === stale.id,
    );
    expect(row).toMatchObject({ status: 'RUNNING', attempts: current.attempts, characteristics: null, error: null });

    expect(
      await store.renewExtractionLeases([{ id: current.id, leaseToken: current.leaseToken!, bytesRead: 2 }], 60_000),
    ).toEqual(new Set([current.id]));
    expect(await store.completeExtractionJob({ id: current.id, leaseToken: current.leaseToken! }, result(2))).toBe(true);
    // Late, and again: the finished job keeps the current worker's result.
    expect(await store.completeExtractionJob({ id: stale.id, leaseToken: stale.leaseToken! }, result(1))).toBe(false);
    expect(await store.completeExtractionJob({ id: current.id, leaseToken: current.leaseToken! }, result(3))).toBe(false);
    const [done] = (await store.extractionJobs({ status: 'DONE' }, { first: 10 })).items.filter(
      (j: ExtractionJobRow) => j.id === stale.id,
    );
    expect(done).toMatchObject({ bytesRead: 2, characteristics: [{ name: 'trace_count', value: 2 }], leaseToken: null });
  });

  it('publish outbox: the stale claim cannot hold, fail or complete; the current one completes', async () => {
    const store = app.deps.store;
    const [stale] = await store.claimPublishJobs(1, 50);
    expect(stale).toMatchObject({ runId: 'fence', attempts: 0 });
    await sleep(150);
    const [current] = await store.claimPublishJobs(1, 60_000);
    expect(current.runId).toBe(stale.runId);
    expect(current.leaseToken).not.toBe(stale.leaseToken);
    expect(await store.holdPublishLease(stale, 60_000)).toBe(false);
    expect(await store.failPublishJob(stale, 'stale', 10)).toBe(false);
    expect(await store.completePublishJob(stale)).toBe(false);
    expect(await store.publishOutboxCounts()).toMatchObject({ pending: 1, done: 0 });
    expect(await store.holdPublishLease(current, 60_000)).toBe(true);
    expect(await store.completePublishJob(current)).toBe(true);
    expect(await store.publishOutboxCounts()).toMatchObject({ pending: 0, done: 1 });
    expect(await store.completePublishJob(stale)).toBe(false);
  });

  it('two workers: the one that stalled past its lease writes nothing, and says so; the other one’s result stands', async () => {
    // Worker A reads a different cube (other.sgy, 140 traces) under the same URI, stalls inside
    // the read, and cannot reach PostgreSQL to renew its lease while it is stalled.
    const read = gate();
    const entered = gate();
    const partition = gate();
    const fsStore = registry.get('fs') as Extract<CreatedStore, { objects: ObjectStore }>;
    const stalledObjects = Object.create(fsStore.objects) as ObjectStore;
    stalledObjects.readRange = async (uri: string, offset: number, length: number) => {
      entered.open();
      await read.wait;
      return fsStore.objects.readRange(uri, offset, length);
    };
    const stalledRegistry = Object.create(registry) as StoreRegistry;
    stalledRegistry.get = (id: string) => (id === 'fs' ? { ...fsStore, objects: stalledObjects } : registry.get(id));
    stalledRegistry.keyFor = (id: string, uri: string) => registry.keyFor(id, uri === '/data/c.sgy' ? '/data/other.sgy' : uri);
    const real = app.deps.store;
    const partitioned = Object.create(real) as ProvenanceStore;
    partitioned.renewExtractionLeases = async (progress, leaseMs) => {
      await partition.wait;
      return real.renewExtractionLeases(progress, leaseMs);
    };
    const lines: string[] = [];
    const logA = createLogger('warn', {}, (line) => lines.push(line));

    await app.ingest(curationEvents('fence2', [ref('/data/c.sgy')]));
    const a = startExtractionWorker(
      { store: partitioned, catalog: app.deps.catalog, registry: stalledRegistry, log: logA },
      { leaseMs: 300, intervalMs: 50, concurrency: 1 },
    );
    await entered.wait;
    await sleep(500); // A's lease runs out
    const b = app.startWorker({ leaseMs: 60_000, concurrency: 1 });
    expect(await b.drain()).toBe(1);
    await b.stop();
    const taken = await extraction('/data/c.sgy');
    expect(taken.extraction).toMatchObject({ status: 'DONE', attempts: 2 });
    expect(byName(taken.extraction.characteristics).trace_count).toBe(280);

    // A wakes up, finishes reading and is refused before it writes anything.
    partition.open();
    read.open();
    await a.drain();
    await a.stop();
    const after = await extraction('/data/c.sgy');
    expect(after.extraction).toEqual(taken.extraction);
    const generated = after.usedBy.flatMap((u) => u.generated ?? []).filter((g) => g.name === 'trace_count');
    expect(generated.map((g) => g.value)).toEqual([280]);
    const refused = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => /lease lost/.test(String(l.msg)));
    expect(refused.length).toBeGreaterThanOrEqual(1);
    expect(refused.some((l) => l.msg === 'extraction result refused: lease lost')).toBe(true);
  });
});
