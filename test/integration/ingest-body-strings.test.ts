import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { loadConfig } from '../../src/config';
import { silentLogger } from '../../src/logger';
import { startServer, type RunningServer } from '../../src/server';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';

/**
 * Ingest skips the NUL and lone-surrogate checks of an event's strings when its POST body holds
 * no `\u` escape at all (src/ingest/json-limits.ts): such a body cannot carry either. These
 * bodies are written byte by byte, as a client would send them, to show that every way of
 * carrying one is still caught: an escape anywhere in the body makes every event checked; raw
 * bytes are either refused by JSON or decoded to U+FFFD.
 */
const INGEST = `mutation($e: [JSON!]!) { ingest(events: $e) { accepted rejected issues { index field message } } }`;

interface Answer {
  data?: { ingest: { accepted: number; rejected: number; issues: Array<{ index: number; field: string; message: string }> } };
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
}

describe('ingest of strings the store cannot hold, as raw request bodies (PostgreSQL, over HTTP)', () => {
  let db: TestDatabase;
  let dataDir: string;
  let server: RunningServer;
  let sql: pg.Pool;
  const post = async (body: string | Buffer): Promise<{ status: number; answer: Answer }> => {
    const res = await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    return { status: res.status, answer: (await res.json()) as Answer };
  };
  /** A body with the events written as given (JSON text, escapes as they are in it). */
  const bodyOf = (eventsJson: string) => `{"query":${JSON.stringify(INGEST)},"variables":{"e":[${eventsJson}]}}`;
  const metric = (id: string, name = 'loss') => `{"id":"${id}","type":"metric","run":"bs","name":"${name}","value":1}`;
  const stored = async (ids: string[]) =>
    (await sql.query<{ id: string }>(`SELECT id FROM ingested_event WHERE id = ANY($1) ORDER BY id`, [ids])).rows.map(
      (r) => r.id,
    );

  beforeAll(async () => {
    db = await createTestDatabase();
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'provml-bs-'));
    server = await startServer(
      loadConfig({ PROVML_DATABASE_URL: db.url, PROVML_DATA_DIR: dataDir, PROVML_DEMO: '0', PORT: '0' }),
      silentLogger,
    );
    sql = new pg.Pool({ connectionString: db.url, max: 1 });
    const reg = await post(
      JSON.stringify({
        query: 'mutation($s: WorkflowSpecInput!) { registerWorkflow(spec: $s) { version } }',
        variables: { s: { name: 'bs', transformations: [{ name: 'step' }] } },
      }),
    );
    expect(reg.answer.errors).toBeUndefined();
    const begin = await post(bodyOf(`{"id":"bs-wb","type":"workflowBegin","run":"bs","workflow":"bs"}`));
    expect(begin.answer.data!.ingest.accepted).toBe(1);
  });
  afterAll(async () => {
    await sql?.end();
    await server?.stop();
    await db?.drop();
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  let n = 0;
  it.each([
    ['a NUL escape in an id', metric('n1\\u0000x'), 'events[1].id', /NUL/],
    [
      'a NUL escape in a nested key',
      `{"id":"n2","type":"values","run":"bs","used":{"cfg":{"a\\u0000b":1}}}`,
      'events[1].used.cfg["a\\u0000b"]',
      /NUL/,
    ],
    ['a lone high surrogate escape', metric('n3', 'lo\\ud800ss'), 'events[1].name', /surrogate/],
    ['a lone low surrogate escape, upper case', metric('n4', '\\uDC00'), 'events[1].name', /surrogate/],
  ])('%s is rejected alone, the rest lands', async (_name, bad, field, message) => {
    n++;
    const { status, answer } = await post(bodyOf([metric(`ok-a-${n}`), bad, metric(`ok-b-${n}`)].join(',')));
    expect(status).toBe(200);
    expect(answer.data!.ingest).toMatchObject({ accepted: 2, rejected: 1 });
    expect(answer.data!.ingest.issues[0]).toMatchObject({ index: 1, field });
    expect(answer.data!.ingest.issues[0].message).toMatch(message);
  });

  it('a surrogate pair written as escapes (an emoji) lands as the character', async () => {
    const { answer } = await post(bodyOf(metric('pair-\\ud83d\\ude00')));
    expect(answer.data!.ingest).toMatchObject({ accepted: 1, rejected: 0 });
    expect(await stored(['pair-😀'])).toEqual(['pair-😀']);
  });

  it('a surrogate written as raw bytes (CESU-8) is decoded to U+FFFD: no lone surrogate reaches a string', async () => {
    const body = Buffer.concat([
      Buffer.from(bodyOf(metric('raw-@')).split('@')[0]),
      Buffer.from([0xed, 0xa0, 0x80]), // U+D800 encoded as if it were a character: not UTF-8
      Buffer.from(bodyOf(metric('raw-@')).split('@')[1]),
    ]);
    const { answer } = await post(body);
    expect(answer.data!.ingest).toMatchObject({ accepted: 1, rejected: 0 });
    const ids = (await sql.query<{ id: string }>(`SELECT id FROM ingested_event WHERE id LIKE 'raw-%'`)).rows.map((r) => r.id);
    expect(ids).toHaveLength(1);
    expect(ids[0]).toMatch(/^raw-\ufffd+$/);
  });

  it('a raw NUL byte in a string is not JSON: the body is refused with 400, nothing lands', async () => {
    const { status, answer } = await post(bodyOf(metric('rawnul-\u0000')));
    expect(status).toBe(400);
    expect(answer.errors![0].extensions?.code).toBe('BAD_REQUEST');
    expect((await sql.query(`SELECT id FROM ingested_event WHERE id LIKE 'rawnul%'`)).rows).toEqual([]);
  });
});
