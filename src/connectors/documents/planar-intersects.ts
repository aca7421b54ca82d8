import type { GeoJsonGeometry } from './document-store';

/**
 * Whether two GeoJSON geometries intersect (touching counts), computed in the plane of
 * longitude and latitude. MongoDB's $geoIntersects works on the sphere; for the small shapes
 * of seismic surveys the answers agree, but edges hundreds of kilometres long, shapes across the
 * antimeridian, or near the poles can differ. Two geometries intersect when an edge of one
 * meets an edge of the other, or a vertex of one lies in or on the other.
 */
type Pt = readonly [number, number];
interface Parts {
  points: Pt[];
  segments: Array<[Pt, Pt]>;
  polygons: Pt[][][];
  bbox: [number, number, number, number];
}

export function geometriesIntersect(a: GeoJsonGeometry, b: GeoJsonGeometry): boolean {
  return partsIntersect(partsOf(a), partsOf(b));
}

export function partsOf(g: GeoJsonGeometry): Parts {
  const parts: Parts = { points: [], segments: [], polygons: [], bbox: [Infinity, Infinity, -Infinity, -Infinity] };
  const addLine = (line: Pt[]) => {
    line.forEach((p) => addPoint(parts, p));
    for (let i = 1; i < line.length; i++) parts.segments.push([line[i - 1], line[i]]);
  };
  const addPolygon = (rings: Pt[][]) => {
    rings.forEach(addLine);
    parts.polygons.push(rings);
  };
  const pt = (p: readonly number[]): Pt => [p[0], p[1]];
  switch (g.type) {
    case 'Point':
      addPoint(parts, pt(g.coordinates));
      break;
    case 'MultiPoint':
      g.coordinates.forEach((p) => addPoint(parts, pt(p)));
      break;
    case 'LineString':
      addLine(g.coordinates.map(pt));
      break;
    case 'MultiLineString':
      g.coordinates.forEach((l) => addLine(l.map(pt)));
      break;
    case 'Polygon':
      addPolygon(g.coordinates.map((r) => r.map(pt)));
      break;
    case 'MultiPolygon':
      g.coordinates.forEach((poly) => addPolygon(poly.map((r) => r.map(pt))));
      break;
  }
  return parts;
}

export function partsIntersect(a: Parts, b: Parts): boolean {
  const [ax0, ay0, ax1, ay1] = a.bbox;
  const [bx0, by0, bx1, by1] = b.bbox;
  if (ax0 > bx1 || bx0 > ax1 || ay0 > by1 || by0 > ay1) return false;
  for (const [p, q] of a.segments) for (const [r, s] of b.segments) if (segmentsIntersect(p, q, r, s)) return true;
  return a.points.some((p) => pointTouches(p, b)) || b.points.some((p) => pointTouches(p, a));
}

function addPoint(parts: Parts, p: Pt): void {
  parts.points.push(p);
  const bb = parts.bbox;
  bb[0] = Math.min(bb[0], p[0]);
  bb[1] = Math.min(bb[1], p[1]);
  bb[2] = Math.max(bb[2], p[0]);
  bb[3] = Math.max(bb[3], p[1]);
}

function pointTouches(p: Pt, g: Parts): boolean {
  if (g.points.some((q) => q[0] === p[0] && q[1] === p[1])) return true;
  if (g.segments.some(([r, s]) => orient(r, s, p) === 0 && onSegment(r, s, p))) return true;
  return g.polygons.some((rings) => inRing(p, rings[0]) && !rings.slice(1).some((hole) => inRing(p, hole)));
}

function orient(p: Pt, q: Pt, r: Pt): number {
  const v = (q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0]);
  return v > 0 ? 1 : v < 0 ? -1 : 0;
}

function onSegment(p: Pt, q: Pt, r: Pt): boolean {
  return (
    Math.min(p[0], q[0]) <= r[0] && r[0] <= Math.max(p[0], q[0]) && Math.min(p[1], q[1]) <= r[1] && r[1] <= Math.max(p[1], q[1])
  );
}

function segmentsIntersect(p1: Pt, q1: Pt, p2: Pt, q2: Pt): boolean {
  const o1 = orient(p1, q1, p2);
  const o2 = orient(p1, q1, q2);
  const o3 = orient(p2, q2, p1);
  const o4 = orient(p2, q2, q1);
  if (o1 !== o2 && o3 !== o4) return true;
  return (
    (o1 === 0 && onSegment(p1, q1, p2)) ||
    (o2 === 0 && onSegment(p1, q1, q2)) ||
    (o3 === 0 && onSegment(p2, q2, p1)) ||
    (o4 === 0 && onSegment(p2, q2, q1))
  );
}

/** Even-odd ray casting; boundary points are caught by the segment test before this. */
function inRing(p: Pt, ring: Pt[]): boolean {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if (yi > p[1] !== yj > p[1] && p[0] < ((xj - xi) * (p[1] - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}
