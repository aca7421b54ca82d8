import { parseRequestBody } from '../../src/ingest/request-body';

const INGEST = 'mutation($e: [JSON!]!) { ingest(events: $e) { accepted } }';
const body = (variables: string, query = INGEST) => `{"query":${JSON.stringify(query)},"variables":${variables}}`;

describe('parseRequestBody (POST /graphql)', () => {
  it('reads plain JSON as JSON.parse does, floats of 17 digits included', () => {
    const text = body('{"e":[{"value":0.30000000000000004,"t":1700000000123}]}');
    expect(parseRequestBody(text)).toEqual({ parsed: JSON.parse(text), warnings: [] });
  });

  it("keeps an ingest's long integers and NaN as written, whatever its variable is named, and warns", () => {
    const out = parseRequestBody(body('{"batch":[{"seed":13249385781391849832,"loss":NaN,"ok":1}]}'));
    expect((out.parsed as { variables: unknown }).variables).toEqual({
      batch: [{ seed: '13249385781391849832', loss: 'NaN', ok: 1 }],
    });
    expect(out.warnings.map((w) => w.type)).toEqual(['NON_FINITE_NUMBER', 'BIG_INTEGER']);
  });

  it('leaves other operations as JSON.parse reads them, in a batch too', () => {
    const q = '{ executions(first: 1) { nodes { id } } }';
    const text = `[${body('{"n":13249385781391849832}', q)},${body('{"e":[{"seed":13249385781391849832}]}')}]`;
    const out = parseRequestBody(text);
    const [first, second] = out.parsed as Array<{ variables: Record<string, unknown> }>;
    expect(first.variables.n).toBe(Number('13249385781391849832')); // rounded, as JSON.parse reads it
    expect(second.variables.e).toEqual([{ seed: '13249385781391849832' }]);
    expect(out.warnings).toHaveLength(1);
  });

  it('finds a long integer of an ingest beside numbers as large that are exact (1e300, 2^53), nested too', () => {
    const out = parseRequestBody(
      body('{"e":[{"v":0.30000000000000004,"big":1e300,"p53":9007199254740992,"used":{"cfg":[{"seed":9007199254740993}]}}]}'),
    );
    expect((out.parsed as { variables: unknown }).variables).toEqual({
      e: [{ v: 0.30000000000000004, big: 1e300, p53: 9007199254740992, used: { cfg: [{ seed: '9007199254740993' }] } }],
    });
    expect(out.warnings.map((w) => w.type)).toEqual(['BIG_INTEGER']);
    // Numbers as large that are not rounded integers: read as JSON.parse reads them, no warning.
    const plain = body('{"e":[{"big":-1e300,"p53":9007199254740992,"deep":[[[[1.5e20]]]]}]}');
    expect(parseRequestBody(plain)).toEqual({ parsed: JSON.parse(plain), warnings: [] });
  });

  it('still refuses what is not JSON', () => {
    expect(() => parseRequestBody('{"query": ')).toThrow(SyntaxError);
  });
});
