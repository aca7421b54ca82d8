import { NS } from './namespaces';
import type { AttrValue, ProvRecord } from './prov-records';
import { NODE_CLASS, RELATION_PROPERTY, keptTriple, literalOf } from './rdf-terms';

/** PROV-O in Turtle, one statement block per record: it streams as the records come. */
const PREFIXES: Array<[string, string]> = [
  ['prov', NS.prov],
  ['xsd', NS.xsd],
  ['rdfs', NS.rdfs],
  ['mls', NS.mls],
  ['provml', NS.provml],
];
const LOCAL = /^[A-Za-z_][A-Za-z0-9_-]*$/;

export function turtleIri(iri: string): string {
  for (const [p, ns] of PREFIXES) {
    if (iri.startsWith(ns) && LOCAL.test(iri.slice(ns.length))) return `${p}:${iri.slice(ns.length)}`;
  }
  // IRIREF excludes these characters; our IRIs are percent-encoded already, this guards others.
  return `<${iri.replace(/[\u0000-\u0020<>"{}|^`\\]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0').toUpperCase()}`)}>`;
}

/** A Turtle string literal: JSON's escapes are all valid Turtle escapes. */
const quote = (s: string): string => JSON.stringify(s).replace(/\\u(d[89a-f][0-9a-f]{2})/gi, '\uFFFD');

export function turtleObject(v: AttrValue): string {
  const lit = literalOf(v);
  if (!lit) return turtleIri(v.value as string);
  if (v.kind === 'string') return quote(lit.lexical);
  if (v.kind === 'boolean') return lit.lexical;
  if (v.kind === 'langString') return `${quote(lit.lexical)}@${v.lang}`;
  return `${quote(lit.lexical)}^^${turtleIri(lit.datatype)}`;
}

function block(subject: string, pairs: Array<[string, string]>): string {
  return `${turtleIri(subject)} ${pairs.map(([p, o]) => `${p} ${o}`).join(' ;\n    ')} .\n`;
}

export async function* writeTurtle(records: AsyncIterable<ProvRecord>): AsyncGenerator<string> {
  yield PREFIXES.map(([p, ns]) => `@prefix ${p}: <${ns}> .`).join('\n') + '\n\n';
  let buf = '';
  for await (const r of records) {
    if (r.record === 'class') {
      buf += block(r.id, [['a', r.classes.map(turtleIri).join(', ')]]);
    } else if (r.record === 'node') {
      const pairs: Array<[string, string]> = [['a', [NODE_CLASS[r.type], ...r.classes].map(turtleIri).join(', ')]];
      if (r.label !== undefined) pairs.push(['rdfs:label', quote(r.label)]);
      if (r.startTime) pairs.push(['prov:startedAtTime', `${quote(r.startTime)}^^xsd:dateTime`]);
      if (r.endTime) pairs.push(['prov:endedAtTime', `${quote(r.endTime)}^^xsd:dateTime`]);
      for (const [p, v] of r.attrs) pairs.push([turtleIri(p), turtleObject(v)]);
      buf += block(r.id, pairs);
    } else if (r.record === 'kept') {
      const t = keptTriple(r);
      if (t) buf += block(t[0], [[turtleIri(t[1]), turtleIri(t[2])]]);
    } else {
      const prop = RELATION_PROPERTY[r.type];
      const pairs: Array<[string, string]> = [[turtleIri(prop.direct), turtleIri(r.object)]];
      if (prop.qualified && (r.time || r.attrs.length)) {
        const [qp, qc, qo] = prop.qualified;
        const inner = [`a ${turtleIri(qc)}`, `${turtleIri(qo)} ${turtleIri(r.object)}`];
        if (r.time) inner.push(`prov:atTime ${quote(r.time)}^^xsd:dateTime`);
        for (const [p, v] of r.attrs) inner.push(`${turtleIri(p)} ${turtleObject(v)}`);
        pairs.push([turtleIri(qp), `[ ${inner.join(' ; ')} ]`]);
      }
      buf += block(r.subject, pairs);
    }
    if (buf.length > 1 << 16) {
      yield buf;
      buf = '';
    }
  }
  if (buf) yield buf;
}
