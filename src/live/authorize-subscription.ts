import type { IncomingMessage } from 'node:http';

/** What connection_init may carry (graphql-ws `connectionParams`), e.g. `{ authorization }`. */
export type ConnectionParams = Readonly<Record<string, unknown>> | undefined;

/**
 * The one decision on whether a WebSocket connection may subscribe, taken at connection_init
 * (graphql-ws closes a refused one with 4403 Forbidden). Today it allows every connection, as the
 * HTTP endpoint does: access tokens (issue 11) are wired here, from `connectionParams` or the
 * upgrade request's headers. Until then keep the server on loopback.
 */
export async function authorizeSubscription(connectionParams: ConnectionParams, request: IncomingMessage): Promise<boolean> {
  void connectionParams;
  void request;
  return true;
}
