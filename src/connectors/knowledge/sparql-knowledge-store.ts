import { BadUserInputError } from '../../errors';
import { DEFAULT_TIMEOUT_MS, oneLine, toStoreError, withDeadline, type StoreCallOptions } from '../store-call';
import { assembleDescriptions, partitionIris, type DescribeRow } from './describe-rows';
import {
  DEFAULT_ROW_CAP,
  type KnowledgeDescription,
  type KnowledgeStore,
  type RdfTerm,
  type SparqlResult,
} from './knowledge-store';
import type { SparqlObjectStream, SparqlStreamClient } from './load-sparql-http-client';
import { fromRdfJs } from './rdf-terms';
import { assertReadOnlyQuery } from './sparql-read-only';
import { buildDescribeQuery } from './sparql-text';

export interface SparqlKnowledgeStoreOptions extends StoreCallOptions {
  /** Most rows one call reads (default 10 000); past it results are cut and marked truncated. */
  rowCap?: number;
  /** Named graphs `describe` reads (as FROM); empty means the endpoint's default graph. */
  graphs?: string[];
}

/**
 * Knowledge store over any SPARQL 1.1 endpoint (Virtuoso, Fuseki, GraphDB, Oxigraph server),
 * through sparql-http-client. Queries go as POST (urlencoded) so large VALUES lists fit.
 */
export class SparqlKnowledgeStore implements KnowledgeStore {
  readonly id: string;
  private readonly timeoutMs: number;
  private readonly rowCap: number;
  private readonly graphs: string[];

  constructor(
    private readonly client: SparqlStreamClient,
    private readonly options: SparqlKnowledgeStoreOptions,
  ) {
    this.id = options.id;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.rowCap = options.rowCap ?? DEFAULT_ROW_CAP;
    this.graphs = options.graphs ?? [];
  }

  async describe(uris: readonly string[]): Promise<Array<KnowledgeDescription | null | Error>> {
    const { valid, errors } = partitionIris(uris);
    if (valid.length === 0) return assembleDescriptions(uris, [], this.rowCap, errors);
    const query = buildDescribeQuery(valid, this.rowCap, this.graphs);
    try {
      const rows = await this.call('describe', (signal) =>
        readAtMost<DescribeRow>(this.client.query.select(query, { operation: 'postUrlencoded' }), this.rowCap + 1, signal),
      );
      return assembleDescriptions(uris, rows, this.rowCap, errors);
    } catch (err) {
      const typed = toStoreError(this.id, err, this.timeoutMs);
      return uris.map((_, i) => errors.get(i) ?? typed);
    }
  }

  async query(sparql: string, options: { rowCap?: number } = {}): Promise<SparqlResult> {
    const form = assertReadOnlyQuery(sparql);
    const cap = Math.min(options.rowCap ?? this.rowCap, this.rowCap);
    try {
      return await this.call('query', async (signal): Promise<SparqlResult> => {
        const op = { operation: 'postUrlencoded' } as const;
        if (form === 'ask') return { form, value: await this.client.query.ask(sparql, op) };
        if (form === 'select') {
          const raw = await readAtMost(this.client.query.select(sparql, op), cap + 1, signal);
          const rows = raw
            .slice(0, cap)
            .map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, fromRdfJs(v)])) as Record<string, RdfTerm>);
          const variables = [...new Set(raw.flatMap((row) => Object.keys(row)))];
          return { form, variables, rows, truncated: raw.length > cap };
        }
        const quads = await readAtMost(this.client.query.construct(sparql, op), cap + 1, signal);
        const triples = quads.slice(0, cap).map((q) => ({
          subject: fromRdfJs(q.subject),
          predicate: fromRdfJs(q.predicate),
          object: fromRdfJs(q.object),
        }));
        return { form, triples, truncated: quads.length > cap };
      });
    } catch (err) {
      // A 400 to a caller's query is the caller's syntax, not an outage.
      if ((err as { status?: unknown }).status === 400) {
        throw new BadUserInputError(
          `sparql was rejected by store ${this.id}: ${oneLine(String((err as Error).message))}`,
          'sparql',
        );
      }
      throw toStoreError(this.id, err, this.timeoutMs);
    }
  }

  async close(): Promise<void> {
    // The HTTP client holds no pool of its own to release.
  }

  private async call<T>(op: string, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const started = Date.now();
    try {
      let out: T;
      try {
        out = await withDeadline(this.id, this.timeoutMs, fn);
      } catch (err) {
        // A kept-alive socket the server closed meanwhile fails at once; reads are idempotent, so
        // one retry on a fresh connection, within what is left of the deadline, is safe.
        const left = this.timeoutMs - (Date.now() - started);
        if (!STALE_SOCKET.test(String((err as Error)?.message ?? err)) || left < this.timeoutMs / 2) throw err;
        out = await withDeadline(this.id, left, fn);
      }
      this.options.log?.('debug', 'sparql call', { store: this.id, op, ms: Date.now() - started });
      return out;
    } catch (err) {
      this.options.log?.('warn', 'sparql call failed', { store: this.id, op, ms: Date.now() - started, error: String(err) });
      throw err;
    }
  }
}

const STALE_SOCKET = /ECONNRESET|EPIPE|socket hang up|other side closed|UND_ERR_SOCKET/i;

/** Reads at most `max` items, then closes the stream so the server stops sending. */
async function readAtMost<T>(stream: SparqlObjectStream<T>, max: number, signal: AbortSignal): Promise<T[]> {
  const onAbort = () => stream.destroy();
  signal.addEventListener('abort', onAbort, { once: true });
  const out: T[] = [];
  try {
    for await (const item of stream) {
      out.push(item);
      if (out.length >= max) break;
    }
    return out;
  } finally {
    signal.removeEventListener('abort', onAbort);
    stream.destroy();
  }
}
