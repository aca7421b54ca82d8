/**
 * Worker entry of the embedded knowledge store: it owns the Oxigraph store and answers one
 * query at a time. A query runs synchronously inside WebAssembly and cannot be interrupted,
 * so it runs here, off the server's event loop; the owner enforces the timeout by terminating
 * this thread (see oxigraph-runner.ts). Imports stay light (no GraphQL): every restart pays them.
 */
import { parentPort, workerData } from 'node:worker_threads';
import oxigraph from 'oxigraph';
import { KnowledgeFileError, loadKnowledgeFiles } from './oxigraph-files';
import {
  plainTerm,
  type OxigraphAnswer,
  type OxigraphReply,
  type OxigraphRequest,
  type OxigraphWorkerData,
} from './oxigraph-protocol';
import type { RdfTerm, SparqlResult } from './knowledge-store';
import { fromRdfJs, type RdfJsTermLike } from './rdf-terms';
import type { DescribeRow } from './describe-rows';

const port = parentPort!;
const post = (reply: OxigraphReply) => port.postMessage(reply);

function answer(store: oxigraph.Store, request: OxigraphRequest): OxigraphAnswer {
  const result = store.query(request.sparql, { use_default_graph_as_union: true });
  if (request.op === 'describe') {
    const rows = (result as Array<Map<string, RdfJsTermLike>>).map((m) => {
      const row: DescribeRow = {};
      for (const [k, v] of m) row[k as keyof DescribeRow] = plainTerm(v);
      return row;
    });
    return { op: 'describe', rows };
  }
  return { op: 'query', result: toSparqlResult(result, request.form, request.rowCap) };
}

function toSparqlResult(result: ReturnType<oxigraph.Store['query']>, form: SparqlResult['form'], cap: number): SparqlResult {
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

async function main(): Promise<void> {
  const { files } = workerData as OxigraphWorkerData;
  const store = new oxigraph.Store();
  try {
    await loadKnowledgeFiles(store, files);
  } catch (err) {
    if (err instanceof KnowledgeFileError)
      post({ type: 'load-failed', file: err.file, reason: err.reason, message: err.message });
    else post({ type: 'load-failed', file: '', reason: 'read', message: String(err) });
    return;
  }
  port.on('message', (request: OxigraphRequest) => {
    try {
      post({ type: 'answer', id: request.id, answer: answer(store, request) });
    } catch (err) {
      // Oxigraph rejects what it cannot parse or evaluate.
      post({ type: 'failed', id: request.id, message: String(err) });
    }
  });
  post({ type: 'loaded', quads: store.size });
}

void main();
