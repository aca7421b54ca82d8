import { typedLiteral, writtenNumber } from '../../src/interop/literal-types';
import { writtenType } from '../../src/interop/prov-json-reader';

// A number's written form (docs/interop.md, "Typed literals"): kept where it is its own, written
// back only while it still spells the stored value.
const XSD = 'http://www.w3.org/2001/XMLSchema#';
const prefixes = { xsd: XSD };

describe('literal types: a number in its written form', () => {
  it('is kept where the export would write another form, and only then', () => {
    expect(writtenType({ $: '2.50', type: 'xsd:decimal' }, 2.5, prefixes)).toBe(`"2.50"^^<${XSD}decimal>`);
    expect(writtenType({ $: ' 1.0E2 ', type: 'xsd:double' }, 100, prefixes)).toBe(`"1.0E2"^^<${XSD}double>`);
    expect(writtenType({ $: '2.5', type: 'xsd:decimal' }, 2.5, prefixes)).toBe(`${XSD}decimal`);
    expect(writtenType({ $: '2.5', type: 'xsd:double' }, 2.5, prefixes)).toBeNull(); // a double anyway
    expect(writtenType({ $: 2.5, type: 'xsd:decimal' }, 2.5, prefixes)).toBe(`${XSD}decimal`); // a JSON number has no form
    expect(writtenType({ $: '007', type: 'xsd:string' }, '007', prefixes)).toBeNull();
    expect(writtenNumber('2.50', 2.5, `${XSD}dateTime`)).toBeNull();
  });

  it('is written back while it spells the stored value; otherwise the value is, with its type', () => {
    const t = `"2.50"^^<${XSD}decimal>`;
    expect(typedLiteral(2.5, t)).toEqual({ kind: 'typed', value: '2.50', datatype: `${XSD}decimal` });
    expect(typedLiteral(3, t)).toEqual({ kind: 'typed', value: '3', datatype: `${XSD}decimal` });
    expect(typedLiteral('2.50', t)).toEqual({ kind: 'typed', value: '2.50', datatype: `${XSD}decimal` });
    expect(typedLiteral(100, `"1.0E2"^^<${XSD}double>`)).toEqual({ kind: 'typed', value: '1.0E2', datatype: `${XSD}double` });
    expect(typedLiteral(99, `"1.0E2"^^<${XSD}double>`)).toEqual({ kind: 'double', value: 99 });
  });
});
