import type { IncomingMessage } from 'node:http';
import type { WebSocket } from 'ws';
import type { Logger } from '../logger';
import type { SubscriptionGate } from './authorize-subscription';
import { LiveCloseCode } from './close-codes';

/**
 * A WebSocket connection outlives the request that opened it, so its token is checked again on
 * a clock: a token revoked or expired after connection_init closes its connections within one
 * interval (PROVML_AUTH_RECHECK_MS), on every replica, as HTTP refuses it at once. Each round asks
 * the store once per distinct token, not once per connection (200 dashboards on one token cost one
 * indexed SELECT). A round the store cannot answer (PostgreSQL down) closes nothing: the
 * connection was admitted, and dropping every dashboard because the database restarts would turn
 * an outage of one store into a reconnect storm; the next round decides.
 */
export class ConnectionRecheck {
  private readonly sockets = new Map<WebSocket, { request: IncomingMessage; authorization: string | undefined }>();
  private readonly timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(
    private readonly gate: SubscriptionGate,
    private readonly log: Logger,
    intervalMs: number,
  ) {
    if (intervalMs > 0) {
      this.timer = setInterval(() => void this.round(), intervalMs);
      this.timer.unref();
    }
  }

  /** Follows an admitted connection until it closes. */
  watch(socket: WebSocket, request: IncomingMessage, authorization: string | undefined): void {
    this.sockets.set(socket, { request, authorization });
    socket.once('close', () => this.sockets.delete(socket));
  }

  /** One round of checks (exported for the clock and for tests that cannot wait for it). */
  async round(): Promise<void> {
    if (this.running) return; // a slow store: never two rounds at once
    this.running = true;
    try {
      const byToken = new Map<string, WebSocket[]>();
      for (const [socket, seen] of this.sockets) {
        const key = seen.authorization ?? '';
        const list = byToken.get(key);
        if (list) list.push(socket);
        else byToken.set(key, [socket]);
      }
      for (const [authorization, sockets] of byToken) {
        const first = this.sockets.get(sockets[0]);
        if (!first) continue;
        let admitted;
        try {
          admitted = await this.gate.authenticate(asRequest(first.request, authorization || undefined), 'WS /graphql (recheck)');
        } catch (err) {
          this.log.warn('subscription token recheck skipped: the token store did not answer', {
            error: err instanceof Error ? err.message : String(err),
            connections: sockets.length,
          });
          continue;
        }
        if (admitted.ok) continue;
        // Only a refusal of who the caller is (401) closes: scopes and rate limits are per subscribe.
        if (admitted.denial.status !== 401) continue;
        const reason = admitted.denial.error.message.slice(0, 120); // a close reason is at most 123 bytes
        for (const socket of sockets) socket.close(LiveCloseCode.TOKEN_REVOKED, reason);
        this.log.info('subscription connections closed: token no longer valid', { connections: sockets.length, reason });
      }
    } finally {
      this.running = false;
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.sockets.clear();
  }
}

/** The gate reads headers only: a view of the upgrade request carrying the token to check. */
export function asRequest(request: IncomingMessage, authorization: string | undefined): IncomingMessage {
  const headers = { ...request.headers };
  if (authorization) headers.authorization = authorization;
  else delete headers.authorization;
  return Object.create(request, { headers: { value: headers } }) as IncomingMessage;
}
