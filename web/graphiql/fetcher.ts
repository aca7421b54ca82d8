// GraphiQL's fetcher. Queries and mutations: a plain POST to the page's own path (/graphql, or
// /prefix/graphql behind a proxy), with the access token as `Authorization: Bearer`. A header of
// the same name typed in GraphiQL's headers editor wins, so the editor stays the one place to say
// anything exotic. Subscriptions: graphql-ws over a WebSocket to the same path (the server's
// subscriptions live on /graphql too, docs/live.md), with the same Authorization sent as
// connection_init's `connectionParams`, since a browser cannot set headers on a WebSocket upgrade.
import type { ComponentProps } from 'react';
import type { GraphiQL } from 'graphiql';
import { getOperationAST, parse } from 'graphql';
import { createClient, type Client } from 'graphql-ws';

export type Fetcher = ComponentProps<typeof GraphiQL>['fetcher'];
type FetcherParams = Parameters<Fetcher>[0];

/** ws:// or wss:// for the page's own origin and path. */
export function socketUrl(endpoint: string, base: string): string {
  const url = new URL(endpoint, base);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.href;
}

/** Whether the operation GraphiQL runs (its operationName, or the only one) is a subscription. */
export function isSubscription(params: FetcherParams): boolean {
  try {
    const op = getOperationAST(parse(params.query), params.operationName ?? undefined);
    return op?.operation === 'subscription';
  } catch {
    // A syntax error: let the server say so over HTTP.
    return false;
  }
}

/**
 * The operation name to send: GraphiQL keeps a tab's operationName from the editor's last parse,
 * so right after switching tabs it can still name the previous tab's operation (the server then
 * answers 400 "Unknown operation named Q1"). A name the document does not define is dropped when
 * the document has only one operation, which is then the one to run.
 */
export function operationNameFor(params: FetcherParams): string | null {
  const name = params.operationName ?? null;
  if (!name) return null;
  try {
    const ops = parse(params.query).definitions.filter((d) => d.kind === 'OperationDefinition');
    if (ops.some((d) => d.name?.value === name)) return name;
    return ops.length === 1 ? null : name;
  } catch {
    return name;
  }
}

export function createFetcher(endpoint: string, token: string): Fetcher {
  // One socket per Authorization (the token field's, or a tab's own header), opened on its first
  // subscription and closed by graphql-ws once none is left on it (lazy). No retries: a dropped
  // subscription shows its error in the result pane instead of silently reconnecting.
  const sockets = new Map<string, Client>();
  const socket = (authorization = '') => {
    let ws = sockets.get(authorization);
    if (!ws) {
      ws = createClient({
        url: socketUrl(endpoint, window.location.href),
        connectionParams: authorization ? { authorization } : {},
        retryAttempts: 0,
      });
      sockets.set(authorization, ws);
    }
    return ws;
  };

  return async (asked, opts) => {
    const params = { ...asked, operationName: operationNameFor(asked) };
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    for (const [k, v] of Object.entries(opts?.headers ?? {})) headers[k.toLowerCase()] = String(v);
    if (isSubscription(params)) {
      // GraphiQL shows each value the iterator yields in the result pane, replacing the last one.
      return socket(headers.authorization).iterate({
        query: params.query,
        operationName: params.operationName ?? undefined,
        variables: params.variables ?? undefined,
      });
    }
    const res = await fetch(endpoint, { method: 'POST', headers, body: JSON.stringify(params), credentials: 'same-origin' });
    const text = await res.text();
    try {
      return JSON.parse(text);
    } catch {
      // A proxy's HTML error page or a 502: show what came back instead of a parse error.
      return { errors: [{ message: `HTTP ${res.status}: ${text.slice(0, 500)}` }] };
    }
  };
}
