import { BadUserInputError } from '../errors';
import { NS } from './namespaces';
import { roundsOff } from './python-json';
import { defaultDatatype, writtenNumber, type LiteralType } from './literal-types';

/**
 * A PROV-JSON document read into plain maps: qualified names expanded to IRIs where their
 * prefix is declared (kept as written otherwise, as yProv4ML's bare prefixes are), typed
 * literals decoded (`{"$": 1, "type": "xsd:int"}` -> 1).
 */
export type PValue = string | number | boolean | { iri: string } | { json: unknown };
export type PAttrs = Map<string, PValue[]> & {
  /**
   * Per key, the type each value was written with where its decoded value does not say it
   * (literal-types.ts): `{"$": 2.0, "type": "xsd:double"}` decodes to 2, typed xsd:double.
   * Absent when no value of the node needs one.
   */
  types?: Map<string, Array<LiteralType | null>>;
};

export interface PRelation {
  type: string;
  id: string;
  attrs: PAttrs;
  /** The statement as written, for what an importer keeps verbatim. */
  body: unknown;
}

export interface ProvJsonDoc {
  prefixes: Record<string, string>;
  entity: Map<string, PAttrs>;
  activity: Map<string, PAttrs>;
  agent: Map<string, PAttrs>;
  relations: PRelation[];
  /** Top-level sections read as they are, not as statements (`bundle`, sections of later PROV versions). */
  other: Record<string, unknown>;
}

const PREDEFINED: Record<string, string> = { prov: NS.prov, xsd: NS.xsd };
const NODE_SECTIONS = ['entity', 'activity', 'agent'] as const;
const RELATION_SECTIONS = [
  'used',
  'wasGeneratedBy',
  'wasDerivedFrom',
  'wasInformedBy',
  'wasAssociatedWith',
  'hadMember',
  'wasStartedBy',
  'wasEndedBy',
  'wasAttributedTo',
  'actedOnBehalfOf',
  'wasInvalidatedBy',
  'wasInfluencedBy',
  'specializationOf',
  'alternateOf',
  'mentionOf',
];

export function expand(q: string, prefixes: Record<string, string>): string {
  const i = q.indexOf(':');
  if (i > 0) {
    const ns = prefixes[q.slice(0, i)];
    if (ns && /[:/#]/.test(ns)) return ns + q.slice(i + 1);
  }
  return q;
}

function decode(v: unknown, prefixes: Record<string, string>, field: string): PValue {
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  if (v && typeof v === 'object' && '$' in v) {
    const { $: raw, type } = v as { $: unknown; type?: string };
    const t = type ? expand(type, prefixes) : '';
    if (t === `${NS.prov}QUALIFIED_NAME` || type === 'prov:QUALIFIED_NAME') return { iri: expand(String(raw), prefixes) };
    if (t === `${NS.provml}json`) {
      try {
        return { json: JSON.parse(String(raw)) };
      } catch {
        throw new BadUserInputError(`${field}: provml:json value is not JSON`, field);
      }
    }
    if (
      /#(int|integer|long|short|double|float|decimal)$/.test(t) ||
      /^xsd_?\d*:(int|integer|long|double|float)/.test(type ?? '')
    ) {
      const n = Number(raw);
      // An integer JSON.parse would round was kept as its digits (python-json.ts): keep them.
      if (typeof raw === 'string' && roundsOff(raw.trim())) return raw.trim();
      if (Number.isFinite(n)) return n;
    }
    if (/#boolean$/.test(t)) return raw === true || raw === 'true';
    return typeof raw === 'number' || typeof raw === 'boolean' ? raw : String(raw);
  }
  return { json: v };
}

const plainOf = (v: PValue): unknown => (typeof v === 'object' ? ('iri' in v ? v.iri : v.json) : v);

/**
 * The type a typed or language-tagged literal was written with, where the export would not give
 * its decoded value that type anyway (null then): an xsd:double that decoded to an integer, an
 * xsd:float, xsd:long, xsd:dateTime, xsd:anyURI, a QName, a user-defined type, a language tag;
 * with its written form where that is a number's own ("2.50"^^xsd:decimal: literal-types.ts).
 */
export function writtenType(v: unknown, decoded: PValue, prefixes: Record<string, string>): LiteralType | null {
  if (!v || typeof v !== 'object' || !('$' in v)) return null;
  const { type, lang } = v as { type?: unknown; lang?: unknown };
  if (typeof lang === 'string' && lang) return `@${lang}`;
  if (typeof type !== 'string') return null;
  const t = type === 'prov:QUALIFIED_NAME' ? `${NS.prov}QUALIFIED_NAME` : expand(type, prefixes);
  // Only an absolute IRI can be written back (a yProv4ML bare prefix is not one).
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:[^\s]*[/#:][^\s]*$/.test(t) || t === `${NS.provml}json`) return null;
  const raw = (v as { $: unknown }).$;
  // A number written as a string in a form of its own ("2.50", "1.0E2", "007"): kept with its type.
  const form = typeof raw === 'string' && typeof decoded === 'number' ? writtenNumber(raw.trim(), decoded, t) : null;
  if (form) return form;
  return t === defaultDatatype(plainOf(decoded)) ? null : t;
}

// The ends of a relation name nodes even when written as plain strings (yProv4ML writes them so).
const FORMAL = new Set(
  [
    'activity',
    'entity',
    'agent',
    'informed',
    'informant',
    'generatedEntity',
    'usedEntity',
    'collection',
    'trigger',
    'starter',
    'ender',
    'plan',
    'generation',
    'usage',
  ].map((k) => `${NS.prov}${k}`),
);

function attrsOf(body: unknown, prefixes: Record<string, string>, field: string): PAttrs {
  const out: PAttrs = new Map();
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new BadUserInputError(`${field} is not an object`, field);
  const all = { ...prefixes, ...PREDEFINED };
  for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
    const key = expand(k, all);
    const list = Array.isArray(v) ? v : [v];
    const values = list.map((x, i) =>
      FORMAL.has(key) && typeof x === 'string'
        ? { iri: expand(x, all) }
        : decode(x, all, `${field}.${k}${Array.isArray(v) ? `[${i}]` : ''}`),
    );
    out.set(key, values);
    const types = list.map((x, i) => (FORMAL.has(key) ? null : writtenType(x, values[i], all)));
    if (types.some((t) => t !== null)) (out.types ??= new Map()).set(key, types);
  }
  return out;
}

export function readProvJson(data: unknown): ProvJsonDoc {
  if (!data || typeof data !== 'object' || Array.isArray(data))
    throw new BadUserInputError('a PROV-JSON document is a JSON object', 'document');
  const d = data as Record<string, unknown>;
  const prefixes: Record<string, string> = {};
  if (d.prefix !== undefined) {
    if (!d.prefix || typeof d.prefix !== 'object') throw new BadUserInputError('prefix is not an object', 'prefix');
    for (const [p, ns] of Object.entries(d.prefix as Record<string, unknown>)) if (typeof ns === 'string') prefixes[p] = ns;
  }
  const all = { ...prefixes, ...PREDEFINED };
  const doc: ProvJsonDoc = { prefixes, entity: new Map(), activity: new Map(), agent: new Map(), relations: [], other: {} };
  for (const s of NODE_SECTIONS) {
    const sec = d[s];
    if (sec === undefined) continue;
    if (!sec || typeof sec !== 'object' || Array.isArray(sec)) throw new BadUserInputError(`${s} is not an object`, s);
    for (const [id, body] of Object.entries(sec as Record<string, unknown>))
      doc[s].set(expand(id, all), attrsOf(body ?? {}, prefixes, `${s}.${id}`));
  }
  for (const s of RELATION_SECTIONS) {
    const sec = d[s];
    if (sec === undefined) continue;
    if (!sec || typeof sec !== 'object' || Array.isArray(sec)) throw new BadUserInputError(`${s} is not an object`, s);
    for (const [id, body] of Object.entries(sec as Record<string, unknown>)) {
      doc.relations.push({ type: s, id, attrs: attrsOf(body, prefixes, `${s}.${id}`), body });
    }
  }
  const read = new Set<string>(['prefix', ...NODE_SECTIONS, ...RELATION_SECTIONS]);
  for (const [k, v] of Object.entries(d)) if (!read.has(k)) doc.other[k] = v;
  return doc;
}

/** First value of an attribute, by IRI or by any of the written names (yProv4ML's prefixes are not IRIs). */
export function first(attrs: PAttrs | undefined, ...keys: string[]): PValue | undefined {
  if (!attrs) return undefined;
  for (const k of keys) {
    const v = attrs.get(k);
    if (v && v.length) return v[0];
  }
  return undefined;
}

export const asText = (v: PValue | undefined): string | undefined =>
  v === undefined ? undefined : typeof v === 'object' ? ('iri' in v ? v.iri : JSON.stringify(v.json)) : String(v);

/** The node a relation names at one end (`prov:activity`, `prov:entity`, ...). */
export function end(r: PRelation, key: string): string | undefined {
  const v = first(r.attrs, `${NS.prov}${key}`);
  return v === undefined ? undefined : typeof v === 'object' && 'iri' in v ? v.iri : String(v);
}
