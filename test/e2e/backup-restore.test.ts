import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gql, runProvml, startServerProcess, type ServerProcess } from '../helpers/server-process';

// `provml backup` / `provml restore` of the local store, as real processes on real PostgreSQL:
// the restored store gives the same answers over GraphQL; nothing is ever overwritten; and a
// cluster of another PostgreSQL major version is refused, not started.

const INGEST = `mutation($e: [JSON!]!) { ingest(events: $e) { accepted } }`;
const REGISTER = `mutation($s: WorkflowSpecInput!) { registerWorkflow(spec: $s) { version } }`;
const ANSWERS = `{ execution(id: "backup-run") { id status tasks(first: 100) { nodes { id } } }
  task(id: "root") { children(first: 500) { nodes { id } } } }`;

describe('provml backup and restore of the local store', () => {
  let tmp: string;
  const started: ServerProcess[] = [];
  const serve = async (dataDir: string) => {
    const s = await startServerProcess({ PROVML_DATA_DIR: dataDir, PROVML_DEMO: '0' });
    started.push(s);
    return s;
  };
  const provml = (args: string[], dataDir: string) => runProvml(args, { PROVML_DATA_DIR: dataDir, PROVML_DEMO: '0' });
  beforeAll(async () => {
    tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'provml-backup-'));
  });
  afterAll(async () => {
    for (const s of started.splice(0)) await s.stop();
    await fsp.rm(tmp, { recursive: true, force: true });
  });

  it('backs up a stopped store, restores it into a fresh data directory, same answers; refuses to overwrite', async () => {
    const source = path.join(tmp, 'source');
    const server = await serve(source);
    expect(
      (await gql(server.url, REGISTER, { s: { name: 'backup', transformations: [{ name: 'step' }] } })).body.errors,
    ).toBeUndefined();
    const events = [
      { id: 'b0', type: 'workflowBegin', run: 'backup-run', workflow: 'backup' },
      { id: 'b1', type: 'taskBegin', task: 'root', run: 'backup-run', transformation: 'step' },
      ...Array.from({ length: 40 }, (_, i) => ({
        id: `b-${i}`,
        type: 'taskBegin',
        task: `t${i}`,
        run: 'backup-run',
        parent: 'root',
        transformation: 'step',
      })),
    ];
    expect((await gql<{ ingest: { accepted: number } }>(server.url, INGEST, { e: events })).body.data!.ingest.accepted).toBe(42);
    const before = (await gql<{ task: { children: { nodes: unknown[] } } }>(server.url, ANSWERS)).body;
    expect(before.errors).toBeUndefined();
    expect(before.data!.task.children.nodes).toHaveLength(40);

    // While the server holds the store: refused, and no DEST left behind.
    const early = path.join(tmp, 'early');
    const busy = await provml(['backup', early], source);
    expect(busy.code).toBe(1);
    expect(busy.output).toContain('is in use by provml process');
    expect(fs.existsSync(early)).toBe(false);

    await server.stop();
    const dest = path.join(tmp, 'backup-1');
    const made = await provml(['backup', dest], source);
    expect({ code: made.code, output: made.output }).toEqual({ code: 0, output: expect.stringContaining(`copied to ${dest}`) });
    expect(JSON.parse(fs.readFileSync(path.join(dest, 'provml-backup.json'), 'utf8'))).toMatchObject({
      format: 1,
      postgresMajor: '18',
    });
    expect(fs.existsSync(path.join(dest, 'postgres', 'postmaster.pid'))).toBe(false);
    expect(fs.readdirSync(tmp).filter((f) => f.includes('.partial'))).toEqual([]);

    // Never overwrites a backup.
    const again = await provml(['backup', dest], source);
    expect(again.code).toBe(1);
    expect(again.output).toContain(`${dest} exists; a backup never overwrites`);

    // Restore into a fresh data directory: the same answers over GraphQL.
    const restored = path.join(tmp, 'restored');
    const r = await provml(['restore', dest], restored);
    expect({ code: r.code, output: r.output }).toEqual({ code: 0, output: expect.stringContaining(`restored into ${restored}`) });
    const back = await serve(restored);
    expect((await gql(back.url, ANSWERS)).body).toEqual(before);
    await back.stop();

    // A restore never replaces a store.
    const twice = await provml(['restore', dest], restored);
    expect(twice.code).toBe(1);
    expect(twice.output).toContain('already holds a local store');
    // The original still serves its own store.
    const original = await serve(source);
    expect((await gql(original.url, ANSWERS)).body).toEqual(before);
    await original.stop();
  }, 240_000);

  it('refuses a cluster directory of another PostgreSQL major version (PG_VERSION), untouched', async () => {
    const dataDir = path.join(tmp, 'old-major');
    const cluster = path.join(dataDir, 'postgres');
    fs.mkdirSync(path.join(cluster, 'base'), { recursive: true });
    fs.writeFileSync(path.join(cluster, 'PG_VERSION'), '15\n');
    const before = fs.readdirSync(cluster).sort();
    const r = await provml(['serve'], dataDir);
    expect(r.code).toBe(1);
    expect(r.served).toBe(false);
    expect(r.output).toContain(`the local PostgreSQL cluster ${cluster} was made by PostgreSQL 15 (its PG_VERSION)`);
    expect(r.output).toContain('this provml ships PostgreSQL 18');
    expect(fs.readdirSync(cluster).sort()).toEqual(before);
    expect(fs.readFileSync(path.join(cluster, 'PG_VERSION'), 'utf8')).toBe('15\n');
    // A backup of another major version is refused by restore the same way.
    const oldBackup = path.join(tmp, 'old-backup');
    fs.mkdirSync(path.join(oldBackup, 'postgres'), { recursive: true });
    fs.writeFileSync(path.join(oldBackup, 'postgres', 'PG_VERSION'), '15\n');
    fs.writeFileSync(path.join(oldBackup, 'provml-backup.json'), JSON.stringify({ format: 1, postgresMajor: '15' }));
    const restore = await provml(['restore', oldBackup], path.join(tmp, 'fresh'));
    expect(restore.code).toBe(1);
    expect(restore.output).toContain('was made by PostgreSQL 15');
  }, 120_000);
});
