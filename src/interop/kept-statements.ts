import { NS, instanceIri, type InstanceKind } from './namespaces';
import { expand } from './prov-json-reader';
import type { AttrValue, KeptRecord } from './prov-records';

/**
 * Statements a PROV-JSON import kept as written (no provml equivalent: attribution, delegation,
 * specialization, a usage with a role, bundles, ...) live in their run's attributes:
 *
 *   statements:     { prefix: {ex: ...}, wasAttributedTo: {"_:id1": {"prov:entity": "ex:model", ...}}, ... }
 *                   (a small PROV-JSON document: the source's prefixes and the statements, as written)
 *   statementNodes: { "<source IRI>": ["task", "<task id>"], ... }
 *                   (which provml node the import made of each node those statements name)
 *
 * The export turns them back into statements of their PROV kind, their ends pointing at the
 * exported nodes, so another PROV tool reads `wasAttributedTo(model, alice)` again, not a JSON
 * attribute.
 */

/** The formal ends of each PROV-JSON relation, in the order PROV-DM writes them. */
export const FORMAL_ENDS: Readonly<Record<string, readonly string[]>> = {
  used: ['activity', 'entity'],
  wasGeneratedBy: ['entity', 'activity'],
  wasDerivedFrom: ['generatedEntity', 'usedEntity', 'activity', 'generation', 'usage'],
  wasInformedBy: ['informed', 'informant'],
  wasAssociatedWith: ['activity', 'agent', 'plan'],
  hadMember: ['collection', 'entity'],
  wasStartedBy: ['activity', 'trigger', 'starter'],
  wasEndedBy: ['activity', 'trigger', 'ender'],
  wasAttributedTo: ['entity', 'agent'],
  actedOnBehalfOf: ['delegate', 'responsible', 'activity'],
  wasInvalidatedBy: ['entity', 'activity'],
  wasInfluencedBy: ['influencee', 'influencer'],
  specializationOf: ['specificEntity', 'generalEntity'],
  alternateOf: ['alternate1', 'alternate2'],
  mentionOf: ['specificEntity', 'generalEntity', 'bundle'],
};

/** The unqualified PROV-O property of each kind: [subject end, property, object end]. */
export const KEPT_PROPERTY: Readonly<Record<string, readonly [string, string, string]>> = {
  used: ['activity', `${NS.prov}used`, 'entity'],
  wasGeneratedBy: ['entity', `${NS.prov}wasGeneratedBy`, 'activity'],
  wasDerivedFrom: ['generatedEntity', `${NS.prov}wasDerivedFrom`, 'usedEntity'],
  wasInformedBy: ['informed', `${NS.prov}wasInformedBy`, 'informant'],
  wasAssociatedWith: ['activity', `${NS.prov}wasAssociatedWith`, 'agent'],
  hadMember: ['collection', `${NS.prov}hadMember`, 'entity'],
  wasStartedBy: ['activity', `${NS.prov}wasStartedBy`, 'trigger'],
  wasEndedBy: ['activity', `${NS.prov}wasEndedBy`, 'trigger'],
  wasAttributedTo: ['entity', `${NS.prov}wasAttributedTo`, 'agent'],
  actedOnBehalfOf: ['delegate', `${NS.prov}actedOnBehalfOf`, 'responsible'],
  wasInvalidatedBy: ['entity', `${NS.prov}wasInvalidatedBy`, 'activity'],
  wasInfluencedBy: ['influencee', `${NS.prov}wasInfluencedBy`, 'influencer'],
  specializationOf: ['specificEntity', `${NS.prov}specializationOf`, 'generalEntity'],
  alternateOf: ['alternate1', `${NS.prov}alternateOf`, 'alternate2'],
  mentionOf: ['specificEntity', `${NS.prov}mentionOf`, 'generalEntity'],
};

export type StatementNode = [InstanceKind, ...string[]];

const PREDEFINED: Record<string, string> = { prov: NS.prov, xsd: NS.xsd };
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The source IRIs a kept statement names as its ends (for the import's statementNodes). */
export function namedNodes(section: string, body: unknown, prefixes: Record<string, string>): string[] {
  const ends = FORMAL_ENDS[section];
  if (!ends || !isObject(body)) return [];
  const all = { ...PREDEFINED, ...prefixes };
  const out: string[] = [];
  for (const key of Object.keys(body)) {
    const k = expand(key, all);
    if (!k.startsWith(NS.prov) || !ends.includes(k.slice(NS.prov.length))) continue;
    const v = body[key];
    if (typeof v === 'string') out.push(expand(v, all));
  }
  return out;
}

function attrValue(v: unknown, prefixes: Record<string, string>): AttrValue {
  if (typeof v === 'string') return { kind: 'string', value: v };
  if (typeof v === 'boolean') return { kind: 'boolean', value: v };
  if (typeof v === 'number')
    return Number.isInteger(v) && Math.abs(v) < 2 ** 31 ? { kind: 'int', value: v } : { kind: 'double', value: v };
  if (isObject(v) && '$' in v) {
    const raw = v.$;
    if (typeof v.lang === 'string') return { kind: 'langString', value: String(raw), lang: v.lang };
    if (typeof v.type === 'string') {
      const type = expand(v.type, prefixes);
      if (type === `${NS.prov}QUALIFIED_NAME`) return { kind: 'iri', value: expand(String(raw), prefixes) };
      if (type === `${NS.xsd}string`) return { kind: 'string', value: String(raw) };
      // Kept as written: lexical form and datatype, whatever provml would make of them.
      return { kind: 'typed', value: typeof raw === 'string' ? raw : JSON.stringify(raw), datatype: type };
    }
  }
  return { kind: 'json', value: v };
}

/**
 * The kept statements of one run's attributes as export records. An end the import mapped onto a
 * provml node points at that node's exported IRI; any other keeps its source IRI (PROV-JSON allows
 * a statement to name a node the document does not describe).
 */
export function keptRecordsOf(attributes: Record<string, unknown> | null | undefined): KeptRecord[] {
  const statements = attributes?.statements;
  if (!isObject(statements)) return [];
  const declared = isObject(statements.prefix) ? (statements.prefix as Record<string, string>) : {};
  const prefixes = { ...PREDEFINED, ...declared };
  const nodes = isObject(attributes?.statementNodes) ? (attributes!.statementNodes as Record<string, unknown>) : {};
  const exported = (source: string): string => {
    const n = nodes[source];
    return Array.isArray(n) && n.length >= 2 ? instanceIri(n[0] as InstanceKind, ...(n.slice(1) as string[])) : source;
  };
  const out: KeptRecord[] = [];
  for (const [section, byId] of Object.entries(statements)) {
    if (section === 'prefix' || !isObject(byId)) continue;
    for (const [rawId, body] of Object.entries(byId)) {
      const id = rawId.startsWith('_:') ? rawId : expand(rawId, prefixes);
      if (section === 'bundle') {
        if (!isObject(body)) continue;
        // A bundle is a document of its own: declare the source's prefixes inside it.
        const own = isObject(body.prefix) ? body.prefix : {};
        out.push({
          record: 'kept',
          section,
          id,
          ends: [],
          attrs: [],
          bundle: { ...body, prefix: { ...declared, ...own } },
          prefixes: declared,
        });
        continue;
      }
      const ends = FORMAL_ENDS[section];
      if (!ends || !isObject(body)) continue; // a section PROV-JSON does not define: in provml:attributes only
      const rec: KeptRecord = { record: 'kept', section, id, ends: [], attrs: [], prefixes: declared };
      for (const [key, v] of Object.entries(body)) {
        const k = expand(key, prefixes);
        const local = k.startsWith(NS.prov) ? k.slice(NS.prov.length) : null;
        if (local && ends.includes(local) && typeof v === 'string') rec.ends.push([k, exported(expand(v, prefixes))]);
        else if (local === 'time' && typeof v === 'string') rec.time = v;
        else for (const one of Array.isArray(v) ? v : [v]) rec.attrs.push([k, attrValue(one, prefixes)]);
      }
      rec.ends.sort((a, b) => ends.indexOf(a[0].slice(NS.prov.length)) - ends.indexOf(b[0].slice(NS.prov.length)));
      out.push(rec);
    }
  }
  return out;
}

/** The agents a run's kept statements name (a run's export declares them), from statementNodes. */
export function keptAgentIds(attributes: Record<string, unknown> | null | undefined): string[] {
  const nodes = attributes?.statementNodes;
  if (!isObject(nodes)) return [];
  const out = new Set<string>();
  for (const n of Object.values(nodes)) if (Array.isArray(n) && n[0] === 'agent' && typeof n[1] === 'string') out.add(n[1]);
  return [...out];
}
