// The footprint of a seismic cube drawn over a longitude/latitude grid: no tile server, no
// network, so it works on an air-gapped cluster. Equirectangular, x scaled by cos(latitude).

type Position = [number, number];

/** The outer rings of a GeoJSON Polygon or MultiPolygon, or [] for anything else. */
export function outerRings(geometry: unknown): Position[][] {
  const g = geometry as { type?: string; coordinates?: unknown } | null;
  if (!g || !Array.isArray(g.coordinates)) return [];
  if (g.type === 'Polygon') return [(g.coordinates as Position[][])[0]].filter(Boolean);
  if (g.type === 'MultiPolygon') return (g.coordinates as Position[][][]).map((p) => p[0]).filter(Boolean);
  return [];
}

function niceStep(span: number): number {
  const raw = span / 5;
  const p = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 2.5, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? raw;
}

export function FootprintMap({ geometry, width = 420, height = 300 }: { geometry: unknown; width?: number; height?: number }) {
  const rings = outerRings(geometry);
  if (!rings.length) return <p className="muted">No polygon.</p>;
  const pts = rings.flat();
  let [x0, x1] = [Math.min(...pts.map((p) => p[0])), Math.max(...pts.map((p) => p[0]))];
  let [y0, y1] = [Math.min(...pts.map((p) => p[1])), Math.max(...pts.map((p) => p[1]))];
  // Margin around the polygon, so the grid shows where it lies.
  const mx = (x1 - x0 || 0.01) * 0.35;
  const my = (y1 - y0 || 0.01) * 0.35;
  [x0, x1, y0, y1] = [x0 - mx, x1 + mx, y0 - my, y1 + my];
  const k = Math.cos((((y0 + y1) / 2) * Math.PI) / 180);
  const pad = 36;
  const scale = Math.min((width - 2 * pad) / ((x1 - x0) * k), (height - 2 * pad) / (y1 - y0));
  const sx = (x: number) => pad + (x - x0) * k * scale;
  const sy = (y: number) => height - pad - (y - y0) * scale;
  const lines = (a: number, b: number) => {
    const step = niceStep(b - a);
    const out: number[] = [];
    for (let v = Math.ceil(a / step) * step; v <= b; v += step) out.push(Number(v.toFixed(6)));
    return out;
  };
  return (
    <svg className="map" viewBox={`0 0 ${width} ${height}`} role="img" aria-label="footprint">
      <rect x={0} y={0} width={width} height={height} className="map-bg" />
      {lines(x0, x1).map((x) => (
        <g key={`x${x}`}>
          <line x1={sx(x)} x2={sx(x)} y1={pad / 2} y2={height - pad} className="grid" />
          <text x={sx(x)} y={height - pad / 3} textAnchor="middle" className="tick">
            {x}°E
          </text>
        </g>
      ))}
      {lines(y0, y1).map((y) => (
        <g key={`y${y}`}>
          <line x1={pad} x2={width - pad / 2} y1={sy(y)} y2={sy(y)} className="grid" />
          <text x={pad - 4} y={sy(y) + 4} textAnchor="end" className="tick">
            {y}°N
          </text>
        </g>
      ))}
      {rings.map((r, i) => (
        <polygon key={i} points={r.map((p) => `${sx(p[0])},${sy(p[1])}`).join(' ')} className="footprint" />
      ))}
    </svg>
  );
}
