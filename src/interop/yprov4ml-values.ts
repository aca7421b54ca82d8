import { NS } from './namespaces';
import { asText, first, type PAttrs, type PValue } from './prov-json-reader';
import type { LiteralTypeEntry, LiteralTypeMap } from './literal-types';

/**
 * How yProv4ML attribute values become provml values: with the type the document wrote (a
 * typed literal `{"$": 1, "type": "xsd:int"}` is a number, a plain string stays a string: the
 * run's `global_rank` "0" is "0"), and the names under which they are kept.
 */

/** The value as written: numbers, booleans and strings as the document types them. */
export function typed(v: PValue | undefined): unknown {
  if (v === undefined) return null;
  if (typeof v === 'object') return 'iri' in v ? v.iri : v.json;
  return v;
}

// A quoted string (kept) or Python's spelling of a float that is not finite (`nan`, `inf`, `-inf`).
const PY_TOKENS = /"(?:[^"\\]|\\.)*"|(-?)\b(nan|inf)\b/g;

/**
 * A list that yProv4ML writes as Python text ("[1, 2]", older versions' inline metric lists),
 * or as a JSON list; null when it is not one. Python writes a diverged loss `nan` (`inf`,
 * `-inf`): those elements are the strings "NaN", "Infinity", "-Infinity".
 */
export function listOf(v: PValue | undefined): unknown[] | null {
  const x = typed(v);
  if (Array.isArray(x)) return x;
  if (typeof x !== 'string' || !/^\s*\[.*\]\s*$/s.test(x)) return null;
  try {
    const json = x
      .replace(/'/g, '"')
      .replace(PY_TOKENS, (m, sign: string, t: string) => (t ? `"${sign}${t === 'nan' ? 'NaN' : 'Infinity'}"` : m));
    const parsed: unknown = JSON.parse(json);
    return Array.isArray(parsed) ? parsed : null;
  } catch {
    return null;
  }
}

/** An attribute key as the document writes it (`prov:` IRIs back to `prov:` names). */
export function keyName(k: string): string {
  if (k.startsWith(NS.prov)) return `prov:${k.slice(NS.prov.length)}`;
  if (k.startsWith(NS.provml)) return `provml:${k.slice(NS.provml.length)}`;
  return k;
}

/** The local name of a key: `yProv4ML:total_params` -> `total_params`. */
export const localKey = (k: string): string => keyName(k).replace(/^[^:]*:/, '');

/** Every attribute of a node, keys and types as written; `skip` leaves some out (metric lists). */
export function record(attrs: PAttrs, skip: (key: string) => boolean = () => false): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, vs] of attrs) {
    if (skip(k)) continue;
    out[keyName(k)] = vs.length === 1 ? typed(vs[0]) : vs.map(typed);
  }
  return out;
}

/** The written types of `record(attrs, skip)`'s values, by the same keys (literal-types.ts); undefined if none. */
export function recordTypes(attrs: PAttrs, skip: (key: string) => boolean = () => false): LiteralTypeMap | undefined {
  if (!attrs.types) return undefined;
  const out: LiteralTypeMap = {};
  for (const [k, ts] of attrs.types) {
    if (skip(k) || !attrs.has(k)) continue;
    out[keyName(k)] = ts.length === 1 ? ts[0]! : ts;
  }
  return Object.keys(out).length ? out : undefined;
}

/**
 * The written type of the value an attribute becomes (`vs.length === 1 ? typed(vs[0]) : vs.map(typed)`):
 * a multi-valued attribute always has its list, so that its export gives several values back.
 */
export function valueType(attrs: PAttrs, key: string): LiteralTypeEntry | undefined {
  const vs = attrs.get(key) ?? [];
  const ts = attrs.types?.get(key);
  if (vs.length > 1) return ts ?? vs.map(() => null);
  return ts?.[0] ?? undefined;
}

/** First value of a yProv4ML attribute under any of its spellings (newer `yProv4ML:`, older `prov-ml:`, bare). */
export const attr = (a: PAttrs | undefined, name: string): PValue | undefined =>
  first(a, `yProv4ML:${name}`, `prov-ml:${name}`, `${NS.provml}${name}`, name);

/** The written type of `attr(a, name)` (literal-types.ts), under the same spelling. */
export function attrType(a: PAttrs | undefined, name: string): LiteralTypeEntry | undefined {
  if (!a) return undefined;
  const key = [`yProv4ML:${name}`, `prov-ml:${name}`, `${NS.provml}${name}`, name].find((k) => a.get(k)?.length);
  return key === undefined ? undefined : (a.types?.get(key)?.[0] ?? undefined);
}

/** Attributes that say what an entity is (its name, file, direction, kind): mapped, not kept as values. */
const STRUCTURAL = new Set([
  'label',
  'path',
  'artifact_uri',
  'artifact_path',
  'role',
  'type',
  'context',
  'source',
  'name',
  'parameter_value',
  'metric_epoch_list',
  'metric_value_list',
  'metric_timestamp_list',
]);
export const isStructural = (k: string): boolean => STRUCTURAL.has(localKey(k));
export const isMetricList = (k: string): boolean => /^metric_(epoch|value|timestamp)_list$/.test(localKey(k));

// An ISO date-time with no zone designator (Python's isoformat() of a naive datetime).
const ZONELESS = /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?$/;

/** True for a date-time written with no time zone, which Date.parse would read as local time. */
export function isZoneless(v: PValue | undefined): boolean {
  const x = typed(v);
  return typeof x === 'string' && ZONELESS.test(x.trim());
}

/** Time of an activity in epoch ms, from seconds or ms, numbers or text; a zoneless date-time is UTC. */
export function timeOf(v: PValue | undefined): number | undefined {
  const x = typed(v);
  const n = typeof x === 'string' && x.trim() !== '' && Number.isFinite(Number(x)) ? Number(x) : x;
  if (typeof n === 'number') return n < 1e11 ? Math.round(n * 1000) : Math.round(n);
  if (typeof n !== 'string') return undefined;
  const t = Date.parse(isZoneless(n) ? `${n.trim()}Z` : n);
  return Number.isNaN(t) ? undefined : t;
}

export { asText };
