import type { TraceKeys } from './segy-trace-header';

export interface LineRange {
  min: number;
  max: number;
  count: number;
}

/** GeoJSON Polygon in the file's own coordinate reference system (usually projected). */
export interface GeoJsonPolygon {
  type: 'Polygon';
  coordinates: [number, number][][];
}

export interface Geometry {
  inline: LineRange;
  crossline: LineRange;
  bbox: [number, number, number, number];
  footprint: GeoJsonPolygon;
}

type Corner = { il: number; xl: number; x: number; y: number };

/**
 * Collects inline/crossline ranges, the bounding box and the four corner traces while the
 * trace headers stream past, in O(lines) memory. Corners are the traces at (first inline,
 * first crossline), (first, last), (last, last), (last, first): the survey's own order.
 */
export class GeometryAccumulator {
  private readonly inlines = new Set<number>();
  private readonly crosslines = new Set<number>();
  private minX = Infinity;
  private minY = Infinity;
  private maxX = -Infinity;
  private maxY = -Infinity;
  // Each corner is the lexicographic extreme of (inline, crossline) with the given signs.
  private readonly corners: (Corner | null)[] = [null, null, null, null];
  private static readonly SIGNS: [number, number][] = [
    [1, 1], // min il, min xl
    [1, -1], // min il, max xl
    [-1, -1], // max il, max xl
    [-1, 1], // max il, min xl
  ];
  count = 0;

  add(t: TraceKeys): void {
    this.count++;
    this.inlines.add(t.inline);
    this.crosslines.add(t.crossline);
    if (t.x < this.minX) this.minX = t.x;
    if (t.x > this.maxX) this.maxX = t.x;
    if (t.y < this.minY) this.minY = t.y;
    if (t.y > this.maxY) this.maxY = t.y;
    GeometryAccumulator.SIGNS.forEach(([si, sx], k) => {
      const c = this.corners[k];
      const better = c === null || si * t.inline < si * c.il || (t.inline === c.il && sx * t.crossline < sx * c.xl);
      if (better) this.corners[k] = { il: t.inline, xl: t.crossline, x: t.x, y: t.y };
    });
  }

  result(): Geometry {
    const range = (s: Set<number>): LineRange => {
      let min = Infinity;
      let max = -Infinity;
      for (const v of s) {
        if (v < min) min = v;
        if (v > max) max = v;
      }
      return { min, max, count: s.size };
    };
    const ring = this.corners.map((c) => [c!.x, c!.y] as [number, number]);
    ring.push([ring[0][0], ring[0][1]]);
    return {
      inline: range(this.inlines),
      crossline: range(this.crosslines),
      bbox: [this.minX, this.minY, this.maxX, this.maxY],
      footprint: { type: 'Polygon', coordinates: [ring] },
    };
  }
}

/** Footprint and bbox from four corner traces (fast mode: the survey is a regular grid). */
export function geometryFromCorners(
  corners: [Corner, Corner, Corner, Corner],
  inline: LineRange,
  crossline: LineRange,
): Geometry {
  const xs = corners.map((c) => c.x);
  const ys = corners.map((c) => c.y);
  const ring = corners.map((c) => [c.x, c.y] as [number, number]);
  ring.push([ring[0][0], ring[0][1]]);
  return {
    inline,
    crossline,
    bbox: [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)],
    footprint: { type: 'Polygon', coordinates: [ring] },
  };
}
