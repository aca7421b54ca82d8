import { NS } from './namespaces';
import { KEPT_PROPERTY } from './kept-statements';
import type { AttrValue, KeptRecord, RelationRecord } from './prov-records';

/** Shared by the Turtle and JSON-LD writers: how PROV records become PROV-O triples. */
export const NODE_CLASS = { entity: `${NS.prov}Entity`, activity: `${NS.prov}Activity`, agent: `${NS.prov}Agent` } as const;

/** The direct PROV-O property of a relation, and its qualified form (property, class, object property). */
export const RELATION_PROPERTY: Record<RelationRecord['type'], { direct: string; qualified?: [string, string, string] }> = {
  used: { direct: `${NS.prov}used`, qualified: [`${NS.prov}qualifiedUsage`, `${NS.prov}Usage`, `${NS.prov}entity`] },
  wasGeneratedBy: {
    direct: `${NS.prov}wasGeneratedBy`,
    qualified: [`${NS.prov}qualifiedGeneration`, `${NS.prov}Generation`, `${NS.prov}activity`],
  },
  wasDerivedFrom: {
    direct: `${NS.prov}wasDerivedFrom`,
    qualified: [`${NS.prov}qualifiedDerivation`, `${NS.prov}Derivation`, `${NS.prov}entity`],
  },
  wasInformedBy: { direct: `${NS.prov}wasInformedBy` },
  wasAssociatedWith: { direct: `${NS.prov}wasAssociatedWith` },
  hadMember: { direct: `${NS.prov}hadMember` },
};

/** The lexical form and datatype IRI of a literal attribute (null for IRIs). */
export function literalOf(v: AttrValue): { lexical: string; datatype: string } | null {
  switch (v.kind) {
    case 'string':
      return { lexical: v.value, datatype: `${NS.xsd}string` };
    case 'int':
      return { lexical: String(v.value), datatype: `${NS.xsd}int` };
    case 'double':
      return { lexical: String(v.value), datatype: `${NS.xsd}double` };
    case 'boolean':
      return { lexical: String(v.value), datatype: `${NS.xsd}boolean` };
    case 'dateTime':
      return { lexical: v.value, datatype: `${NS.xsd}dateTime` };
    case 'json':
      return { lexical: JSON.stringify(v.value), datatype: `${NS.provml}json` };
    case 'typed':
      return { lexical: v.value, datatype: v.datatype };
    case 'langString':
      return { lexical: v.value, datatype: `${NS.rdf}langString` };
    case 'iri':
      return null;
  }
}

/**
 * A kept statement as one unqualified PROV-O triple (subject, property, object), or null: a
 * bundle (a named graph, which a triple stream cannot say) or a statement missing an end. Its
 * role, time and attributes stay in the run's provml:attributes; PROV-JSON writes them whole.
 */
export function keptTriple(r: KeptRecord): [string, string, string] | null {
  const shape = KEPT_PROPERTY[r.section];
  if (!shape || r.bundle) return null;
  const [s, p, o] = shape;
  const subject = r.ends.find(([k]) => k === `${NS.prov}${s}`)?.[1];
  const object = r.ends.find(([k]) => k === `${NS.prov}${o}`)?.[1];
  return subject && object ? [subject, p, object] : null;
}
