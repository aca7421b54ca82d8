import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { parkedCommand } from '../../src/commands/parked-command';
import { loadConfig } from '../../src/config';
import { silentLogger } from '../../src/logger';
import { startServer, type RunningServer } from '../../src/server';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { runCli } from '../helpers/run-cli';
import { TextSink } from '../helpers/text-sink';

/**
 * Parked events of a run that never begins can be deleted (`provml parked delete`, GraphQL
 * `deleteParkedEvents`), by run, age or id, a dry run unless asked; events released from parking
 * count as accepted in /metrics, those rejected at release (with their task's begin too) as rejected. A real server (in process, over HTTP) on a real PostgreSQL.
 */
const INGEST = `mutation($e: [JSON!]!) { ingest(events: $e) { accepted rejected parked } }`;
const DELETE = `mutation($run: String, $old: Int, $ids: [String!], $dry: Boolean!) {
  deleteParkedEvents(run: $run, olderThanSeconds: $old, eventIds: $ids, dryRun: $dry) {
    dryRun matched deleted events { eventId status }
  }
}`;
interface Answer<T> {
  data?: T;
  errors?: Array<{ message: string; extensions?: { code?: string; field?: string } }>;
}
type Deleted = { deleteParkedEvents: { dryRun: boolean; matched: number; deleted: number; events: Array<{ eventId: string }> } };

// A rank's events before its run's begin: a task's begin, a metric, the task's end (which names its task only).
const orphan = (run: string) => [
  { id: `${run}.1`, type: 'taskBegin', task: `${run}.t`, run, transformation: 'step', time: 1000 },
  { id: `${run}.2`, type: 'metric', run, task: `${run}.t`, name: 'loss', value: 0.5, step: 0, time: 1100 },
  { id: `${run}.3`, type: 'taskEnd', task: `${run}.t`, status: 'FINISHED', time: 1200 },
];

describe('deleting parked events; released and rejected events are counted (PostgreSQL, over HTTP)', () => {
  let db: TestDatabase;
  let dataDir: string;
  let server: RunningServer;
  let sql: pg.Pool;
  const post = async <T>(query: string, variables: Record<string, unknown> = {}): Promise<Answer<T>> => {
    const res = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query, variables }),
    });
    return (await res.json()) as Answer<T>;
  };
  const parkedIds = async () =>
    (await sql.query<{ event_id: string }>(`SELECT event_id FROM parked_event ORDER BY seq`)).rows.map((r) => r.event_id);
  const counted = async (outcome: 'accepted' | 'rejected') => {
    const text = await (await fetch(`${server.url.replace(/\/graphql$/, '')}/metrics`)).text();
    return Number(new RegExp(`^provml_ingest_events_total\\{outcome="${outcome}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
  };
  const accepted = () => counted('accepted');
  const cli = async (args: string[]) => {
    const out = new TextSink();
    const err = new TextSink();
    const code = await runCli('parked', parkedCommand, [...args, '--url', server.url], out, err, {});
    return { code, out: out.text, err: err.text };
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'provml-parked-delete-'));
    const config = loadConfig({
      PROVML_DATABASE_URL: db.url,
      PROVML_DATA_DIR: dataDir,
      PROVML_DEMO: '0',
      PORT: '0',
      PROVML_PARKED_INTERVAL_MS: '100',
    });
    server = await startServer(config, silentLogger);
    sql = new pg.Pool({ connectionString: db.url, max: 1 });
    const reg = await post(
      `mutation { registerWorkflow(spec: { name: "wf", transformations: [{ name: "step" }] }) { version } }`,
    );
    expect(reg.errors).toBeUndefined();
  });
  afterAll(async () => {
    await sql?.end();
    await server?.stop();
    await db?.drop();
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  it('by run: a dry run by default, then deleted; other runs keep theirs', async () => {
    for (const run of ['never', 'other']) {
      const r = await post<{ ingest: { parked: number } }>(INGEST, { e: orphan(run) });
      expect(r.data?.ingest).toMatchObject({ parked: 3, rejected: 0 });
    }
    const dry = await post<Deleted>(DELETE, { run: 'never', dry: true });
    expect(dry.data?.deleteParkedEvents).toMatchObject({ dryRun: true, matched: 3, deleted: 0 });
    // The taskEnd names no run: it goes with the run of the parked begin of its task.
    expect(dry.data!.deleteParkedEvents.events.map((e) => e.eventId)).toEqual(['never.1', 'never.2', 'never.3']);
    expect(await parkedIds()).toHaveLength(6);
    const done = await post<Deleted>(DELETE, { run: 'never', dry: false });
    expect(done.data?.deleteParkedEvents).toMatchObject({ dryRun: false, matched: 3, deleted: 3 });
    expect(await parkedIds()).toEqual(['other.1', 'other.2', 'other.3']);
  });

  it('by age and by id; filters given together must all match', async () => {
    await sql.query(`UPDATE parked_event SET parked_at = now() - interval '2 hours' WHERE event_id = 'other.1'`);
    const both = await post<Deleted>(DELETE, { old: 3600, ids: ['other.2'], dry: false });
    expect(both.data?.deleteParkedEvents).toMatchObject({ matched: 0, deleted: 0 });
    const old = await post<Deleted>(DELETE, { old: 3600, dry: false });
    expect(old.data?.deleteParkedEvents).toMatchObject({ matched: 1, deleted: 1, events: [{ eventId: 'other.1' }] });
    const byId = await post<Deleted>(DELETE, { ids: ['other.2', 'no-such'], dry: false });
    expect(byId.data?.deleteParkedEvents).toMatchObject({ matched: 1, deleted: 1 });
    expect(await parkedIds()).toEqual(['other.3']);
  });

  it('refuses a deletion that names nothing, or a bad filter, with the field', async () => {
    const none = await post<Deleted>(DELETE, { dry: false });
    expect(none.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'run' });
    const negative = await post<Deleted>(DELETE, { old: -1, dry: false });
    expect(negative.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'olderThanSeconds' });
    const empty = await post<Deleted>(DELETE, { ids: [], dry: false });
    expect(empty.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'eventIds' });
    expect(await parkedIds()).toEqual(['other.3']);
  });

  it('`provml parked delete`: a dry run without --yes, then deletes; usage errors exit 2', async () => {
    await post(INGEST, { e: orphan('cli') });
    const dry = await cli(['delete', '--run', 'cli']);
    expect(dry).toMatchObject({ code: 0, err: '' });
    expect(dry.out).toMatch(/^dry run: 3 parked events would be deleted \(again with --yes to delete\)\n/);
    expect(dry.out).toMatch(/PARKED\s+cli\.3 {2}waits for task cli\.t\n$/);
    expect(await parkedIds()).toContain('cli.1');
    const yes = await cli(['delete', '--run', 'cli', '--yes', '--json']);
    expect(yes.code).toBe(0);
    expect(JSON.parse(yes.out)).toMatchObject({ dryRun: false, matched: 3, deleted: 3 });
    const aged = await cli(['delete', '--older-than', '7d']);
    expect(aged).toMatchObject({ code: 0, out: expect.stringMatching(/^dry run: 0 parked events/) });
    expect((await cli(['delete'])).code).toBe(2);
    expect((await cli(['delete', '--older-than', 'soon'])).code).toBe(2);
    expect((await cli(['--run', 'x'])).code).toBe(2);
    expect((await cli(['purge'])).code).toBe(2);
    expect(await parkedIds()).toEqual(['other.3']);
  });

  it('events released from parking count as accepted in provml_ingest_events_total', async () => {
    const before = await accepted();
    const parked = await post<{ ingest: { parked: number } }>(INGEST, { e: orphan('late') });
    expect(parked.data?.ingest.parked).toBe(3);
    expect(await accepted()).toBe(before); // parked, not yet accepted
    const begin = await post<{ ingest: { accepted: number } }>(INGEST, {
      e: [{ id: 'late.0', type: 'workflowBegin', run: 'late', workflow: 'wf', time: 900 }],
    });
    expect(begin.data?.ingest.accepted).toBe(1);
    for (let i = 0; i < 100 && (await parkedIds()).some((id) => id.startsWith('late.')); i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(await parkedIds()).toEqual(['other.3']);
    // The begin in the request, and the three parked events once written.
    expect(await accepted()).toBe(before + 4);
  });

  it('events rejected with the parked begin of their task count as rejected in provml_ingest_events_total', async () => {
    const before = { accepted: await accepted(), rejected: await counted('rejected') };
    // The begin names a step the workflow lacks: once the run lands it is rejected, and so are the
    // values naming its task (by the pass) and its end (waiting for the task: in SQL).
    const events = [
      { id: 'doomed.1', type: 'taskBegin', task: 'doomed.t', run: 'doomed', transformation: 'no-such-step', time: 1000 },
      { id: 'doomed.2', type: 'values', run: 'doomed', task: 'doomed.t', used: { lr: 0.1 }, time: 1100 },
      { id: 'doomed.3', type: 'taskEnd', task: 'doomed.t', status: 'FINISHED', time: 1200 },
    ];
    expect((await post<{ ingest: { parked: number } }>(INGEST, { e: events })).data?.ingest.parked).toBe(3);
    await post(INGEST, { e: [{ id: 'doomed.0', type: 'workflowBegin', run: 'doomed', workflow: 'wf', time: 900 }] });
    const rows = async () =>
      (
        await sql.query<{ event_id: string; status: string; field: string }>(
          `SELECT event_id, status, issue->>'field' AS field FROM parked_event WHERE event_id LIKE 'doomed.%' ORDER BY seq`,
        )
      ).rows;
    for (let i = 0; i < 100 && (await rows()).some((r) => r.status === 'PARKED'); i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(await rows()).toEqual([
      { event_id: 'doomed.1', status: 'REJECTED', field: 'events[0].transformation' },
      { event_id: 'doomed.2', status: 'REJECTED', field: expect.stringMatching(/^events\[\d+\]\.task$/) },
      { event_id: 'doomed.3', status: 'REJECTED', field: 'task' }, // rejected with its task
    ]);
    expect(await counted('rejected')).toBe(before.rejected + 3);
    expect(await accepted()).toBe(before.accepted + 1); // the run's begin only
  });
});
