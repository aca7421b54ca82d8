import { createHash } from 'node:crypto';
import { NS, instanceIri } from '../namespaces';
import type { ProvRecord } from '../prov-records';
import { NODE_CLASS, RELATION_PROPERTY, keptTriple } from '../rdf-terms';
import { turtleIri, turtleObject } from '../turtle-writer';

/**
 * PROV-O of a record stream as SPARQL Update `INSERT DATA { GRAPH <g> { ... } }` requests, each
 * at most about `maxChars` long. The triples are those of the Turtle export (same terms, same
 * writer helpers) with one difference: a qualified relation's node (prov:Usage, prov:Generation,
 * ...) gets an IRI made from its content instead of a blank node. RDF graphs are sets, so
 * inserting the same run twice (a retry after a lost answer) then adds nothing.
 */
const PREFIXES = (['prov', 'xsd', 'rdfs', 'mls', 'provml'] as const).map((p) => `PREFIX ${p}: <${NS[p]}>`).join('\n');

/** IRIs allowed as a graph name: absolute, and nothing that would need escaping in `<...>`. */
export function assertGraphIri(graph: string): string {
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>"{}|^`\\]+$/.test(graph)) throw new Error(`not an absolute IRI: ${JSON.stringify(graph)}`);
  return graph;
}

function blocks(r: ProvRecord): string[] {
  const block = (subject: string, pairs: Array<[string, string]>) =>
    `${subject} ${pairs.map(([p, o]) => `${p} ${o}`).join(' ;\n    ')} .\n`;
  if (r.record === 'kept') {
    const t = keptTriple(r);
    return t ? [block(turtleIri(t[0]), [[turtleIri(t[1]), turtleIri(t[2])]])] : [];
  }
  if (r.record === 'class') return [block(turtleIri(r.id), [['a', r.classes.map(turtleIri).join(', ')]])];
  if (r.record === 'node') {
    const pairs: Array<[string, string]> = [['a', [NODE_CLASS[r.type], ...r.classes].map(turtleIri).join(', ')]];
    if (r.label !== undefined) pairs.push(['rdfs:label', JSON.stringify(r.label)]);
    if (r.startTime) pairs.push(['prov:startedAtTime', `${JSON.stringify(r.startTime)}^^xsd:dateTime`]);
    if (r.endTime) pairs.push(['prov:endedAtTime', `${JSON.stringify(r.endTime)}^^xsd:dateTime`]);
    for (const [p, v] of r.attrs) pairs.push([turtleIri(p), turtleObject(v)]);
    return [block(turtleIri(r.id), pairs)];
  }
  const prop = RELATION_PROPERTY[r.type];
  const out = [block(turtleIri(r.subject), [[turtleIri(prop.direct), turtleIri(r.object)]])];
  if (prop.qualified && (r.time || r.attrs.length)) {
    const [qp, qc, qo] = prop.qualified;
    const digest = createHash('sha256')
      .update(JSON.stringify([r.type, r.subject, r.object, r.time ?? null, r.attrs]))
      .digest('hex')
      .slice(0, 32);
    const q = turtleIri(instanceIri('value', 'qualified', digest));
    const inner: Array<[string, string]> = [
      ['a', turtleIri(qc)],
      [turtleIri(qo), turtleIri(r.object)],
    ];
    if (r.time) inner.push(['prov:atTime', `${JSON.stringify(r.time)}^^xsd:dateTime`]);
    for (const [p, v] of r.attrs) inner.push([turtleIri(p), turtleObject(v)]);
    out.push(block(turtleIri(r.subject), [[turtleIri(qp), q]]), block(q, inner));
  }
  return out;
}

export async function* insertDataUpdates(
  records: AsyncIterable<ProvRecord>,
  graph: string,
  maxChars = 256_000,
): AsyncGenerator<string> {
  const head = `${PREFIXES}\nINSERT DATA { GRAPH <${assertGraphIri(graph)}> {\n`;
  let buf = '';
  for await (const r of records) {
    for (const b of blocks(r)) {
      if (buf && buf.length + b.length > maxChars) {
        yield `${head}${buf}} }`;
        buf = '';
      }
      buf += b;
    }
  }
  if (buf) yield `${head}${buf}} }`;
}
