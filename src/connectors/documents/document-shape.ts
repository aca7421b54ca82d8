import { BadUserInputError } from '../../errors';
import type { GeoJsonGeometry, StoredDocument } from './document-store';
import { parseGeometry } from './geojson-geometry';

export const MAX_URI_LENGTH = 4096;

/** A configured field path: dotted names only, none starting with `$` (no operator injection). */
export function checkFieldPath(value: string, option: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z_][A-Za-z0-9_-]*)*$/.test(value)) {
    throw new BadUserInputError(
      `${option} must be a dotted field path of letters, digits, _ and - (got "${value.slice(0, 80)}")`,
      option,
    );
  }
  return value;
}

/** Why a URI cannot be looked up, or null. Only strings reach a filter. */
export function uriProblem(uri: unknown): string | null {
  if (typeof uri !== 'string' || uri.length === 0) return 'must be a non-empty string';
  if (uri.length > MAX_URI_LENGTH) return `is longer than ${MAX_URI_LENGTH} characters`;
  return null;
}

export function getPath(doc: unknown, dotted: string): unknown {
  let cur: unknown = doc;
  for (const name of dotted.split('.')) {
    if (!cur || typeof cur !== 'object' || Array.isArray(cur)) return undefined;
    cur = (cur as Record<string, unknown>)[name];
  }
  return cur;
}

/** The URIs a document is known by: its key field at top level and, for Features, under properties. */
export function keysOf(doc: unknown, keyField: string): string[] {
  const out: string[] = [];
  for (const v of [getPath(doc, keyField), getPath(doc, `properties.${keyField}`)]) {
    if (typeof v === 'string') out.push(v);
    else if (Array.isArray(v)) v.forEach((x) => typeof x === 'string' && out.push(x));
  }
  return out;
}

/** Maps a raw document (a GeoJSON Feature or any object) to what the interface hands out. */
export function toStoredDocument(raw: Record<string, unknown>, id: string, uri: string, geometryField: string): StoredDocument {
  let geometry: GeoJsonGeometry | null = null;
  const rawGeometry = getPath(raw, geometryField);
  if (rawGeometry != null) {
    try {
      geometry = parseGeometry(rawGeometry);
    } catch {
      geometry = null; // A stored shape we cannot read is reported as absent, not as the caller's error.
    }
  }
  let properties: Record<string, unknown>;
  if (raw.type === 'Feature') {
    const props = raw.properties;
    properties = props && typeof props === 'object' && !Array.isArray(props) ? { ...(props as Record<string, unknown>) } : {};
  } else {
    properties = { ...raw };
    delete properties._id;
    if (!geometryField.includes('.')) delete properties[geometryField];
  }
  return { uri, id, geometry, properties };
}

/** Picks, for each asked URI, the document with the smallest id among those carrying it. */
export function matchByUri(
  uris: readonly string[],
  docs: ReadonlyArray<{ id: string; raw: Record<string, unknown> }>,
  keyField: string,
  geometryField: string,
): Array<StoredDocument | null | Error> {
  const best = new Map<string, { id: string; raw: Record<string, unknown> }>();
  for (const doc of docs) {
    for (const key of keysOf(doc.raw, keyField)) {
      const seen = best.get(key);
      if (!seen || doc.id < seen.id) best.set(key, doc);
    }
  }
  return uris.map((uri) => {
    const problem = uriProblem(uri);
    if (problem) return new BadUserInputError(`uri ${problem}`, 'uri');
    const doc = best.get(uri);
    return doc ? toStoredDocument(doc.raw, doc.id, uri, geometryField) : null;
  });
}

export function checkLimit(limit: unknown, max: number): number {
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > max) {
    throw new BadUserInputError(`limit must be an integer from 1 to ${max}`, 'limit');
  }
  return limit;
}
