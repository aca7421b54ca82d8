import type http from 'node:http';
import type { AppDeps } from '../context';
import { ProvmlError } from '../errors';
import { CONTENT_TYPES, exportDocument, parseFormat, parseScope, type ExportFormat } from './export-document';

/**
 * `GET /prov` (whole store), `GET /prov/runs/{id}`, `GET /prov/entity?uri=...&depth=N`: the
 * export documents over HTTP. The format comes from `?format=`, else from the Accept header.
 * Returns false when the path is not under /prov, so the server tries its other routes.
 */
const ACCEPT: Array<[RegExp, ExportFormat]> = [
  [/text\/turtle/, 'turtle'],
  [/application\/ld\+json/, 'jsonld'],
  [/image\/svg\+xml/, 'svg'],
  [/text\/vnd\.graphviz/, 'dot'],
  [/application\/(json|provenance\+json)/, 'prov-json'],
];

export function negotiate(accept: string | undefined): ExportFormat {
  for (const [re, f] of ACCEPT) if (accept && re.test(accept)) return f;
  return 'prov-json';
}

export async function handleProvRoute(req: http.IncomingMessage, res: http.ServerResponse, deps: AppDeps): Promise<boolean> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const m = /^\/prov(?:\/(runs)\/([^/]+)|\/(entity))?\/?$/.exec(url.pathname);
  if (!url.pathname.startsWith('/prov') || url.pathname.startsWith('/provlake')) return false;
  const fail = (status: number, code: string, message: string) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify({ errors: [{ message, extensions: { code } }] }));
    return true;
  };
  if (!m) return fail(404, 'NOT_FOUND', `no route ${url.pathname}; try /prov, /prov/runs/{id} or /prov/entity?uri=`);
  if (req.method !== 'GET' && req.method !== 'HEAD') return fail(405, 'BAD_USER_INPUT', 'use GET');
  let chunks: AsyncGenerator<string>;
  let format: ExportFormat;
  try {
    format = url.searchParams.has('format') ? parseFormat(url.searchParams.get('format')) : negotiate(req.headers.accept);
    const depth = url.searchParams.has('depth') ? Number(url.searchParams.get('depth')) : undefined;
    const scope = parseScope(m[1] ? decodeURIComponent(m[2]) : null, m[3] ? (url.searchParams.get('uri') ?? '') : null, depth);
    if (m[3] && !url.searchParams.get('uri')) return fail(400, 'BAD_USER_INPUT', 'uri is required');
    chunks = exportDocument(deps.store, scope, format, {
      maxDepth: deps.config.lineageMaxDepth,
      nodeCap: deps.config.lineageNodeCap,
    });
    // Pull the first chunk before the status line, so that a missing run is a 404, not a broken 200.
    const first = await chunks.next();
    res.writeHead(200, { 'content-type': `${CONTENT_TYPES[format]}; charset=utf-8`, vary: 'accept' });
    if (req.method === 'HEAD') return (res.end(), true);
    if (!first.done) res.write(first.value);
  } catch (err) {
    if (err instanceof ProvmlError) return fail(err.code === 'NOT_FOUND' ? 404 : 400, err.code, err.message);
    throw err;
  }
  try {
    for await (const c of chunks) if (!res.write(c)) await new Promise<void>((r) => res.once('drain', () => r()));
  } catch (err) {
    // The status line is gone: all a client can be told is that the document broke off.
    deps.log.error('export failed while streaming', {
      path: url.pathname,
      error: err instanceof Error ? err.message : String(err),
    });
    res.destroy(err instanceof Error ? err : new Error(String(err)));
    return true;
  }
  res.end();
  return true;
}
