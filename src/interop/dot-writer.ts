import type { ProvRecord } from './prov-records';
import { viewEdge, viewNode } from './graph-view';

/** Graphviz DOT in the W3C PROV drawing style (yellow ellipse entities, blue box activities, orange house agents). */
const STYLE = {
  entity: 'shape=ellipse, style=filled, fillcolor="#FFFC87", color="#808080"',
  activity: 'shape=box, style=filled, fillcolor="#9FB1FC", color="#0000FF"',
  agent: 'shape=house, style=filled, fillcolor="#FED37F"',
} as const;

const q = (s: string): string => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;

export async function* writeDot(records: AsyncIterable<ProvRecord>): AsyncGenerator<string> {
  yield 'digraph provml {\n  rankdir=BT;\n  node [fontname="Helvetica", fontsize=10];\n  edge [fontname="Helvetica", fontsize=8];\n';
  const seen = new Set<string>();
  let buf = '';
  for await (const r of records) {
    if (r.record === 'node') {
      if (seen.has(r.id)) continue;
      seen.add(r.id);
      const n = viewNode(r);
      buf += `  ${q(n.id)} [label=${q(n.label)}, ${STYLE[n.type]}];\n`;
    } else if (r.record === 'relation') {
      const e = viewEdge(r);
      buf += `  ${q(e.from)} -> ${q(e.to)} [label=${q(e.label)}];\n`;
    }
    if (buf.length > 1 << 16) {
      yield buf;
      buf = '';
    }
  }
  yield `${buf}}\n`;
}
