import { LimitExceededError } from '../errors';
import type { ProvRecord } from './prov-records';
import { viewEdge, viewNode, type ViewEdge, type ViewNode } from './graph-view';

/**
 * SVG without any native tool: a small layered layout. Edges point from effect to cause (PROV's
 * orientation), so a node's layer is one more than the deepest cause it points to; causes (raw
 * files) sit at the top, results at the bottom. Within a layer, nodes are ordered by the mean
 * position of their causes (one barycentre sweep), which keeps chains mostly straight.
 */
export const SVG_NODE_CAP = 2000;
const W = 200;
const H = 44;
const GAP_X = 30;
const GAP_Y = 70;
const FILL = { entity: '#FFFC87', activity: '#9FB1FC', agent: '#FED37F' } as const;

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const clip = (s: string, n = 30): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

export function layout(nodes: ViewNode[], edges: ViewEdge[]): Map<string, { x: number; y: number; layer: number }> {
  const ids = new Set(nodes.map((n) => n.id));
  const out = new Map<string, string[]>();
  for (const e of edges)
    if (ids.has(e.from) && ids.has(e.to) && e.from !== e.to) (out.get(e.from) ?? out.set(e.from, []).get(e.from)!).push(e.to);
  const layer = new Map<string, number>();
  // Longest path to a sink, by relaxation; bounded passes so that a cycle cannot loop forever.
  for (const n of nodes) layer.set(n.id, 0);
  for (let pass = 0; pass < Math.min(nodes.length, 200); pass++) {
    let changed = false;
    for (const [from, tos] of out) {
      const want = 1 + Math.max(...tos.map((t) => layer.get(t) ?? 0));
      if (want > (layer.get(from) ?? 0) && want <= nodes.length) {
        layer.set(from, want);
        changed = true;
      }
    }
    if (!changed) break;
  }
  const layers: string[][] = [];
  for (const n of nodes) (layers[layer.get(n.id)!] ??= []).push(n.id);
  const pos = new Map<string, { x: number; y: number; layer: number }>();
  layers.forEach((row, li) => {
    const bary = (id: string) => {
      const xs = (out.get(id) ?? []).map((t) => pos.get(t)?.x).filter((x): x is number => x !== undefined);
      return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : Number.MAX_SAFE_INTEGER;
    };
    const sorted = [...(row ?? [])].sort((a, b) => bary(a) - bary(b) || (a < b ? -1 : 1));
    sorted.forEach((id, i) => pos.set(id, { x: GAP_X + i * (W + GAP_X), y: GAP_Y / 2 + li * (H + GAP_Y), layer: li }));
  });
  return pos;
}

export async function* writeSvg(records: AsyncIterable<ProvRecord>, cap = SVG_NODE_CAP): AsyncGenerator<string> {
  const nodes = new Map<string, ViewNode>();
  const edges: ViewEdge[] = [];
  for await (const r of records) {
    if (r.record === 'node' && !nodes.has(r.id)) {
      nodes.set(r.id, viewNode(r));
      if (nodes.size > cap) throw new LimitExceededError('svg nodes (export one run or one entity lineage)', cap, nodes.size);
    } else if (r.record === 'relation') edges.push(viewEdge(r));
  }
  const list = [...nodes.values()];
  const pos = layout(list, edges);
  const width = Math.max(W + 2 * GAP_X, ...[...pos.values()].map((p) => p.x + W + GAP_X));
  const height = Math.max(H + GAP_Y, ...[...pos.values()].map((p) => p.y + H + GAP_Y / 2));
  yield `<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="11">\n`;
  yield '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>\n';
  let buf = '<g class="edges" stroke="#555" fill="none">\n';
  for (const e of edges) {
    const a = pos.get(e.from);
    const b = pos.get(e.to);
    if (!a || !b) continue;
    // From the top of the effect to the bottom of the cause (causes are drawn above).
    const [x1, y1, x2, y2] = a.y > b.y ? [a.x + W / 2, a.y, b.x + W / 2, b.y + H] : [a.x + W / 2, a.y + H, b.x + W / 2, b.y];
    buf += `<line x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}" marker-end="url(#arrow)"><title>${esc(e.label)}</title></line>\n`;
    buf += `<text x="${(x1 + x2) / 2 + 4}" y="${(y1 + y2) / 2}" fill="#555" stroke="none" font-size="9">${esc(e.label)}</text>\n`;
  }
  yield `${buf}</g>\n<g class="nodes">\n`;
  buf = '';
  for (const n of list) {
    const p = pos.get(n.id)!;
    const [line1, line2] = n.label.split('\n');
    const shape =
      n.type === 'entity'
        ? `<ellipse cx="${p.x + W / 2}" cy="${p.y + H / 2}" rx="${W / 2}" ry="${H / 2}" fill="${FILL.entity}" stroke="#808080"/>`
        : n.type === 'activity'
          ? `<rect x="${p.x}" y="${p.y}" width="${W}" height="${H}" fill="${FILL.activity}" stroke="#0000FF"/>`
          : `<polygon points="${p.x},${p.y + 12} ${p.x + W / 2},${p.y} ${p.x + W},${p.y + 12} ${p.x + W},${p.y + H} ${p.x},${p.y + H}" fill="${FILL.agent}" stroke="#808080"/>`;
    buf += `<g class="${n.type}"><title>${esc(n.id)}</title>${shape}<text x="${p.x + W / 2}" y="${p.y + 18}" text-anchor="middle">${esc(clip(line1 ?? ''))}</text><text x="${p.x + W / 2}" y="${p.y + 33}" text-anchor="middle" font-size="9" fill="#333">${esc(clip(line2 ?? '', 36))}</text></g>\n`;
  }
  yield `${buf}</g>\n</svg>\n`;
}
