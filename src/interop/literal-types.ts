import { NS } from './namespaces';
import { literal, type AttrValue } from './prov-records';

/**
 * The type a PROV-JSON literal was written with, kept beside its value where the value alone
 * would not say it. An import stores values as plain JSON (`{"$": 2.0, "type": "xsd:double"}` is
 * the number 2, which the GraphQL API and the SQL filters keep reading as a number), so without
 * the type an export would write that double back as an integer, a dateTime or a QName as a
 * plain string, a language-tagged string without its tag.
 *
 * A LiteralType is the datatype's full IRI, or `@` and the language tag (`@fr`). It is recorded
 * only where it differs from what the export writes for the plain value anyway (an integer is
 * xsd:int, another number xsd:double, a string xsd:string, a boolean xsd:boolean), so values
 * stored by earlier versions, which have none, export as they did. A number written as a string
 * whose form the export would not give back (`{"$": "2.50", "type": "xsd:decimal"}` is 2.5) has
 * its written form too, as an N-Triples literal: `"2.50"^^<http://www.w3.org/2001/XMLSchema#decimal>`
 * (the value stays the number: what GraphQL answers and SQL compares).
 *
 * Where they are kept (a run's, task's or agent's attributes, key `literalTypes`):
 *
 *   { attributes: { <key>: T }, entities: { <entity id>: { <key>: T } },
 *     used: { <value name>: T }, generated: { <value name>: T } }
 *
 * `attributes` and `entities` mirror the keys of the node's own attributes; `used` and
 * `generated` name the node's values. A multi-valued PROV-JSON attribute (a JSON array of
 * literals) has a list, one entry per value, null where the value needs none; for a value the
 * list is written even when all its entries are null, so that the export gives the attribute's
 * several values back rather than one JSON array.
 */
export type LiteralType = string;
export type LiteralTypeEntry = LiteralType | Array<LiteralType | null>;
export type LiteralTypeMap = Record<string, LiteralTypeEntry>;

export interface LiteralTypes {
  attributes?: LiteralTypeMap;
  entities?: Record<string, LiteralTypeMap>;
  used?: LiteralTypeMap;
  generated?: LiteralTypeMap;
}

export const LITERAL_TYPES_KEY = 'literalTypes';

const XSD = (t: string) => `${NS.xsd}${t}`;
const QNAME = `${NS.prov}QUALIFIED_NAME`;

/** The datatype the export gives a plain JSON value with no recorded type (literal() in prov-records). */
export function defaultDatatype(v: unknown): string | null {
  const lit = literal(v);
  switch (lit.kind) {
    case 'string':
      return XSD('string');
    case 'boolean':
      return XSD('boolean');
    case 'int':
      return XSD('int');
    case 'double':
      return XSD('double');
    default:
      return null;
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isEntry = (v: unknown): v is LiteralTypeEntry =>
  typeof v === 'string' || (Array.isArray(v) && v.every((x) => x === null || typeof x === 'string'));

function mapOf(v: unknown): LiteralTypeMap | undefined {
  if (!isObject(v)) return undefined;
  const out: LiteralTypeMap = {};
  for (const [k, e] of Object.entries(v)) if (isEntry(e)) out[k] = e;
  return out;
}

/** The literal types of a node's attributes, read defensively (attributes are client JSON too). */
export function literalTypesOf(attributes: Record<string, unknown> | null | undefined): LiteralTypes | undefined {
  const raw = attributes?.[LITERAL_TYPES_KEY];
  if (!isObject(raw)) return undefined;
  const out: LiteralTypes = {};
  const used = mapOf(raw.used);
  const generated = mapOf(raw.generated);
  if (used) out.used = used;
  if (generated) out.generated = generated;
  return out.used || out.generated ? out : undefined;
}

// The datatypes whose values the import decodes to JSON numbers (prov-json-reader.ts decode()),
// so whose written form can differ from the number's own.
const NUMERIC = /#(int|integer|long|short|double|float|decimal)$/;
const WRITTEN = /^"([^"\\]*)"\^\^<([^<>"\s]+)>$/;

/**
 * The LiteralType that keeps a number's written form (`lexical`, e.g. "2.50") with its datatype,
 * or null where the export writes that form anyway (String(value)) or the type is not numeric.
 */
export function writtenNumber(lexical: string, value: number, datatype: string): LiteralType | null {
  if (!lexical || lexical === String(value) || !NUMERIC.test(datatype) || !WRITTEN.test(`"${lexical}"^^<${datatype}>`))
    return null;
  return `"${lexical}"^^<${datatype}>`;
}

/** One value as an export attribute, typed as it was written (`t`), else as before (literal()). */
export function typedLiteral(v: unknown, t: LiteralType | null | undefined): AttrValue {
  if (!t) return literal(v);
  const written = WRITTEN.exec(t);
  if (written) {
    // The written form only while it still spells the stored value.
    const [, lexical, datatype] = written;
    return typeof v === 'number' && Number(lexical) === v
      ? { kind: 'typed', value: lexical, datatype }
      : typedLiteral(v, datatype);
  }
  const scalar = typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
  if (!scalar) return literal(v);
  if (t.startsWith('@'))
    return typeof v === 'string' && t.length > 1 ? { kind: 'langString', value: v, lang: t.slice(1) } : literal(v);
  if (t === QNAME) return typeof v === 'string' ? { kind: 'iri', value: v } : literal(v);
  if (t === XSD('dateTime')) return typeof v === 'string' ? { kind: 'dateTime', value: v } : literal(v);
  if (t === XSD('double') && typeof v === 'number') return { kind: 'double', value: v };
  if (t === XSD('int') && typeof v === 'number' && Number.isInteger(v)) return { kind: 'int', value: v };
  if (t === XSD('string')) return { kind: 'string', value: String(v) };
  if (t === XSD('boolean') && typeof v === 'boolean') return { kind: 'boolean', value: v };
  return { kind: 'typed', value: String(v), datatype: t };
}

/** A value's attributes: one per value of a multi-valued attribute (a list entry), else one. */
export function typedValues(v: unknown, t: LiteralTypeEntry | undefined): AttrValue[] {
  if (Array.isArray(t)) {
    if (Array.isArray(v) && v.length === t.length) return v.map((x, i) => typedLiteral(x, t[i]));
    return [literal(v)];
  }
  return [typedLiteral(v, t)];
}
