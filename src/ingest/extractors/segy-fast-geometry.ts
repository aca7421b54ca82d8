import type { RangeReader } from './range-reader';
import { geometryFromCorners, type Geometry } from './segy-geometry';
import type { TraceKeys } from './segy-trace-header';
import { readTraceAt, type FixedTraceLayout } from './segy-trace-scan';

export type FastResult = { geometry: Geometry; sortedBy: 'inline' | 'crossline' } | { reason: string };

/**
 * Fast mode: assume a regular grid (every line the same length, constant line and trace
 * steps, coordinates affine in the grid), find its shape from a handful of trace headers
 * (first, last, a binary search for the line length, a strided sample) and check every
 * sampled header against it. Any mismatch returns a reason, and the caller scans in full.
 */
export async function inferRegularGeometry(reader: RangeReader, layout: FixedTraceLayout, sampleCount = 64): Promise<FastResult> {
  const { traceCount: n, dataStart, traceSize, order, keys } = layout;
  const cache = new Map<number, TraceKeys>();
  const get = async (i: number): Promise<TraceKeys> => {
    let t = cache.get(i);
    if (!t) {
      t = await readTraceAt(reader, dataStart + i * traceSize, order, keys, i);
      cache.set(i, t);
    }
    return t;
  };

  const t0 = await get(0);
  let slowIsInline = true;
  if (n > 1) {
    const t1 = await get(1);
    if (t1.inline === t0.inline && t1.crossline !== t0.crossline) slowIsInline = true;
    else if (t1.crossline === t0.crossline && t1.inline !== t0.inline) slowIsInline = false;
    else return { reason: 'traces 0 and 1 are not neighbours on one line' };
  }
  const slow = (t: TraceKeys) => (slowIsInline ? t.inline : t.crossline);
  const fast = (t: TraceKeys) => (slowIsInline ? t.crossline : t.inline);

  // Line length: the first trace whose slow key differs from trace 0's (lines are contiguous).
  let lo = 1;
  let hi = n;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (slow(await get(mid)) !== slow(t0)) hi = mid;
    else lo = mid + 1;
  }
  const lineLen = lo;
  if (n % lineLen !== 0)
    return {
      reason: `${n} traces are not a whole number of lines of ${lineLen}`,
    };
  const lines = n / lineLen;
  const dFast = lineLen > 1 ? fast(await get(1)) - fast(t0) : 0;
  const dSlow = lines > 1 ? slow(await get(lineLen)) - slow(t0) : 0;
  if ((lineLen > 1 && dFast === 0) || (lines > 1 && dSlow === 0)) return { reason: 'a line step is zero' };

  const idx = (row: number, col: number) => row * lineLen + col;
  const c00 = t0;
  const c01 = await get(idx(0, lineLen - 1));
  const c10 = await get(idx(lines - 1, 0));
  const at = (row: number, col: number) => {
    const u = lineLen > 1 ? col / (lineLen - 1) : 0;
    const v = lines > 1 ? row / (lines - 1) : 0;
    return {
      x: c00.x + u * (c01.x - c00.x) + v * (c10.x - c00.x),
      y: c00.y + u * (c01.y - c00.y) + v * (c10.y - c00.y),
    };
  };
  // Coordinates are scaled integers: each corner carries up to half a unit of rounding.
  const unit = Math.max(c00.unit, c01.unit, c10.unit);
  const tol = (a: number) => 2.5 * unit + 1e-9 * Math.abs(a);

  const sample = new Set<number>([0, lineLen - 1, n - lineLen, n - 1]);
  for (let k = 0; k < sampleCount; k++) {
    const i = Math.floor((k * n) / sampleCount);
    sample.add(Math.min(n - 1, i - (i % lineLen) + ((k * 7919) % lineLen)));
  }
  for (const i of [...sample].sort((a, b) => a - b)) {
    const t = await get(i);
    const row = Math.floor(i / lineLen);
    const col = i % lineLen;
    const wantSlow = slow(t0) + row * dSlow;
    const wantFast = fast(t0) + col * dFast;
    if (slow(t) !== wantSlow || fast(t) !== wantFast)
      return {
        reason: `trace ${i} is (${t.inline}, ${t.crossline}), off the regular grid`,
      };
    const p = at(row, col);
    if (Math.abs(t.x - p.x) > tol(p.x) || Math.abs(t.y - p.y) > tol(p.y))
      return {
        reason: `trace ${i} coordinates (${t.x}, ${t.y}) are not affine in the grid`,
      };
  }

  const range = (first: number, step: number, count: number) => {
    const last = first + (count - 1) * step;
    return { min: Math.min(first, last), max: Math.max(first, last), count };
  };
  const slowRange = range(slow(t0), dSlow, lines);
  const fastRange = range(fast(t0), dFast, lineLen);
  // Row/column of the minimum key along each axis; the corners go in (inline, crossline) order.
  const rowMin = dSlow >= 0 ? 0 : lines - 1;
  const colMin = dFast >= 0 ? 0 : lineLen - 1;
  const rowMax = lines - 1 - rowMin;
  const colMax = lineLen - 1 - colMin;
  const corner = async (ilMin: boolean, xlMin: boolean) => {
    const row = (slowIsInline ? ilMin : xlMin) ? rowMin : rowMax;
    const col = (slowIsInline ? xlMin : ilMin) ? colMin : colMax;
    const t = await get(idx(row, col));
    return { il: t.inline, xl: t.crossline, x: t.x, y: t.y };
  };
  const corners = [
    await corner(true, true),
    await corner(true, false),
    await corner(false, false),
    await corner(false, true),
  ] as const;
  return {
    geometry: geometryFromCorners([...corners], slowIsInline ? slowRange : fastRange, slowIsInline ? fastRange : slowRange),
    sortedBy: slowIsInline ? 'inline' : 'crossline',
  };
}
