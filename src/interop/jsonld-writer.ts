import { NS } from './namespaces';
import type { AttrValue, ProvRecord } from './prov-records';
import { NODE_CLASS, RELATION_PROPERTY, keptTriple, literalOf } from './rdf-terms';

/**
 * PROV-O as JSON-LD: one node object per record in `@graph`, full IRIs throughout (no term
 * definitions to misread); node objects with the same `@id` merge, so records may repeat ids.
 */
function object(v: AttrValue): unknown {
  const lit = literalOf(v);
  if (!lit) return { '@id': v.value };
  if (v.kind === 'string') return lit.lexical;
  if (v.kind === 'langString') return { '@value': lit.lexical, '@language': v.lang };
  return { '@value': lit.lexical, '@type': lit.datatype };
}

function node(r: ProvRecord): Record<string, unknown> | null {
  if (r.record === 'kept') {
    const t = keptTriple(r);
    return t ? { '@id': t[0], [t[1]]: { '@id': t[2] } } : null;
  }
  if (r.record === 'class') return { '@id': r.id, '@type': r.classes };
  if (r.record === 'node') {
    const n: Record<string, unknown> = { '@id': r.id, '@type': [NODE_CLASS[r.type], ...r.classes] };
    if (r.label !== undefined) n[`${NS.rdfs}label`] = r.label;
    if (r.startTime) n[`${NS.prov}startedAtTime`] = { '@value': r.startTime, '@type': `${NS.xsd}dateTime` };
    if (r.endTime) n[`${NS.prov}endedAtTime`] = { '@value': r.endTime, '@type': `${NS.xsd}dateTime` };
    for (const [p, v] of r.attrs) {
      const prev = n[p];
      n[p] = prev === undefined ? object(v) : [...(Array.isArray(prev) ? prev : [prev]), object(v)];
    }
    return n;
  }
  const prop = RELATION_PROPERTY[r.type];
  const n: Record<string, unknown> = { '@id': r.subject, [prop.direct]: { '@id': r.object } };
  if (prop.qualified && (r.time || r.attrs.length)) {
    const [qp, qc, qo] = prop.qualified;
    const q: Record<string, unknown> = { '@type': qc, [qo]: { '@id': r.object } };
    if (r.time) q[`${NS.prov}atTime`] = { '@value': r.time, '@type': `${NS.xsd}dateTime` };
    for (const [p, v] of r.attrs) q[p] = object(v);
    n[qp] = q;
  }
  return n;
}

export async function* writeJsonLd(records: AsyncIterable<ProvRecord>): AsyncGenerator<string> {
  yield `{\n  "@context": ${JSON.stringify({ prov: NS.prov, xsd: NS.xsd, rdfs: NS.rdfs, mls: NS.mls, provml: NS.provml })},\n  "@graph": [\n`;
  let first = true;
  let buf = '';
  for await (const r of records) {
    const n = node(r);
    if (!n) continue;
    buf += `${first ? '' : ',\n'}    ${JSON.stringify(n)}`;
    first = false;
    if (buf.length > 1 << 16) {
      yield buf;
      buf = '';
    }
  }
  yield `${buf}\n  ]\n}\n`;
}
