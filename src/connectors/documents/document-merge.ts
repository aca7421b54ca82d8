import { isDeepStrictEqual } from 'node:util';
import { BadUserInputError } from '../../errors';
import { uriProblem } from './document-shape';
import type { UpsertDocument } from './document-store';
import { parseGeometry } from './geojson-geometry';

const PROPERTY_NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,99}$/;

/** Checks an upsert from a caller: a URI, a valid geometry (rebuilt), plain property names. */
export function checkUpsert(doc: UpsertDocument): UpsertDocument {
  const problem = uriProblem(doc.uri);
  if (problem) throw new BadUserInputError(`uri ${problem}`, 'uri');
  for (const name of Object.keys(doc.properties)) {
    if (!PROPERTY_NAME.test(name))
      throw new BadUserInputError(`property name "${name.slice(0, 80)}" must be letters, digits, _ and -`, 'properties');
  }
  return { uri: doc.uri, geometry: parseGeometry(doc.geometry), properties: doc.properties };
}

function setPath(target: Record<string, unknown>, dotted: string, value: unknown): void {
  const names = dotted.split('.');
  let cur = target;
  for (const name of names.slice(0, -1)) {
    const next = cur[name];
    cur = cur[name] = next && typeof next === 'object' && !Array.isArray(next) ? { ...(next as Record<string, unknown>) } : {};
  }
  cur[names[names.length - 1]] = value;
}

/**
 * The document after an upsert: the geometry at the geometry field, the properties under
 * `properties` for a Feature or at top level for a plain document. Returns null when the
 * document already holds exactly that (so a repeated extraction writes nothing).
 */
export function mergeDocument(
  raw: Record<string, unknown>,
  doc: UpsertDocument,
  geometryField: string,
): Record<string, unknown> | null {
  const next: Record<string, unknown> = { ...raw };
  setPath(next, geometryField, doc.geometry);
  if (raw.type === 'Feature') {
    const own = raw.properties && typeof raw.properties === 'object' && !Array.isArray(raw.properties) ? raw.properties : {};
    next.properties = { ...own, ...doc.properties };
  } else {
    Object.assign(next, doc.properties);
  }
  return isDeepStrictEqual(next, raw) ? null : next;
}

/** A new GeoJSON Feature keyed by the URI (under `properties`, where findByUris looks). */
export function newFeature(doc: UpsertDocument, keyField: string, geometryField: string): Record<string, unknown> {
  const properties: Record<string, unknown> = { ...doc.properties };
  setPath(properties, keyField, doc.uri);
  const feature: Record<string, unknown> = { type: 'Feature', geometry: null, properties };
  if (geometryField === 'geometry') feature.geometry = doc.geometry;
  else setPath(feature, geometryField, doc.geometry);
  return feature;
}
