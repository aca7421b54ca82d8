// GraphiQL's fetcher: a plain POST to the page's own path (/graphql, or /prefix/graphql behind a
// proxy), with the access token as `Authorization: Bearer`. A header of the same name typed in
// GraphiQL's headers editor wins, so the editor stays the one place to say anything exotic.
import type { ComponentProps } from 'react';
import type { GraphiQL } from 'graphiql';

export type Fetcher = ComponentProps<typeof GraphiQL>['fetcher'];

export function createFetcher(endpoint: string, token: string): Fetcher {
  return async (params, opts) => {
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    for (const [k, v] of Object.entries(opts?.headers ?? {})) headers[k.toLowerCase()] = String(v);
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
