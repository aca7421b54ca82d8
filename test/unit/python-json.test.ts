import { parsePythonJson } from '../../src/interop/python-json';

// What Python's json.dumps writes that JSON.parse refuses or rounds (src/interop/python-json.ts).
describe('parsePythonJson', () => {
  it('reads plain JSON as JSON.parse does, with nothing kept aside', () => {
    const text = '{"a": [1, 2.5, "NaN", "Infinity x"], "t": 1796241495.3139262, "id": "12345678901234567890"}';
    expect(parsePythonJson(text)).toEqual({ value: JSON.parse(text), nonFinite: [], bigIntegers: [] });
  });

  it('turns bare NaN / Infinity / -Infinity into strings, never touching strings that look like them', () => {
    const r = parsePythonJson('{"x": NaN, "s": "NaN, -Infinity", "l": [Infinity, -Infinity], "odd key": NaN}');
    expect(r.value).toEqual({ x: 'NaN', s: 'NaN, -Infinity', l: ['Infinity', '-Infinity'], 'odd key': 'NaN' });
    expect(r.nonFinite).toEqual(['x', 'l[0]', 'l[1]', '["odd key"]']);
  });

  it('keeps integers beyond 2^53 as their digits; long fractions, safe and exact integers stay numbers', () => {
    const r = parsePythonJson(
      '[13249385781391849832, -9007199254740993, 9007199254740991, 1152921504606846976, 0.1234567890123456789, "9007199254740993"]',
    );
    expect(r.value).toEqual([
      '13249385781391849832',
      '-9007199254740993',
      9007199254740991,
      1152921504606846976, // 2^60: a double holds it exactly
      0.12345678901234568, // JSON.parse of the 19 digits
      '9007199254740993',
    ]);
    expect(r.bigIntegers).toEqual(['[0]', '[1]']);
  });

  it("still refuses what is not JSON, with JSON.parse's own error", () => {
    expect(() => parsePythonJson('{"x": NaN,}')).toThrow(SyntaxError);
    expect(() => parsePythonJson('{"x": nan}')).toThrow(SyntaxError);
  });
});
