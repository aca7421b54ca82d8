import WebSocket from 'ws';
import { subscribe } from '../helpers/live-client';
import { CURATION_SPEC, INGEST, REGISTER, curationEvents, startAttackServer, type AttackServer } from './attack-server';

/**
 * Attack suite, the requests themselves (issue 11, item 5): documents too large, too many
 * tokens, too deep; and what another web site can make a visitor's browser send (forms, simple
 * GETs, fetches with a foreign Origin). Each is refused with a typed error and runs nothing:
 * every forged mutation names a run that is then looked up and must not exist.
 */
const EXISTS = `query($id: String!) { execution(id: $id) { id } }`;
const ALLOWED = 'https://app.example.org';

describe('attack suite: oversized documents and cross-site requests are refused', () => {
  let s: AttackServer;
  beforeAll(async () => {
    s = await startAttackServer({ env: { PROVML_CORS_ORIGINS: ALLOWED } });
    expect((await s.gql(REGISTER, { s: CURATION_SPEC })).body.errors).toBeUndefined();
  });
  afterAll(async () => {
    await s?.close();
  });

  const post = (body: string, headers: Record<string, string>, route = '/graphql') =>
    fetch(`${s.base}${route}`, { method: 'POST', headers, body });
  const codeOf = async (res: Response) =>
    ((await res.json()) as { errors?: Array<{ extensions?: Record<string, unknown> }> }).errors?.[0]?.extensions;
  const ran = async (run: string) => (await s.gql<{ execution: unknown }>(EXISTS, { id: run })).body.data?.execution ?? null;
  const ingestDoc = (run: string) => JSON.stringify({ query: INGEST, variables: { e: curationEvents(run, []) } });

  describe('parse-time and validation limits', () => {
    it('refuses a document over the byte limit with 413 before parsing it', async () => {
      const res = await post(JSON.stringify({ query: `{ __typename }\n#${'x'.repeat(200_000)}` }), {
        'content-type': 'application/json',
      });
      expect(res.status).toBe(413);
      expect(await codeOf(res)).toMatchObject({ code: 'LIMIT_EXCEEDED', limit: 'document bytes', max: 100_000 });
    });

    it('refuses 10 000 aliases on the token count, before validation walks them', async () => {
      const query = `{ ${Array.from({ length: 10_000 }, (_, i) => `a${i}:x`).join(' ')} }`;
      const res = await post(JSON.stringify({ query }), { 'content-type': 'application/json' });
      expect(res.status).toBe(400);
      expect(await codeOf(res)).toMatchObject({ code: 'LIMIT_EXCEEDED', limit: 'tokens', max: 10_000 });
    });

    it('refuses a deeply nested document with a typed error, shallow or extreme', async () => {
      const nest = (n: number) => `{ studies { nodes { ${'experiments { nodes { '.repeat(n)}id${' } }'.repeat(n)} } } }`;
      const deep = await s.gql(`query ${nest(6)}`);
      expect(deep.body.errors?.[0].extensions).toMatchObject({ code: 'LIMIT_EXCEEDED', limit: 'depth' });
      // 1 100 levels fit under the token limit but overflow graphql-js's recursive parser: refused on nesting first.
      const thousand = await s.gql(`query ${nest(1100)}`);
      expect(thousand.status).toBe(400);
      expect(thousand.body.errors?.[0].extensions).toMatchObject({ code: 'LIMIT_EXCEEDED', limit: 'nesting', max: 200 });
      // Thousands of levels: still a typed refusal (tokens), never a crash of the parser.
      const extreme = await s.gql(`query ${nest(2000)}`);
      expect(extreme.body.errors?.[0].extensions).toMatchObject({ code: 'LIMIT_EXCEEDED' });
    });
  });

  describe('cross-site requests', () => {
    it('runs no mutation sent as a form, multipart, text/plain or without a content type (415)', async () => {
      const forged: Array<[string, string, Record<string, string>]> = [
        [
          'form',
          new URLSearchParams({ query: INGEST, variables: '{}' }).toString(),
          { 'content-type': 'application/x-www-form-urlencoded' },
        ],
        [
          'multipart',
          `--b\r\ncontent-disposition: form-data; name="q"\r\n\r\n${ingestDoc('csrf-multipart')}\r\n--b--\r\n`,
          { 'content-type': 'multipart/form-data; boundary=b' },
        ],
        ['text/plain', ingestDoc('csrf-text'), { 'content-type': 'text/plain;charset=UTF-8' }],
        ['no content type', ingestDoc('csrf-none'), {}],
      ];
      for (const [what, body, headers] of forged) {
        const res = await post(body, headers);
        expect({ what, status: res.status, ext: await codeOf(res) }).toEqual({
          what,
          status: 415,
          ext: { code: 'UNSUPPORTED_MEDIA_TYPE' },
        });
      }
      for (const run of ['csrf-multipart', 'csrf-text', 'csrf-none']) expect(await ran(run)).toBeNull();
      // Control: the same document as JSON does run.
      expect((await post(ingestDoc('csrf-json'), { 'content-type': 'application/json' })).status).toBe(200);
      expect(await ran('csrf-json')).toEqual({ id: 'run:csrf-json' });
    });

    it('refuses a foreign Origin even with a JSON body, and a cross-site fetch without one (403)', async () => {
      const foreign = await post(ingestDoc('csrf-origin'), {
        'content-type': 'application/json',
        origin: 'https://evil.example',
      });
      expect(foreign.status).toBe(403);
      expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
      expect(await codeOf(foreign)).toEqual({ code: 'FORBIDDEN_ORIGIN' });
      const nullOrigin = await post(ingestDoc('csrf-null'), { 'content-type': 'application/json', origin: 'null' });
      expect(nullOrigin.status).toBe(403);
      const noOrigin = await post(ingestDoc('csrf-site'), { 'content-type': 'application/json', 'sec-fetch-site': 'cross-site' });
      expect(noOrigin.status).toBe(403);
      for (const run of ['csrf-origin', 'csrf-null', 'csrf-site']) expect(await ran(run)).toBeNull();
    });

    it('never runs a mutation from a GET, with or without the preflight header', async () => {
      const q = encodeURIComponent(
        `mutation { ingest(events: [{id: "g1", type: "workflowBegin", run: "csrf-get", workflow: "curation"}]) { accepted } }`,
      );
      const simple = await fetch(`${s.base}/graphql?query=${q}`);
      expect(simple.status).toBe(400); // Apollo's CSRF prevention: a simple GET needs a preflight header
      expect(await codeOf(simple)).toMatchObject({ code: 'BAD_REQUEST' });
      const preflighted = await fetch(`${s.base}/graphql?query=${q}`, { headers: { 'apollo-require-preflight': 'true' } });
      expect(preflighted.status).toBe(405);
      expect(await ran('csrf-get')).toBeNull();
    });

    it('guards the custom routes too: ProvLake POSTs need JSON and a trusted origin', async () => {
      const declare = (id: string) => JSON.stringify({ id, name: id, type: 'HTTP' });
      const form = await post(declare('csrf-store'), { 'content-type': 'text/plain' }, '/provlake/provenance/api/data-stores');
      expect(form.status).toBe(415);
      const foreign = await post(
        declare('csrf-store'),
        { 'content-type': 'application/json', origin: 'https://evil.example' },
        '/provlake/provenance/api/data-stores',
      );
      expect(foreign.status).toBe(403);
      const retro = await post('[]', { 'content-type': 'text/plain' }, '/provlake/retrospective-provenance');
      expect(retro.status).toBe(415);
      expect((await fetch(`${s.base}/provlake/provenance/api/data-stores/csrf-store`)).status).toBe(404);
      // Control: the library's own request (JSON, no Origin) is answered.
      const ok = await post(
        declare('csrf-store'),
        { 'content-type': 'application/json' },
        '/provlake/provenance/api/data-stores',
      );
      expect(ok.status).toBe(201);
    });

    it('keeps CORS closed by default and open to the configured origins only', async () => {
      const preflight = (origin: string) =>
        fetch(`${s.base}/graphql`, {
          method: 'OPTIONS',
          headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
        });
      const evil = await preflight('https://evil.example');
      expect(evil.status).toBe(403);
      expect(evil.headers.get('access-control-allow-origin')).toBeNull();
      const app = await preflight(ALLOWED);
      expect(app.status).toBe(204);
      expect(app.headers.get('access-control-allow-origin')).toBe(ALLOWED);
      expect(app.headers.get('access-control-allow-headers')).toContain('content-type');
      const call = await post(JSON.stringify({ query: '{ __typename }' }), {
        'content-type': 'application/json',
        origin: ALLOWED,
      });
      expect(call.status).toBe(200);
      expect(call.headers.get('access-control-allow-origin')).toBe(ALLOWED);
      // A page this server serves itself (same host) needs no allow-list entry.
      const own = await post(JSON.stringify({ query: '{ __typename }' }), { 'content-type': 'application/json', origin: s.base });
      expect(own.status).toBe(200);
      // Clients that are not browsers send no Origin and are unaffected.
      expect((await s.gql('{ __typename }')).status).toBe(200);
    });

    it('refuses a WebSocket from a foreign origin (cross-site hijacking) and an oversized subscription', async () => {
      const q = 'subscription { runs(study: "s") { run } }';
      const open = (origin: string) =>
        new Promise<number | string>((resolve) => {
          const ws = new WebSocket(`${s.base.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws', { headers: { origin } });
          ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
          ws.once('open', () => {
            ws.close();
            resolve('open');
          });
          ws.once('error', () => undefined);
        });
      expect(await open('https://evil.example')).toBe(403);
      expect(await open(ALLOWED)).toBe('open');
      await expect(subscribe(`${s.base}/graphql`, q, {}, {})).resolves.toBeDefined();
      const huge = await subscribe(`${s.base}/graphql`, `${q}\n#${'x'.repeat(200_000)}`);
      await huge.until(() => huge.errors.length > 0, 10_000);
      expect(JSON.stringify(huge.errors)).toMatch(/LIMIT_EXCEEDED/);
      huge.close();
    });
  });
});
