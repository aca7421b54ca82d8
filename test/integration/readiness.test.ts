import { openProvenanceStore, type OpenedStore } from '../../src/connectors/provenance/open-provenance-store';
import { silentLogger } from '../../src/logger';
import { checkReadiness, readinessBody } from '../../src/ops/readiness';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';

// The readiness verdict over a real provenance store, for the states a server process cannot be
// put in on demand: a worker whose poll fails, a drain under way.

describe('checkReadiness', () => {
  let db: TestDatabase;
  let opened: OpenedStore;
  beforeAll(async () => {
    db = await createTestDatabase('provml_ready');
    opened = await openProvenanceStore({ databaseUrl: db.url, dataDir: '/nonexistent', poolSize: 2, log: silentLogger });
  });
  afterAll(async () => {
    await opened?.close();
    await db?.drop();
  });

  const check = (workers: Array<{ name: string; running: boolean; error: string | null }>, draining = false) =>
    checkReadiness({ store: opened.store, backend: 'server', workers: () => workers, draining: () => draining });

  it('is ready when the store answers and the workers poll', async () => {
    const report = await check([{ name: 'extraction', running: true, error: null }]);
    expect(report.ready).toBe(true);
    expect(report.checks).toEqual([
      expect.objectContaining({ name: 'provenance', kind: 'provenance', backend: 'server', state: 'up' }),
      expect.objectContaining({ name: 'extraction', kind: 'worker', state: 'up' }),
    ]);
    expect(readinessBody(report, false)).toEqual({ status: 'ready' });
  });

  it('names a worker whose last poll failed, a stopped worker, and a drain', async () => {
    const report = await check(
      [
        { name: 'extraction', running: true, error: 'connection terminated' },
        { name: 'publish', running: false, error: null },
      ],
      true,
    );
    expect(report.ready).toBe(false);
    expect(report.checks.filter((c) => c.state === 'down')).toEqual([
      expect.objectContaining({ name: 'extraction', error: 'connection terminated' }),
      expect.objectContaining({ name: 'publish', backend: 'stopped', error: 'stopped' }),
      expect.objectContaining({ name: 'server', error: 'draining' }),
    ]);
    // Without details the body says only that it is not ready.
    expect(readinessBody(report, false)).toEqual({ status: 'unavailable' });
  });
});
