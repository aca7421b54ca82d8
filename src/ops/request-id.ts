import { randomUUID } from 'node:crypto';
import type http from 'node:http';

export const REQUEST_ID_HEADER = 'x-request-id';

// What a proxy or client may send: ids of tracing systems, UUIDs. Anything else (too long,
// control characters that would forge log lines) is replaced, not echoed.
const ACCEPTED = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

/** The request's id: the caller's X-Request-Id when it is a plain token, else a new UUID. */
export function requestIdOf(req: http.IncomingMessage): string {
  const given = req.headers[REQUEST_ID_HEADER];
  const value = Array.isArray(given) ? given[0] : given;
  return value && ACCEPTED.test(value) ? value : randomUUID();
}
