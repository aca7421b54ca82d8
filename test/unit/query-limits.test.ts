import { buildSchema, parse, validate, specifiedRules } from 'graphql';
import { checkParseLimits, queryLimitsRule } from '../../src/query-limits';

const schema = buildSchema(`
  type Node { id: ID! child: Node name: String }
  type Query { node: Node a: Int b: Int c: Int }
`);
const limits = { maxDepth: 10, maxAliases: 10, maxRootFields: 10, maxSelections: 1000 };
const check = (q: string, l = limits) =>
  validate(schema, parse(q), [...specifiedRules, queryLimitsRule(l)]).map((e) => e.extensions?.limit);

const nest = (n: number): string => (n === 0 ? 'id' : `child { ${nest(n - 1)} }`);

describe('query limits', () => {
  it('passes a query within every limit', () => {
    expect(check(`{ node { ${nest(8)} } }`)).toEqual([]);
  });

  // Depth counts field levels: node + 9 x child + id = 11.
  it('refuses depth 11 with LIMIT_EXCEEDED', () => {
    const errs = validate(schema, parse(`{ node { ${nest(9)} } }`), [queryLimitsRule(limits)]);
    expect(errs[0].extensions).toMatchObject({ code: 'LIMIT_EXCEEDED', limit: 'depth', max: 10, actual: 11 });
  });

  it('counts depth through fragments', () => {
    expect(check(`query { node { ...F } } fragment F on Node { ${nest(9)} }`)).toContain('depth');
  });

  it('refuses too many aliases and root fields', () => {
    const aliases = Array.from({ length: 11 }, (_, i) => `x${i}: a`).join(' ');
    const res = check(`{ ${aliases} }`);
    expect(res).toContain('aliases');
    expect(res).toContain('root fields');
  });

  it('refuses too many selections', () => {
    expect(check(`{ node { id name } }`, { ...limits, maxSelections: 2 })).toContain('selections');
  });

  it('lets introspection through', () => {
    const deep = 'type { name ofType { name ofType { name ofType { name ofType { name ofType { name ofType { name } } } } } } }';
    expect(check(`{ __schema { types { name fields { name ${deep} } } } }`)).toEqual([]);
  });
});

describe('parse-time limits (before graphql-js parses)', () => {
  const parseLimits = { maxDocumentBytes: 100_000, maxTokens: 10_000 };

  it('refuses a document over the byte limit with 413 and names the limit', () => {
    const big = `{ __typename ${'#'.repeat(100_001)}\n}`;
    expect(checkParseLimits(big, parseLimits)).toMatchObject({
      status: 413,
      error: { extensions: { code: 'LIMIT_EXCEEDED', limit: 'document bytes', max: 100_000 } },
    });
  });

  it('counts UTF-8 bytes, not characters', () => {
    const q = `{ __typename } # ${'é'.repeat(60_000)}`; // 60 000 characters, 120 000 bytes
    expect(q.length).toBeLessThan(100_000);
    expect(checkParseLimits(q, parseLimits)?.error.extensions).toMatchObject({ limit: 'document bytes' });
  });

  it('refuses 10 000 aliases on the token count, under the byte limit', () => {
    const aliases = `{ ${Array.from({ length: 10_000 }, (_, i) => `a${i}:id`).join(' ')} }`;
    expect(Buffer.byteLength(aliases)).toBeLessThan(100_000);
    expect(checkParseLimits(aliases, parseLimits)).toMatchObject({
      status: 400,
      error: { extensions: { code: 'LIMIT_EXCEEDED', limit: 'tokens', max: 10_000 } },
    });
  });

  it('refuses nesting past 200 levels before the recursive parser can overflow its stack', () => {
    const nest = (n: number) => `{ ${'a { '.repeat(n)}b${' }'.repeat(n)} }`;
    expect(checkParseLimits(nest(199), parseLimits)).toBeNull();
    expect(checkParseLimits(nest(200), parseLimits)?.error.extensions).toMatchObject({ limit: 'nesting', max: 200 });
  });

  it('lets ordinary documents and syntax errors through (the parser reports those)', () => {
    expect(checkParseLimits('{ study(id: "s") { id name } }', parseLimits)).toBeNull();
    expect(checkParseLimits('{ "unterminated', parseLimits)).toBeNull();
    expect(checkParseLimits(undefined, parseLimits)).toBeNull();
  });
});
