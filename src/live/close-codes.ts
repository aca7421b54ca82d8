/**
 * WebSocket close codes of provml's subscription endpoint, besides graphql-ws's own (4400 bad
 * request, 4401/4403 not authorised, 4408 init timeout, 4409 duplicate id, 4429 many inits,
 * 4500 internal). SERVER_STOPPING and SLOW_SUBSCRIBER are not codes graphql-ws's client treats as fatal: it reconnects,
 * and a subscriber that passes its last cursor as `after` misses nothing (docs/live.md).
 */
export const LiveCloseCode = {
  /** 1001 "going away": the server is stopping (drain); reconnect to another replica. */
  SERVER_STOPPING: 1001,
  /** The subscriber fell behind by more than PROVML_LIVE_MAX_PENDING items and was dropped. */
  SLOW_SUBSCRIBER: 4029,
  /**
   * graphql-ws's 4403 Forbidden, sent by provml also to a connection already open whose token was
   * revoked or expired since (connection-recheck.ts); the reason says which. A client that
   * reconnects with the same token is refused at connection_init with the same code.
   */
  TOKEN_REVOKED: 4403,
} as const;
