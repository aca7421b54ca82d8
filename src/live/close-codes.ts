/**
 * WebSocket close codes of provml's subscription endpoint, besides graphql-ws's own (4400 bad
 * request, 4401/4403 not authorised, 4408 init timeout, 4409 duplicate id, 4429 many inits,
 * 4500 internal). Neither code below is one graphql-ws's client treats as fatal: it reconnects,
 * and a subscriber that passes its last cursor as `after` misses nothing (docs/live.md).
 */
export const LiveCloseCode = {
  /** 1001 "going away": the server is stopping (drain); reconnect to another replica. */
  SERVER_STOPPING: 1001,
  /** The subscriber fell behind by more than PROVML_LIVE_MAX_PENDING items and was dropped. */
  SLOW_SUBSCRIBER: 4029,
} as const;
