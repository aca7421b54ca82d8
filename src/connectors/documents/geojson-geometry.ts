import { BadUserInputError } from '../../errors';
import type { GeoJsonGeometry, Position } from './document-store';

/** Bounds the work one geometry may cause, in positions. */
export const MAX_POSITIONS = 100_000;

/**
 * Checks a GeoJSON geometry from a caller and rebuilds it from its type and coordinates only,
 * so no other key (a MongoDB operator, say) can ride along. Errors name the offending path.
 */
export function parseGeometry(value: unknown, field = 'geometry'): GeoJsonGeometry {
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw bad(field, 'must be a GeoJSON geometry object');
  const { type, coordinates } = value as { type?: unknown; coordinates?: unknown };
  const counter = { n: 0 };
  const at = `${field}.coordinates`;
  switch (type) {
    case 'Point':
      return { type, coordinates: position(coordinates, at, counter) };
    case 'MultiPoint':
      return { type, coordinates: list(coordinates, at, 1, (p, f) => position(p, f, counter)) };
    case 'LineString':
      return { type, coordinates: line(coordinates, at, counter) };
    case 'MultiLineString':
      return { type, coordinates: list(coordinates, at, 1, (l, f) => line(l, f, counter)) };
    case 'Polygon':
      return { type, coordinates: polygon(coordinates, at, counter) };
    case 'MultiPolygon':
      return { type, coordinates: list(coordinates, at, 1, (p, f) => polygon(p, f, counter)) };
    default:
      throw bad(`${field}.type`, 'must be Point, MultiPoint, LineString, MultiLineString, Polygon or MultiPolygon');
  }
}

function bad(field: string, message: string): BadUserInputError {
  return new BadUserInputError(`${field} ${message}`, field);
}

function list<T>(value: unknown, field: string, min: number, item: (v: unknown, field: string) => T): T[] {
  if (!Array.isArray(value) || value.length < min) throw bad(field, `must be an array of at least ${min}`);
  return value.map((v, i) => item(v, `${field}[${i}]`));
}

function position(value: unknown, field: string, counter: { n: number }): Position {
  if (++counter.n > MAX_POSITIONS) throw bad(field, `exceeds ${MAX_POSITIONS} positions`);
  if (
    !Array.isArray(value) ||
    value.length < 2 ||
    value.length > 3 ||
    !value.every((x) => typeof x === 'number' && Number.isFinite(x))
  ) {
    throw bad(field, 'must be [longitude, latitude] (optionally with elevation) of finite numbers');
  }
  const [lon, lat] = value as number[];
  if (lon < -180 || lon > 180) throw bad(`${field}[0]`, 'longitude must lie in [-180, 180]');
  if (lat < -90 || lat > 90) throw bad(`${field}[1]`, 'latitude must lie in [-90, 90]');
  return [...value] as Position;
}

function line(value: unknown, field: string, counter: { n: number }): Position[] {
  return list(value, field, 2, (p, f) => position(p, f, counter));
}

function polygon(value: unknown, field: string, counter: { n: number }): Position[][] {
  return list(value, field, 1, (ring, f) => {
    const positions = list(ring, f, 4, (p, pf) => position(p, pf, counter));
    const [first, last] = [positions[0], positions[positions.length - 1]];
    if (first[0] !== last[0] || first[1] !== last[1]) throw bad(f, 'must be closed (first position equal to the last)');
    return positions;
  });
}
