import { buildSchema, parse, validate, specifiedRules } from 'graphql';
import { queryLimitsRule } from '../../src/query-limits';

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
