import type http from 'node:http';
import { parsePythonJson, type PythonJson } from '../python-json';

/** HTTP helpers of the ProvLake routes (plain node handlers beside Apollo's /graphql). */
export class BodyTooLarge extends Error {}

/** The body as JSON; Python's NaN / Infinity tokens (requests' `json=` before 2.28 writes them) are read too. */
export async function readJson(req: http.IncomingMessage, max: number): Promise<PythonJson> {
  if (Number(req.headers['content-length'] ?? 0) > max) throw new BodyTooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > max) throw new BodyTooLarge();
    chunks.push(c as Buffer);
  }
  return parsePythonJson(Buffer.concat(chunks).toString('utf8'));
}

export function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): true {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
  return true;
}

/**
 * An error in our shape (`errors`) and in the one the library's `with_validation` mode logs
 * (`error`: a list of lists of {code, type, explanation}; codes starting with W are warnings).
 */
export function fail(
  res: http.ServerResponse,
  status: number,
  code: string,
  message: string,
  extensions: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): true {
  return send(
    res,
    status,
    { errors: [{ message, extensions: { code, ...extensions } }], error: [[{ code: 'E400', type: code, explanation: message }]] },
    headers,
  );
}

/**
 * The path of a request, parsed by hand: the library builds some URLs by concatenation
 * (`f"{service_url}/provenance/api/..."`), so a service URL ending in `/` gives `//`, which
 * `new URL` would read as a host. Repeated slashes are one.
 */
export function pathOf(req: http.IncomingMessage): string {
  const raw = (req.url ?? '/').split('?')[0].split('#')[0];
  return raw.replace(/\/{2,}/g, '/') || '/';
}
