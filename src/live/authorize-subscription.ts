import type { IncomingMessage } from 'node:http';
import type { DocumentNode } from 'graphql';
import type { Admission } from '../auth/access-gate';
import type { Principal } from '../auth/scopes';
import { asRequest } from './connection-recheck';

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
/** The token a connection presents: connectionParams first (what a browser can send), else the upgrade header. */
export function connectionAuthorization(connectionParams: ConnectionParams, request: IncomingMessage): string | undefined {
  const fromParams = connectionParams?.authorization ?? connectionParams?.Authorization;
  return typeof fromParams === 'string' ? fromParams : request.headers.authorization;
}

export async function authorizeSubscription(
  gate: SubscriptionGate,
  connectionParams: ConnectionParams,
  request: IncomingMessage,
): Promise<Admission> {
  return gate.authenticate(asRequest(request, connectionAuthorization(connectionParams, request)), 'WS /graphql');
}
