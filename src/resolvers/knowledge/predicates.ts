/**
 * Prefixed names a query may use for predicates (`pml:basin`), so paper queries stay readable.
 * A fixed, documented set: anything else must be a full IRI.
 */
export const PREFIXES: Readonly<Record<string, string>> = {
  rdf: 'http://www.w3.org/1999/02/22-rdf-syntax-ns#',
  rdfs: 'http://www.w3.org/2000/01/rdf-schema#',
  xsd: 'http://www.w3.org/2001/XMLSchema#',
  owl: 'http://www.w3.org/2002/07/owl#',
  skos: 'http://www.w3.org/2004/02/skos/core#',
  dct: 'http://purl.org/dc/terms/',
  schema: 'http://schema.org/',
  prov: 'http://www.w3.org/ns/prov#',
  pml: 'http://provml.dev/ns/domain#',
};

/** `pml:basin` -> full IRI; a full IRI (or an unknown prefix) is returned as given. */
export function expandPredicate(name: string): string {
  const m = /^([A-Za-z][\w-]*):([^/]*)$/.exec(name);
  if (m && PREFIXES[m[1]] !== undefined) return PREFIXES[m[1]] + m[2];
  return name;
}
