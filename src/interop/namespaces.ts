/**
 * IRIs of the interoperability formats. The PROV-ML vocabulary has no canonical IRI (the
 * ProvLake paper publishes none), so provml uses its own, documented in docs/interop.md and
 * defined in ontology/prov-ml.ttl. Instances live under a separate namespace, one path
 * segment per kind, with the store's own ids percent-encoded.
 */
export const NS = {
  prov: 'http://www.w3.org/ns/prov#',
  xsd: 'http://www.w3.org/2001/XMLSchema#',
  rdf: 'http://www.w3.org/1999/02/22-rdf-syntax-ns#',
  rdfs: 'http://www.w3.org/2000/01/rdf-schema#',
  mls: 'http://www.w3.org/ns/mls#',
  provml: 'https://w3id.org/provml/ns#',
  provmlid: 'https://w3id.org/provml/id/',
} as const;
export type Prefix = keyof typeof NS;

export const prov = (local: string): string => NS.prov + local;
export const provml = (local: string): string => NS.provml + local;

export type InstanceKind = 'run' | 'task' | 'ref' | 'value' | 'agent' | 'workflow' | 'study' | 'metric';

const enc = (s: string): string => encodeURIComponent(s);

/** IRI of one record of the store; `parts` are joined with `/` after encoding each. */
export function instanceIri(kind: InstanceKind, ...parts: string[]): string {
  return `${NS.provmlid}${kind}/${parts.map(enc).join('/')}`;
}

export const runIri = (id: string) => instanceIri('run', id);
export const taskIri = (id: string) => instanceIri('task', id);
export const agentIri = (id: string) => instanceIri('agent', id);
export const refIri = (store: string, uri: string) => instanceIri('ref', store, uri);
export const workflowIri = (name: string, version: number) => instanceIri('workflow', name, String(version));
export const studyIri = (id: string) => instanceIri('study', id);

/** The kind and decoded parts of one of our instance IRIs, or null for any other IRI. */
export function parseInstanceIri(iri: string): { kind: InstanceKind; parts: string[] } | null {
  if (!iri.startsWith(NS.provmlid)) return null;
  const [kind, ...rest] = iri.slice(NS.provmlid.length).split('/');
  if (!['run', 'task', 'ref', 'value', 'agent', 'workflow', 'study', 'metric'].includes(kind)) return null;
  try {
    return { kind: kind as InstanceKind, parts: rest.map(decodeURIComponent) };
  } catch {
    return null;
  }
}

/** `prefix:local` for an IRI under a known namespace (longest match), or null. */
export function compact(iri: string, prefixes: Readonly<Record<string, string>> = NS): string | null {
  let best: [string, string] | null = null;
  for (const [p, ns] of Object.entries(prefixes)) {
    if (iri.startsWith(ns) && (!best || ns.length > best[1].length)) best = [p, ns];
  }
  return best ? `${best[0]}:${iri.slice(best[1].length)}` : null;
}
