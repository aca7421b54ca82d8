import type http from 'node:http';
import { ErrorCode } from '../errors';

/**
 * Cross-site request forgery and CORS, for every route of the server (/graphql, /prov,
 * /provlake/*, and whatever is added later), before any route reads the body.
 *
 * A browser page on another site can make a victim's browser send requests without asking the
 * server first ("simple" requests): a form POST (application/x-www-form-urlencoded,
 * multipart/form-data, text/plain), a body-less POST, a GET. Three rules close that:
 *  1. A request whose `Origin` is neither this server's own host nor in PROVML_CORS_ORIGINS is
 *     refused (403 FORBIDDEN_ORIGIN) before it runs; a preflight (OPTIONS) from such an origin
 *     gets no CORS headers, so the browser never sends the real request.
 *  2. A request that can change state (POST, PUT, PATCH, DELETE) must carry a content type a
 *     form cannot send: a missing or "simple" one is refused (415 UNSUPPORTED_MEDIA_TYPE). Any
 *     other type forces a preflight, which rule 1 answers. Browsers that omit `Origin` still
 *     send `Sec-Fetch-Site`, so a cross-site state change without `Origin` is refused too.
 *  3. GET never runs a mutation: Apollo refuses mutations over GET (405), and the custom GET
 *     routes (/prov, data-store lists) only read.
 * Non-browser clients (the capture clients, curl, the ProvLake library) send no `Origin` and a
 * JSON content type, so nothing changes for them.
 */
const SIMPLE_TYPES = new Set(['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain']);
const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
// What browsers may send to an allowed origin: JSON bodies, bearer tokens, Apollo's preflight headers.
const ALLOWED_HEADERS = 'authorization, content-type, accept, apollo-require-preflight, x-apollo-operation-name';

function refuse(res: http.ServerResponse, status: number, code: string, message: string): true {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', vary: 'Origin' });
  res.end(JSON.stringify({ errors: [{ message, extensions: { code } }] }));
  return true;
}

/** The media type of a content-type header, lower case, without parameters; '' when absent. */
function mediaType(header: string | undefined): string {
  return (header ?? '').split(';')[0].trim().toLowerCase();
}

/**
 * True when `origin` may call this server from a browser: listed in `allowed`, or the server's
 * own host (the page was served by this server). `null` (sandboxed frames, file://) is never own.
 */
export function originAllowed(origin: string, host: string | undefined, allowed: readonly string[]): boolean {
  if (allowed.includes(origin)) return true;
  try {
    const u = new URL(origin);
    return (u.protocol === 'http:' || u.protocol === 'https:') && !!host && u.host === host.toLowerCase();
  } catch {
    return false;
  }
}

/**
 * Applies the rules above to one request. Returns true when it answered the request (refused it,
 * or answered a CORS preflight); otherwise it has set the CORS response headers an allowed
 * origin needs and the route goes on.
 */
export function guardCrossSite(req: http.IncomingMessage, res: http.ServerResponse, allowed: readonly string[]): boolean {
  const origin = typeof req.headers.origin === 'string' ? req.headers.origin : undefined;
  const method = (req.method ?? 'GET').toUpperCase();
  if (origin !== undefined) {
    if (!originAllowed(origin, req.headers.host, allowed)) {
      return refuse(
        res,
        403,
        ErrorCode.FORBIDDEN_ORIGIN,
        `requests from origin ${origin.slice(0, 200)} are refused; a server operator can allow it with PROVML_CORS_ORIGINS`,
      );
    }
    res.setHeader('access-control-allow-origin', origin);
    res.setHeader('vary', 'Origin');
    res.setHeader('access-control-expose-headers', 'retry-after');
    if (method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined) {
      res.writeHead(204, {
        'access-control-allow-methods': 'GET, HEAD, POST, PUT',
        'access-control-allow-headers': ALLOWED_HEADERS,
        'access-control-max-age': '600',
      });
      res.end();
      return true;
    }
  }
  if (!UNSAFE_METHODS.has(method)) return false;
  const site = req.headers['sec-fetch-site'];
  if (origin === undefined && (site === 'cross-site' || site === 'same-site')) {
    return refuse(res, 403, ErrorCode.FORBIDDEN_ORIGIN, `a ${site} ${method} without an Origin header is refused`);
  }
  const type = mediaType(req.headers['content-type']);
  if (type === '' || SIMPLE_TYPES.has(type)) {
    return refuse(
      res,
      415,
      ErrorCode.UNSUPPORTED_MEDIA_TYPE,
      `${method} needs a JSON body with content-type application/json${type ? `, not ${type}` : ''} (a form cannot send one, so no other site can forge it)`,
    );
  }
  return false;
}
