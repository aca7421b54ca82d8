import type http from 'node:http';
import type { Duplex } from 'node:stream';
import {
  GraphQLError,
  OperationTypeNode,
  getOperationAST,
  parse,
  specifiedRules,
  validate,
  type GraphQLFormattedError,
  type GraphQLSchema,
} from 'graphql';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ParseLimits, QueryLimits } from '../config';
import { originAllowed } from '../security/cross-site';
import { createContext, type AppDeps } from '../context';
import { BadUserInputError, ProvmlError } from '../errors';
import type { Logger } from '../logger';
import { checkParseLimits, queryLimitsRule } from '../query-limits';
import { OPEN_PRINCIPAL, type Principal } from '../auth/scopes';
import { authorizeSubscription, connectionAuthorization, type SubscriptionGate } from './authorize-subscription';
import { ConnectionRecheck } from './connection-recheck';
import { LiveCloseCode } from './close-codes';
import { sharedSubscribe } from './shared-subscribe';
import { serveGraphqlWs } from './ws-transport';
import type { LiveHub } from './live-hub';

const CLOSE_GRACE_MS = 2000;

export interface LiveServer {
  /** Closes every subscription connection with this code (drain: LiveCloseCode.SERVER_STOPPING). */
  closeAll(code: number, reason: string): void;
  /** Subscriptions open on this replica (for the Prometheus gauge). */
  activeSubscriptions(): number;
  /** WebSocket connections open on this replica. */
  connections(): number;
  /** closeAll(SERVER_STOPPING) and stop accepting upgrades. */
  close(): Promise<void>;
}

export interface LiveServerOptions {
  httpServer: http.Server;
  schema: GraphQLSchema;
  deps: AppDeps & { live: LiveHub };
  limits: QueryLimits;
  /** The HTTP endpoint's error masking, applied to subscription errors too. */
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
  log: Logger;
  /** Access control: who connects (connection_init) and which root fields they may subscribe to. */
  gate: SubscriptionGate;
  /** Origins besides this server's own that may open a connection from a browser. */
  corsOrigins: readonly string[];
  parseLimits: ParseLimits;
  /** How often open connections have their token checked again (PROVML_AUTH_RECHECK_MS). */
  authRecheckMs: number;
}

/**
 * GraphQL subscriptions over graphql-ws on the HTTP server's port and path (`/graphql`). Only
 * subscription operations are taken over the socket: queries and mutations stay on HTTP, where
 * their limits and (later) access checks apply.
 */
export function attachLiveServer(opts: LiveServerOptions): LiveServer {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });
  const onUpgrade = (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path !== '/graphql') {
      socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    // Cross-site WebSocket hijacking: a browser sends Origin on every upgrade; a page from another
    // origin (not allowed by PROVML_CORS_ORIGINS) must not ride a user's connection.
    const origin = req.headers.origin;
    if (typeof origin === 'string' && !originAllowed(origin, req.headers.host, opts.corsOrigins)) {
      socket.end('HTTP/1.1 403 Forbidden\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  };
  opts.httpServer.on('upgrade', onUpgrade);
  const rules = [...specifiedRules, queryLimitsRule(opts.limits)];
  // Who each connection is, from its connection_init (held as long as the socket).
  const principals = new WeakMap<WebSocket, Principal>();
  const recheck = new ConnectionRecheck(opts.gate, opts.log, opts.authRecheckMs);
  // graphql-ws wraps an error thrown by a feed mid-stream (CURSOR_EXPIRED, a failed replay) in a
  // GraphQLError of its own, without extensions: a typed provml error is reported as itself.
  const mask = (errors: readonly GraphQLError[]) =>
    errors.map((e) => {
      const typed = e.originalError instanceof ProvmlError ? e.originalError : e;
      return opts.formatError(typed.toJSON(), typed);
    });

  const stopGraphqlWs = serveGraphqlWs<Record<string, unknown> | undefined>(
    {
      schema: opts.schema,
      subscribe: sharedSubscribe,
      validate: (schema, document) => validate(schema, document, rules),
      onConnect: async (ctx) => {
        const admitted = await authorizeSubscription(opts.gate, ctx.connectionParams, ctx.extra.request);
        if (admitted.ok) {
          principals.set(ctx.extra.socket, admitted.principal);
          recheck.watch(ctx.extra.socket, ctx.extra.request, connectionAuthorization(ctx.connectionParams, ctx.extra.request));
        }
        return admitted.ok;
      },
      context: (ctx) => ({
        ...createContext(opts.deps, principals.get(ctx.extra.socket) ?? OPEN_PRINCIPAL),
        connection: { drop: (code: number, reason: string) => ctx.extra.socket.close(code, reason) },
      }),
      onSubscribe: (_ctx, _id, payload) => {
        // The same document limits as over HTTP, before the text is parsed.
        const overLimit = checkParseLimits(payload.query, opts.parseLimits);
        if (overLimit) return [overLimit.error];
        let op;
        try {
          op = getOperationAST(parse(payload.query), payload.operationName);
        } catch {
          return undefined; // graphql-ws parses again and reports the syntax error
        }
        if (op && op.operation !== OperationTypeNode.SUBSCRIPTION) {
          return [new BadUserInputError('only subscriptions are served over WebSocket; send queries and mutations over HTTP')];
        }
        const principal = principals.get(_ctx.extra.socket);
        if (principal) {
          const admitted = opts.gate.admitDocument(principal, parse(payload.query), payload.operationName ?? null);
          if (!admitted.ok) return [admitted.denial.error];
        }
        return undefined;
      },
      onNext: (_ctx, _id, _payload, _args, result) => (result.errors ? { ...result, errors: mask(result.errors) } : undefined),
      onError: (_ctx, _id, _payload, errors) => mask(errors),
    },
    wss,
  );

  const closeAll = (code: number, reason: string) => {
    for (const client of wss.clients) client.close(code, reason);
  };
  return {
    closeAll,
    activeSubscriptions: () => opts.deps.live.activeSubscriptions(),
    connections: () => wss.clients.size,
    close: async () => {
      opts.httpServer.off('upgrade', onUpgrade);
      recheck.stop();
      closeAll(LiveCloseCode.SERVER_STOPPING, 'server stopping');
      // A client that reads nothing never answers the close frame; ws would wait 30 s for it.
      const cut = setTimeout(() => {
        for (const client of wss.clients) client.terminate();
      }, CLOSE_GRACE_MS);
      try {
        await stopGraphqlWs();
      } finally {
        clearTimeout(cut);
      }
    },
  };
}
