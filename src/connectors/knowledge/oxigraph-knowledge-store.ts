import path from 'node:path';
import { BadUserInputError, ProvmlError, StoreUnavailableError } from '../../errors';
import { DEFAULT_TIMEOUT_MS, oneLine, type StoreCallOptions } from '../store-call';
import { assembleDescriptions, partitionIris } from './describe-rows';
import { DEFAULT_ROW_CAP, type KnowledgeDescription, type KnowledgeStore, type SparqlResult } from './knowledge-store';
import { KNOWLEDGE_FORMATS, unknownFormatFile } from './oxigraph-files';
import { OxigraphQueryError, OxigraphRunner, type OxigraphRunnerOptions } from './oxigraph-runner';
import { assertReadOnlyQuery } from './sparql-read-only';
import { buildDescribeQuery } from './sparql-text';

export interface OxigraphKnowledgeStoreOptions extends StoreCallOptions {
  /** Most rows one call returns (default 10 000); past it results are cut and marked truncated. */
  rowCap?: number;
}

/**
 * Knowledge files known to load (Turtle / N-Triples / N-Quads / TriG / RDF-XML), with the worker
 * that loaded them: the first store made from them takes that worker, later ones load their own.
 */
export class OxigraphFiles {
  constructor(
    readonly files: readonly string[],
    private spare: OxigraphRunner | null,
  ) {}

  runner(options: OxigraphRunnerOptions): OxigraphRunner {
    const runner = this.spare ?? new OxigraphRunner(this.files, options);
    this.spare = null;
    runner.configure(options);
    return runner;
  }
}

/**
 * Checks that every file has a known syntax and loads, in a worker, so that a bad file fails
 * start-up with the file's name (BadUserInputError on field `files`) rather than the first query.
 */
export async function loadOxigraphStore(files: readonly string[]): Promise<OxigraphFiles> {
  const unknown = unknownFormatFile(files);
  if (unknown !== undefined) {
    throw new BadUserInputError(
      `knowledge file ${unknown} has an unknown extension (use ${Object.keys(KNOWLEDGE_FORMATS).join(', ')})`,
      'files',
    );
  }
  const absolute = files.map((f) => path.resolve(f));
  const runner = new OxigraphRunner(absolute, { id: 'knowledge', timeoutMs: DEFAULT_TIMEOUT_MS });
  try {
    await runner.loaded();
  } catch (err) {
    await runner.close();
    throw err;
  }
  return new OxigraphFiles(absolute, runner);
}

/**
 * Knowledge store in process: Oxigraph (Rust, WebAssembly) over files, in a worker thread of
 * its own, so a long query never holds the server's event loop. The default graph is the union
 * of all graphs, as on most SPARQL servers. Calls run one at a time under `timeoutMs`; a query
 * past it answers STORE_TIMEOUT and its worker is replaced (see OxigraphRunner). The row cap
 * bounds what is returned, not what is evaluated.
 */
export class OxigraphKnowledgeStore implements KnowledgeStore {
  readonly id: string;
  private readonly rowCap: number;
  private readonly runner: OxigraphRunner;

  constructor(source: OxigraphFiles, options: OxigraphKnowledgeStoreOptions) {
    this.id = options.id;
    this.rowCap = options.rowCap ?? DEFAULT_ROW_CAP;
    this.runner = source.runner({ id: options.id, timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS, log: options.log });
  }

  async describe(uris: readonly string[]): Promise<Array<KnowledgeDescription | null | Error>> {
    const { valid, errors } = partitionIris(uris);
    if (valid.length === 0) return assembleDescriptions(uris, [], this.rowCap, errors);
    try {
      const answer = await this.runner.run({ op: 'describe', sparql: buildDescribeQuery(valid, this.rowCap) });
      return assembleDescriptions(uris, answer.op === 'describe' ? answer.rows : [], this.rowCap, errors);
    } catch (err) {
      const typed = err instanceof ProvmlError ? err : new StoreUnavailableError(this.id, oneLine(String(err)));
      return uris.map((_, i) => errors.get(i) ?? typed);
    }
  }

  async query(sparql: string, options: { rowCap?: number } = {}): Promise<SparqlResult> {
    const form = assertReadOnlyQuery(sparql);
    const rowCap = Math.min(options.rowCap ?? this.rowCap, this.rowCap);
    try {
      const answer = await this.runner.run({ op: 'query', sparql, form, rowCap });
      if (answer.op !== 'query') throw new StoreUnavailableError(this.id, 'knowledge worker answered out of turn');
      return answer.result;
    } catch (err) {
      // Oxigraph rejects what it cannot parse or evaluate: that is the caller's query.
      if (err instanceof OxigraphQueryError) throw new BadUserInputError(`sparql failed: ${oneLine(err.message)}`, 'sparql');
      throw err;
    }
  }

  close(): Promise<void> {
    return this.runner.close();
  }
}
