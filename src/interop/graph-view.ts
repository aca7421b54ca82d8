import { compact } from './namespaces';
import type { NodeRecord, ProvRecord, RelationRecord } from './prov-records';

/** What DOT and SVG draw: nodes with a short label and a PROV kind, and labelled edges. */
export interface ViewNode {
  id: string;
  type: NodeRecord['type'];
  label: string;
}
export interface ViewEdge {
  from: string;
  to: string;
  label: RelationRecord['type'];
}

export function viewNode(r: NodeRecord): ViewNode {
  const cls = r.classes[0] ? (compact(r.classes[0]) ?? r.classes[0]).replace(/^provml:/, '') : r.type;
  const value = r.attrs.find(([p]) => p.endsWith('#value'))?.[1];
  const shown = value && value.kind !== 'iri' ? ` = ${JSON.stringify(value.value)}` : '';
  return { id: r.id, type: r.type, label: `${r.label ?? r.id}${shown}\n«${cls}»` };
}

export const viewEdge = (r: RelationRecord): ViewEdge => ({ from: r.subject, to: r.object, label: r.type });

export function isNode(r: ProvRecord): r is NodeRecord {
  return r.record === 'node';
}
