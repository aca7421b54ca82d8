import { RDF_LANG_STRING, XSD_STRING, type RdfTerm } from './knowledge-store';

/** The part of an RDF/JS term we read; both Oxigraph and sparql-http-client give these. */
export interface RdfJsTermLike {
  termType: string;
  value: string;
  datatype?: { value: string } | null;
  language?: string;
}

/** Normalises an RDF/JS term, so both backends hand out identical values for identical data. */
export function fromRdfJs(term: RdfJsTermLike): RdfTerm {
  switch (term.termType) {
    case 'NamedNode':
      return { type: 'iri', value: term.value };
    case 'BlankNode':
      return { type: 'bnode', value: term.value };
    case 'Literal': {
      const language = term.language ? term.language.toLowerCase() : null;
      const datatype = language ? RDF_LANG_STRING : term.datatype?.value || XSD_STRING;
      return { type: 'literal', value: canonical(term.value, datatype), datatype, language };
    }
    default:
      // Quoted triples (RDF-star) and variables are not part of what provml reads.
      return { type: 'literal', value: term.value, datatype: XSD_STRING, language: null };
  }
}

const XSD_BOOLEAN = 'http://www.w3.org/2001/XMLSchema#boolean';

/** Virtuoso answers booleans as "1"/"0"; RDF's canonical form is "true"/"false". */
function canonical(value: string, datatype: string): string {
  if (datatype === XSD_BOOLEAN) return value === '1' ? 'true' : value === '0' ? 'false' : value;
  return value;
}
