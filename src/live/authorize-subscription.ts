import type { IncomingMessage } from 'node:http';
import type { DocumentNode } from 'graphql';
import type { Admission } from '../auth/access-gate';
import type { Principal } from '../auth/scopes';

/** What connection_init may carry (graphql-ws `connectionParams`), e.g. `{ authorization }`. */
export type ConnectionParams = Readonly<Record<string, unknown>> | undefined;

/** The access gate's two checks a subscription needs (src/auth/access-gate.ts). */
export interface SubscriptionGate {
  authenticate(req: IncomingMessage, what: string): Promise<Admission>;
  admitDocument(principal: Principal, doc: DocumentNode, operationName: string | null): Admission;
}

/**
 * Who opens a WebSocket connection, decided once at connection_init by the same gate as HTTP.
 * A browser's WebSocket cannot set headers, so the token may come in `connectionParams`
 * (`{ authorization: "Bearer …" }`, as GraphiQL sends it); the upgrade request's own
 * Authorization header is used otherwise. A refused connection is closed with 4403 Forbidden.
 */
export async function authorizeSubscription(
  gate: SubscriptionGate,
  connectionParams: ConnectionParams,
  request: IncomingMessage,
): Promise<Admission> {
  const fromParams = connectionParams?.authorization ?? connectionParams?.Authorization;
  const authorization = typeof fromParams === 'string' ? fromParams : request.headers.authorization;
  // The gate reads headers only: a view of the upgrade request with the token it should check.
  const asked = Object.create(request, {
    headers: { value: { ...request.headers, ...(authorization ? { authorization } : {}) } },
  }) as IncomingMessage;
  return gate.authenticate(asked, 'WS /graphql');
}
