/**
 * The knowledge store: a user's RDF graph of domain knowledge (basin, field, wells, survey
 * reports). Read-only for provml. Two backends: any SPARQL 1.1 endpoint over HTTP
 * (`SparqlKnowledgeStore`) and an in-process Oxigraph loaded from files (`OxigraphKnowledgeStore`).
 */

/** One RDF term as provml hands it on: IRIs, blank nodes and literals with datatype and language. */
export type RdfTerm =
  | { type: 'iri'; value: string }
  | { type: 'bnode'; value: string }
  | {
      type: 'literal';
      value: string;
      /** Always set: xsd:string for simple literals, rdf:langString for tagged ones (RDF 1.1). */
      datatype: string;
      /** Lower-cased language tag, or null. */
      language: string | null;
    };

/** One property of a described resource; `objectLabel` is an rdfs:label of an IRI object, if any. */
export interface KnowledgeStatement {
  predicate: string;
  object: RdfTerm;
  objectLabel: string | null;
}

export interface KnowledgeDescription {
  uri: string;
  statements: KnowledgeStatement[];
  /** True when the batch hit the row cap: statements may be missing. */
  truncated: boolean;
}

export type SparqlQueryForm = 'select' | 'ask' | 'construct' | 'describe';

export type SparqlResult =
  | {
      form: 'select';
      variables: string[];
      rows: Array<Record<string, RdfTerm>>;
      truncated: boolean;
    }
  | { form: 'ask'; value: boolean }
  | {
      form: 'construct' | 'describe';
      triples: Array<{ subject: RdfTerm; predicate: RdfTerm; object: RdfTerm }>;
      truncated: boolean;
    };

export interface KnowledgeStore {
  readonly id: string;
  /**
   * Describes many resources in one query. The result is in key order: a description, `null`
   * where the store knows nothing about the URI, or an Error in that URI's slot (an invalid IRI
   * gets a BadUserInputError; a store failure puts the same typed error in every slot).
   */
  describe(uris: readonly string[]): Promise<Array<KnowledgeDescription | null | Error>>;
  /**
   * Runs a read-only SPARQL query (SELECT, ASK, CONSTRUCT or DESCRIBE); updates and non-standard
   * prologues are refused with BadUserInputError. Rows past `rowCap` are dropped and `truncated` set.
   */
  query(sparql: string, options?: { rowCap?: number }): Promise<SparqlResult>;
  close(): Promise<void>;
}

export const XSD_STRING = 'http://www.w3.org/2001/XMLSchema#string';
export const RDF_LANG_STRING = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#langString';
export const RDFS_LABEL = 'http://www.w3.org/2000/01/rdf-schema#label';
export const DEFAULT_ROW_CAP = 10_000;
