import type { SparqlQueryForm, SparqlResult } from './knowledge-store';
import type { RdfJsTermLike } from './rdf-terms';
import type { DescribeRow } from './describe-rows';

/**
 * Messages between the Oxigraph store's owner (main thread) and its worker. Everything is
 * plain data: Oxigraph's terms live in the worker's WebAssembly memory and never cross.
 */
export interface OxigraphWorkerData {
  files: string[];
}

export type OxigraphRequest =
  | { id: number; op: 'query'; sparql: string; form: SparqlQueryForm; rowCap: number }
  | { id: number; op: 'describe'; sparql: string };

export type OxigraphAnswer = { op: 'query'; result: SparqlResult } | { op: 'describe'; rows: DescribeRow[] };

export type OxigraphReply =
  | { type: 'loaded'; quads: number }
  | { type: 'load-failed'; file: string; reason: 'read' | 'parse'; message: string }
  | { type: 'answer'; id: number; answer: OxigraphAnswer }
  | { type: 'failed'; id: number; message: string };

/** An RDF/JS term reduced to the fields provml reads, so it can be posted. */
export function plainTerm(term: RdfJsTermLike): RdfJsTermLike {
  return {
    termType: term.termType,
    value: term.value,
    datatype: term.datatype ? { value: term.datatype.value } : null,
    language: term.language,
  };
}
