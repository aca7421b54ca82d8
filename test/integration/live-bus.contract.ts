import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { openProvenanceStore, type OpenedStore } from '../../src/connectors/provenance/open-provenance-store';
import type { LiveChangeRow } from '../../src/connectors/provenance/pg-live-log';
import { ingestBatch } from '../../src/ingest/ingest-batch';
import { runStream, type StreamHead } from '../../src/ingest/live-changes';
import { SpecCatalog } from '../../src/ingest/spec-catalog';
import { parseWorkflowSpec, specHash } from '../../src/ingest/workflow-spec';
import type { LiveBus } from '../../src/live/live-bus';
import { LiveFeed } from '../../src/live/live-feed';
import { LiveHub } from '../../src/live/live-hub';
import { silentLogger } from '../../src/logger';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';

/**
 * One contract for both live buses (LISTEN/NOTIFY, Redis): messages reach another process's bus
 * in full, and two replicas' hubs over one PostgreSQL database give a subscriber on replica B
 * every change ingested on replica A, in commit order, once, with resume from a cursor.
 */
export function liveBusContract(name: string, makeBus: (opened: OpenedStore) => LiveBus): void {
  describe(`live bus contract: ${name}`, () => {
    let db: TestDatabase;
    let dataDir: string;
    const opened: OpenedStore[] = [];
    const buses: LiveBus[] = [];
    let catalog: SpecCatalog;

    const replica = async () => {
      const o = await openProvenanceStore({ databaseUrl: db.url, dataDir, poolSize: 4, log: silentLogger });
      opened.push(o);
      const bus = makeBus(o);
      buses.push(bus);
      const hub = new LiveHub(o.store, bus, silentLogger, 5); // small pages: replay crosses pages
      await hub.start();
      return { store: o.store, hub, bus };
    };

    beforeAll(async () => {
      db = await createTestDatabase('provml_live_bus');
      dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'provml-live-bus-'));
      const o = await openProvenanceStore({ databaseUrl: db.url, dataDir, poolSize: 2, log: silentLogger });
      opened.push(o);
      const spec = parseWorkflowSpec({
        name: 'bus',
        kind: 'LEARNING',
        transformations: [{ name: 'train', kind: 'LEARNING_STAGE' }],
      });
      await o.store.registerWorkflow(spec, specHash(spec));
      catalog = new SpecCatalog(o.store);
    });
    afterAll(async () => {
      for (const b of buses) await b.close();
      for (const o of opened) await o.close();
      await db?.drop();
      await fs.rm(dataDir, { recursive: true, force: true });
    });

    const collect = () => {
      const rows: LiveChangeRow[] = [];
      let notify = () => {};
      const feed = new LiveFeed<LiveChangeRow>({
        maxPending: 1_000_000,
        batchMs: 0,
        toMessages: (r) => r,
        onOverflow: () => undefined,
      });
      void (async () => {
        for await (const r of feed) {
          rows.push(r);
          notify();
        }
      })();
      const until = (pred: () => boolean, ms = 15_000) =>
        new Promise<void>((resolve, reject) => {
          if (pred()) return resolve();
          const t = setTimeout(() => reject(new Error(`timed out; got seqs ${rows.map((r) => r.seq).join(',')}`)), ms);
          notify = () => {
            if (pred()) {
              clearTimeout(t);
              resolve();
            }
          };
        });
      return { feed, rows, until };
    };

    it('delivers heads published on one bus to another, split below the payload limit', async () => {
      const a = makeBus(opened[0]);
      const b = makeBus(opened[0]);
      buses.push(a, b);
      const got: StreamHead[] = [];
      await b.start({ heads: (h) => got.push(...h), resync: () => undefined });
      await a.start({ heads: () => undefined, resync: () => undefined });
      // ~60 kB of stream names: more than one NOTIFY payload (8000 bytes).
      const heads = Array.from({ length: 300 }, (_, i) => ({ stream: `run:${'x'.repeat(190)}-${i}`, seq: i + 1 }));
      await a.publish(heads);
      const deadline = Date.now() + 10_000;
      while (got.length < heads.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(got).toEqual(heads);
    });

    it('gives a subscriber on replica B every change ingested on replica A, in order, once, and resumes', async () => {
      const A = await replica();
      const B = await replica();
      const run = `bus-${name}`;
      const ingestA = (events: unknown[]) =>
        ingestBatch(events, { store: A.store, catalog, maxBatchEvents: 5000, onCommitted: A.hub.published });
      const live = collect();
      live.feed.attach(await B.hub.join(runStream(run), null, live.feed));
      expect(B.hub.activeSubscriptions()).toBe(1);

      await ingestA([{ id: `${run}-b`, type: 'workflowBegin', run, workflow: 'bus' }]);
      // Concurrent batches of one run: their seqs must still follow commit order, gap-free.
      const batches = Array.from({ length: 12 }, (_, b) =>
        Array.from({ length: 20 }, (_, i) => ({
          id: `${run}-m${b}-${i}`,
          type: 'metric',
          run,
          name: `m${b % 3}`,
          value: i,
          step: b * 100 + i,
        })),
      );
      await Promise.all(batches.map((batch) => ingestA(batch)));
      await live.until(() => live.rows.length === 13);
      expect(live.rows.map((r) => r.seq)).toEqual(Array.from({ length: 13 }, (_, i) => i + 1));
      const points = live.rows.flatMap((r) => r.payload.metrics ?? []);
      expect(points).toHaveLength(240);
      expect(new Set(points.map((p) => `${p[0]}:${p[2]}`)).size).toBe(240);
      // A resent batch adds nothing to the log: exactly-once ingest, exactly-once delivery.
      await ingestA(batches[0]);

      // Resume on B from seq 4 while A keeps ingesting: the missed ones from the store, then live.
      const resumed = collect();
      resumed.feed.attach(await B.hub.join(runStream(run), 4, resumed.feed));
      const more = Array.from({ length: 6 }, (_, b) => [
        { id: `${run}-x${b}`, type: 'metric', run, name: 'm0', value: b, step: 9000 + b },
      ]);
      for (const batch of more) await ingestA(batch);
      await resumed.until(() => resumed.rows.length === 15);
      expect(resumed.rows.map((r) => r.seq)).toEqual(Array.from({ length: 15 }, (_, i) => i + 5));
      await live.until(() => live.rows.length === 19);
      expect(live.rows.map((r) => r.seq)).toEqual(Array.from({ length: 19 }, (_, i) => i + 1));

      await live.feed.return();
      await resumed.feed.return();
      expect(B.hub.activeSubscriptions()).toBe(0);
    });
  });
}
