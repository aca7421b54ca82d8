import { readFile } from 'node:fs/promises';
import path from 'node:path';
import oxigraph from 'oxigraph';
import { BadUserInputError, StoreUnavailableError } from '../../errors';
import { oneLine, type StoreCallOptions } from '../store-call';
import { assembleDescriptions, partitionIris, type DescribeRow } from './describe-rows';
import {
  DEFAULT_ROW_CAP,
  type KnowledgeDescription,
  type KnowledgeStore,
  type RdfTerm,
  type SparqlResult,
} from './knowledge-store';
import { fromRdfJs, type RdfJsTermLike } from './rdf-terms';
import { assertReadOnlyQuery } from './sparql-read-only';
import { buildDescribeQuery } from './sparql-text';

export interface OxigraphKnowledgeStoreOptions extends StoreCallOptions {
  /** Most rows one call returns (default 10 000); past it results are cut and marked truncated. */
  rowCap?: number;
}

const FORMATS: Record<string, string> = {
  '.ttl': 'text/turtle',
  '.nt': 'application/n-triples',
  '.nq': 'application/n-quads',
  '.trig': 'application/trig',
  '.rdf': 'application/rdf+xml',
  '.owl': 'application/rdf+xml',
};

/** Builds an in-memory Oxigraph store from Turtle / N-Triples / N-Quads / TriG / RDF-XML files. */
export async function loadOxigraphStore(files: readonly string[]): Promise<oxigraph.Store> {
  const store = new oxigraph.Store();
  for (const file of files) {
    const format = FORMATS[path.extname(file).toLowerCase()];
    if (!format) {
      throw new BadUserInputError(
        `knowledge file ${file} has an unknown extension (use ${Object.keys(FORMATS).join(', ')})`,
        'files',
      );
    }
    const text = await readFile(file, 'utf8');
    try {
      store.load(text, { format, base_iri: `file://${path.resolve(file)}` });
    } catch (err) {
      throw new BadUserInputError(`knowledge file ${file} does not parse: ${oneLine(String(err))}`, 'files');
    }
  }
  return store;
}

/**
 * Knowledge store in process: Oxigraph (Rust, WebAssembly) over files loaded at start-up.
 * The default graph is the union of all graphs, as on most SPARQL servers. Queries run
 * synchronously on the event loop, so the timeout cannot interrupt one: this backend is for
 * small, local graphs; the row cap bounds what is returned, not what is evaluated.
 */
export class OxigraphKnowledgeStore implements KnowledgeStore {
  readonly id: string;
  private readonly rowCap: number;

  constructor(
    private readonly store: oxigraph.Store,
    private readonly options: OxigraphKnowledgeStoreOptions,
  ) {
    this.id = options.id;
    this.rowCap = options.rowCap ?? DEFAULT_ROW_CAP;
  }

  async describe(uris: readonly string[]): Promise<Array<KnowledgeDescription | null | Error>> {
    const { valid, errors } = partitionIris(uris);
    if (valid.length === 0) return assembleDescriptions(uris, [], this.rowCap, errors);
    try {
      const result = this.run(buildDescribeQuery(valid, this.rowCap));
      const rows = (result as Array<Map<string, RdfJsTermLike>>).map((m) => Object.fromEntries(m) as DescribeRow);
      return assembleDescriptions(uris, rows, this.rowCap, errors);
    } catch (err) {
      const typed = new StoreUnavailableError(this.id, oneLine(String(err)));
      return uris.map((_, i) => errors.get(i) ?? typed);
    }
  }

  async query(sparql: string, options: { rowCap?: number } = {}): Promise<SparqlResult> {
    const form = assertReadOnlyQuery(sparql);
    const cap = Math.min(options.rowCap ?? this.rowCap, this.rowCap);
    let result: ReturnType<oxigraph.Store['query']>;
    try {
      result = this.run(sparql);
    } catch (err) {
      // Oxigraph rejects what it cannot parse or evaluate: that is the caller's query.
      throw new BadUserInputError(`sparql failed: ${oneLine(String(err))}`, 'sparql');
    }
    if (form === 'ask') return { form, value: result === true };
    if (form === 'select') {
      const maps = result as Array<Map<string, RdfJsTermLike>>;
      const rows = maps
        .slice(0, cap)
        .map((m) => Object.fromEntries([...m].map(([k, v]) => [k, fromRdfJs(v)])) as Record<string, RdfTerm>);
      const variables = [...new Set(maps.flatMap((m) => [...m.keys()]))];
      return { form, variables, rows, truncated: maps.length > cap };
    }
    const quads = result as oxigraph.Quad[];
    const triples = quads.slice(0, cap).map((q) => ({
      subject: fromRdfJs(q.subject as RdfJsTermLike),
      predicate: fromRdfJs(q.predicate as RdfJsTermLike),
      object: fromRdfJs(q.object as RdfJsTermLike),
    }));
    return { form, triples, truncated: quads.length > cap };
  }

  async close(): Promise<void> {
    // Memory only; the garbage collector frees the WebAssembly store.
  }

  private run(sparql: string): ReturnType<oxigraph.Store['query']> {
    const started = Date.now();
    const out = this.store.query(sparql, { use_default_graph_as_union: true });
    this.options.log?.('debug', 'oxigraph query', { store: this.id, ms: Date.now() - started });
    return out;
  }
}
