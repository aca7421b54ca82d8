import { parse } from 'graphql';
import { ROOT_FIELD_SCOPES, routeRule } from '../../src/auth/access-policy';
import { RateLimiter } from '../../src/auth/rate-limiter';
import { rootSelection } from '../../src/auth/root-fields';
import { newTokenSecret, parseToken, secretMatches } from '../../src/auth/token-secret';
import { validateTokenRequest } from '../../src/auth/token-input';
import { defaultGatewaySchema } from '../../src/schema/stitch';

describe('the access policy table', () => {
  const schema = defaultGatewaySchema();
  it.each([
    ['Query', schema.getQueryType()],
    ['Mutation', schema.getMutationType()],
    ['Subscription', schema.getSubscriptionType()],
  ] as const)('names a scope for every %s root field of the public schema', (type, root) => {
    const fields = Object.keys(root?.getFields() ?? {});
    const missing = fields.filter((f) => !(f in ROOT_FIELD_SCOPES[type]));
    expect(missing).toEqual([]);
  });

  it('names no root field the schema does not have (no stale entries)', () => {
    for (const [type, table] of Object.entries(ROOT_FIELD_SCOPES)) {
      const root =
        type === 'Query' ? schema.getQueryType() : type === 'Mutation' ? schema.getMutationType() : schema.getSubscriptionType();
      const fields = new Set(Object.keys(root?.getFields() ?? {}));
      const stale = Object.keys(table).filter((f) => !f.startsWith('__') && !fields.has(f));
      expect(stale).toEqual([]);
    }
  });

  it('gives every route a rule, and /healthz none', () => {
    expect(routeRule('GET', '/healthz')?.need).toBe('open');
    expect(routeRule('GET', '/prov/runs/x')?.need).toMatchObject({ scope: 'read', rate: 'expensive' });
    expect(routeRule('POST', '/provlake/retrospective-provenance')?.need).toMatchObject({ scope: 'ingest' });
    expect(routeRule('POST', '/retrospective-provenance')?.need).toMatchObject({ scope: 'ingest' });
    expect(routeRule('PUT', '/provlake/prospective-provenance')?.need).toMatchObject({ scope: 'register' });
    expect(routeRule('GET', '/provlake/provenance/api/data-stores/s1')?.need).toMatchObject({ scope: 'read' });
    expect(routeRule('POST', '/provlake/provenance/api/data-stores')?.need).toMatchObject({ scope: 'register' });
    expect(routeRule('GET', '/provlake/elsewhere')).toBeUndefined();
  });
});

describe('root fields of an operation', () => {
  it('sees fields through fragments and inline fragments, and picks the named operation', () => {
    const doc = parse(`
      fragment F on Query { studies { nodes { id } } ... on Query { lineage(start: "x") { depth } } }
      query A { ...F models { nodes { id } } }
      mutation B { ingest(events: []) { accepted } }`);
    expect(rootSelection(doc, 'A')).toEqual({ operation: 'query', fields: ['studies', 'lineage', 'models'] });
    expect(rootSelection(doc, 'B')).toEqual({ operation: 'mutation', fields: ['ingest'] });
    expect(rootSelection(doc, null)).toBeNull();
  });
});

describe('rate limiter', () => {
  it('allows a minute of requests at once, then answers how long to wait, and refills', () => {
    let now = 0;
    const rl = new RateLimiter({ ingestPerMinute: 3, expensivePerMinute: 0 }, () => now);
    expect([rl.take('t', 'ingest'), rl.take('t', 'ingest'), rl.take('t', 'ingest')]).toEqual([0, 0, 0]);
    expect(rl.take('t', 'ingest')).toBe(20);
    expect(rl.take('other', 'ingest')).toBe(0);
    expect(rl.take('t', 'expensive')).toBe(0); // 0: unlimited
    now = 20_000;
    expect(rl.take('t', 'ingest')).toBe(0);
    expect(rl.take('t', 'ingest')).toBeGreaterThan(0);
  });
});

describe('token text', () => {
  it('is pml_<id>_<secret>, 256 random bits, compared against its hash', () => {
    const t = newTokenSecret();
    const p = parseToken(t.token)!;
    expect(p.id).toBe(t.id);
    expect(secretMatches(p.secret, t.hash)).toBe(true);
    expect(
      secretMatches(
        p.secret.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')),
        t.hash,
      ),
    ).toBe(false);
    expect(parseToken('pml_zz_abc')).toBeNull();
    expect(newTokenSecret().token).not.toBe(t.token);
  });

  it('requests are checked: name, scopes, studies, expiry', () => {
    expect(() => validateTokenRequest({ name: 'x', scopes: ['write'] })).toThrow(/unknown scope write/);
    expect(() => validateTokenRequest({ name: 'x', scopes: [] })).toThrow(/scopes/);
    expect(() => validateTokenRequest({ name: 'bad name!', scopes: ['read'] })).toThrow(/name/);
    expect(() => validateTokenRequest({ name: 'x', scopes: ['read'], expiresInDays: 0 })).toThrow(/expiresInDays/);
    const now = new Date('2026-01-01T00:00:00Z');
    expect(validateTokenRequest({ name: 'x', scopes: ['read', 'read'], studies: ['s'], expiresInDays: 1 }, now)).toEqual({
      name: 'x',
      owner: null,
      scopes: ['read'],
      studies: ['s'],
      expiresAt: new Date('2026-01-02T00:00:00Z'),
    });
  });
});
