import { BadUserInputError } from '../../errors';

/**
 * What provml writes into SPARQL text: IRIs checked against the IRIREF grammar (never
 * concatenated raw), and literals escaped by the SPARQL string rules.
 */

// IRIREF ::= '<' ([^<>"{}|^`\]-[#x00-#x20])* '>' , and we want an absolute IRI (a scheme).
const IRI_FORBIDDEN = /[\u0000-\u0020<>"{}|^`\\]/;
const IRI_SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/;
export const MAX_IRI_LENGTH = 4096;

/** Why `value` is not an absolute IRI we may write as `<value>`, or null when it is fine. */
export function iriProblem(value: unknown): string | null {
  if (typeof value !== 'string' || value.length === 0) return 'must be a non-empty string';
  if (value.length > MAX_IRI_LENGTH) return `is longer than ${MAX_IRI_LENGTH} characters`;
  if (!IRI_SCHEME.test(value)) return 'is not an absolute IRI (no scheme)';
  const bad = IRI_FORBIDDEN.exec(value);
  if (bad) {
    const code = bad[0].codePointAt(0)!.toString(16).padStart(4, '0');
    return `contains a character not allowed in an IRI (U+${code} at offset ${bad.index})`;
  }
  return null;
}

/** `<iri>` for a checked IRI; throws BadUserInputError naming `field` otherwise. */
export function iriRef(value: string, field = 'uri'): string {
  const problem = iriProblem(value);
  if (problem) throw new BadUserInputError(`${field} ${problem}`, field);
  return `<${value}>`;
}

/** A SPARQL string literal with every special character escaped. */
export function stringLiteral(value: string): string {
  return (
    '"' +
    value.replace(/[\\"\n\r\t\b\f]/g, (c) =>
      c === '\n' ? '\\n' : c === '\r' ? '\\r' : c === '\t' ? '\\t' : c === '\b' ? '\\b' : c === '\f' ? '\\f' : '\\' + c,
    ) +
    '"'
  );
}

/**
 * The query that describes many subjects at once: their properties and values, plus one
 * rdfs:label of each IRI object so a basin or field comes back with its name in the same trip.
 */
export function buildDescribeQuery(iris: readonly string[], rowCap: number, graphs: readonly string[] = []): string {
  const values = iris.map((iri) => iriRef(iri)).join(' ');
  const from = graphs.map((g) => `FROM ${iriRef(g, 'graph')}`).join('\n');
  return [
    'SELECT ?s ?p ?o (SAMPLE(?label) AS ?olabel)',
    from,
    'WHERE {',
    `  VALUES ?s { ${values} }`,
    '  ?s ?p ?o .',
    '  OPTIONAL { ?o <http://www.w3.org/2000/01/rdf-schema#label> ?label . FILTER(isIRI(?o)) }',
    '}',
    'GROUP BY ?s ?p ?o',
    `LIMIT ${Math.floor(rowCap) + 1}`,
  ]
    .filter((line) => line.length > 0)
    .join('\n');
}
