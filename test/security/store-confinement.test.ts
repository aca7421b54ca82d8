import fs from 'node:fs';
import path from 'node:path';
import { openUnderRoot } from '../../src/connectors/objects/confined-open';
import { ForbiddenLocationError } from '../../src/errors';
import {
  CURATION_SPEC,
  INGEST,
  REGISTER,
  SECRET,
  curationEvents,
  startAttackServer,
  startTrap,
  type AttackServer,
  type Trap,
} from './attack-server';

/**
 * Attack suite, store confinement (issue 11, item 5): data references a client ingests may name
 * anything, and are recorded as facts; what the server refuses is to read them anywhere but
 * inside a configured store's root. Over HTTP against the real server, with a secret file beside
 * the root and a loopback listener that no store points at.
 */
interface Ref {
  dataReference: {
    uri: string;
    object: { size: string } | null;
    extraction: { status: string; attempts: number; error: { code: string; message: string } | null } | null;
  } | null;
}
const REF = `query($uri: String!) { dataReference(uri: $uri, store: "files") { uri object { size } extraction { status attempts error { code message } } } }`;

describe('attack suite: data references and extraction stay inside the configured stores', () => {
  let s: AttackServer;
  let trap: Trap;

  beforeAll(async () => {
    trap = await startTrap();
    s = await startAttackServer();
    expect((await s.gql(REGISTER, { s: CURATION_SPEC })).body.errors).toBeUndefined();
  });
  afterAll(async () => {
    await s?.close();
    await trap?.close();
  });

  const hostile = () => [
    ['path traversal', `${s.root}/data/../../outside/secret.txt`],
    ['absolute path outside the root', s.secretFile],
    ['file:// URI', 'file:///etc/passwd'],
    ['symlink leaving the root', `${s.root}/escape/secret.txt`],
  ];

  it('records every hostile reference (a reference is a fact) and refuses to read any with FORBIDDEN_LOCATION', async () => {
    // extract: true as well, for the next test: the extraction worker must refuse them too.
    const refs = hostile().map(([, uri]) => ({ $ref: uri, store: 'files', extract: true }));
    const r = await s.gql<{ ingest: { accepted: number; rejected: number } }>(INGEST, { e: curationEvents('read-run', refs) });
    expect(r.body.data!.ingest).toMatchObject({ accepted: refs.length + 2, rejected: 0 });
    for (const [what, uri] of hostile()) {
      const res = await s.gql<Ref>(REF, { uri });
      expect(res.text).not.toContain(SECRET);
      expect(res.body.data!.dataReference).toMatchObject({ uri, object: null }); // the fact is kept
      const err = res.body.errors?.find((e) => e.path?.join('.') === 'dataReference.object');
      expect({ what, ext: err?.extensions }).toMatchObject({ what, ext: { code: 'FORBIDDEN_LOCATION', field: 'uri' } });
    }
    // Inside the root, the same route reads.
    const ok = `${s.root}/data/ok.txt`;
    await s.gql(INGEST, { e: curationEvents('ok-run', [{ $ref: ok, store: 'files' }]) });
    const res = await s.gql<Ref>(REF, { uri: ok });
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data!.dataReference!.object).toEqual({ size: '16' });
  });

  it('fails extraction of a hostile reference once, with FORBIDDEN_LOCATION, and never retries it', async () => {
    for (const [, uri] of hostile()) {
      const job = await waitForJob(uri);
      expect({ uri, job }).toMatchObject({
        uri,
        job: { status: 'FAILED', attempts: 1, error: { code: 'FORBIDDEN_LOCATION' } },
      });
      expect(job.error!.message).not.toContain(SECRET);
    }
  });

  it('sends nothing to a loopback port that is not a store: data references, unknown stores, ProvLake declarations', async () => {
    const before = trap.hits();
    const events = curationEvents('trap-run', [
      { $ref: `${trap.url}/x.sgy`, store: 'files', extract: true },
      { $ref: `${trap.url}/y.sgy`, store: trap.url, extract: true },
      { $ref: `${trap.url}/z.sgy` },
    ]);
    const r = await s.gql<{ ingest: { accepted: number } }>(INGEST, { e: events });
    expect(r.body.data!.ingest.accepted).toBe(5);
    const viaFiles = await s.gql<Ref>(REF, { uri: `${trap.url}/x.sgy` });
    expect(viaFiles.body.errors?.[0].extensions).toMatchObject({ field: 'uri' });
    expect(viaFiles.body.data!.dataReference!.object).toBeNull();
    const unknown = await s.gql<{ dataReference: { object: unknown } | null }>(
      `query($u: String!, $s: String!) { dataReference(uri: $u, store: $s) { object { size } } }`,
      { u: `${trap.url}/y.sgy`, s: trap.url },
    );
    expect(unknown.body.data?.dataReference?.object ?? null).toBeNull();
    // Not a location of a file-system store at all: refused once, like a path outside its root.
    expect(await waitForJob(`${trap.url}/x.sgy`)).toMatchObject({
      status: 'FAILED',
      attempts: 1,
      error: { code: 'FORBIDDEN_LOCATION' },
    });
    const other = await waitForJob(`${trap.url}/y.sgy`, trap.url);
    expect(other).toMatchObject({ status: 'FAILED', attempts: 1, error: { code: 'FORBIDDEN_LOCATION' } });
    // A ProvLake data store declaration is recorded as written, and never contacted.
    const declared = await fetch(`${s.base}/provlake/provenance/api/data-stores`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        id: 'trap-store',
        name: 'trap',
        type: 'HTTP',
        url: trap.url,
        host_address: `127.0.0.1:${trap.port}`,
      }),
    });
    expect(declared.status).toBe(201);
    // Control: the trap does count a connection when one is made; then nothing else was there.
    await fetch(trap.url).catch(() => undefined);
    await trap.waitFor(before + 1);
    expect(trap.hits()).toBe(before + 1);
  });

  it('checks the root again on the open file, not only when the path was resolved', async () => {
    // As if a directory on the path had been swapped for a symlink after resolve(): the open itself refuses.
    const realRoot = fs.realpathSync(s.root);
    await expect(openUnderRoot(path.join(s.root, 'escape', 'secret.txt'), realRoot, 'escape/secret.txt')).rejects.toBeInstanceOf(
      ForbiddenLocationError,
    );
    const inside = await openUnderRoot(path.join(s.root, 'data', 'ok.txt'), realRoot, 'data/ok.txt');
    await inside.close();
  });

  async function waitForJob(uri: string, store = 'files') {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const res = await s.gql<Ref>(
        `query($uri: String!, $s: String!) { dataReference(uri: $uri, store: $s) { uri extraction { status attempts error { code message } } } }`,
        { uri, s: store },
      );
      const job = res.body.data?.dataReference?.extraction;
      if (job && (job.status === 'FAILED' || job.status === 'DONE')) return job;
      if (Date.now() > deadline) throw new Error(`extraction of ${uri} did not end: ${res.text}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
});
