import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { CloseCode, handleProtocols, makeServer, type ServerOptions } from 'graphql-ws';
import type { WebSocket, WebSocketServer } from 'ws';

export interface WsExtra {
  socket: WebSocket;
  request: http.IncomingMessage;
}

/**
 * graphql-ws over `ws`, as graphql-ws/use/ws does (its documented `makeServer(...).opened()`
 * transport API), with one difference: a `next` payload that many subscribers share is turned
 * into JSON and UTF-8 once, and every socket is sent that one Buffer. graphql-ws stringifies
 * every message for every socket; with 200 dashboards on one run that JSON.stringify was most
 * of the server's CPU, and after it the 200 copies of the same ~50 kB string that each
 * `ws.send(string)` flattened and encoded (and the garbage they left). The message replacer puts
 * a token in the place of a payload whose bytes are cached; `send` cuts the message at the token
 * and sends the text before it, the shared bytes and the text after it as the three fragments of
 * one WebSocket text message (RFC 6455 §5.4; ws's public `send(data, { fin })`): the peer
 * reassembles byte for byte what JSON.stringify would have written, with no per-socket copy here.
 */
const payloadBytes = new WeakMap<object, Buffer>();
const spliced = new Map<string, Buffer>();
let tokens = 0;
const TOKEN_PREFIX = '\u0000provml-json-';
const ESCAPED_PREFIX = JSON.stringify(TOKEN_PREFIX).slice(0, -1); // `"\u0000provml-json-`

const replacer = function (this: unknown, key: string, value: unknown): unknown {
  if (key !== 'payload' || typeof value !== 'object' || value === null) return value;
  const holder = this as { type?: unknown };
  if (holder.type !== 'next') return value;
  // graphql-ws copies each result into a fresh payload object; the `data` inside is the shared
  // execution's (shared-subscribe.ts). A payload with errors or extensions is not shared.
  const keys = Object.keys(value);
  const data = (value as { data?: unknown }).data;
  if (keys.length !== 1 || keys[0] !== 'data' || typeof data !== 'object' || data === null) return value;
  let bytes = payloadBytes.get(data);
  if (bytes === undefined) payloadBytes.set(data, (bytes = Buffer.from(JSON.stringify(value))));
  const token = `${TOKEN_PREFIX}${++tokens}`;
  spliced.set(token, bytes);
  return token;
};

/** A message cut at its shared payload: `head` + `body` + `tail` is the message's UTF-8. */
export interface SplitMessage {
  head: string;
  body: Buffer;
  tail: string;
}

/** The message's parts around the shared payload it names, or null (a message of its own). */
export function splitShared(data: string): SplitMessage | null {
  const at = data.indexOf(ESCAPED_PREFIX);
  if (at < 0) return null;
  const end = data.indexOf('"', at + ESCAPED_PREFIX.length);
  const token = TOKEN_PREFIX + data.slice(at + ESCAPED_PREFIX.length, end);
  const body = spliced.get(token);
  spliced.delete(token);
  return body === undefined ? null : { head: data.slice(0, at), body, tail: data.slice(end + 1) };
}

/** The message text, for a peer that is not sent fragments (tests; a compressing socket). */
export const joinSplit = (m: SplitMessage): Buffer => Buffer.concat([Buffer.from(m.head), m.body, Buffer.from(m.tail)]);

/** The replacer graphql-ws stringifies messages with (exported for the transport's tests). */
export const sharedPayloadReplacer = replacer;

/**
 * Sends one graphql-ws message; `done` runs once it was handed to the kernel (or failed), which
 * is when graphql-ws pulls the next message: a subscriber that does not read stops being sent
 * to, and its feed's backlog (live-feed.ts) is what drops it.
 */
function sendMessage(socket: WebSocket, raw: Duplex, data: string, done: (err?: Error) => void): void {
  const parts = splitShared(data);
  if (parts === null) return socket.send(data, (err) => done(err));
  // A socket that negotiated permessage-deflate compresses each message with its own context:
  // one message (ws compresses it), as before; fragments would each be deflated apart.
  if (socket.extensions !== '') return socket.send(joinSplit(parts), { binary: false }, (err) => done(err));
  let failed: Error | undefined;
  const note = (err?: Error) => (failed ??= err);
  // One write of the three frames (ws corks and uncorks around each frame; these nest).
  raw.cork();
  try {
    socket.send(parts.head, { binary: false, fin: false }, note);
    socket.send(parts.body, { binary: false, fin: false }, note);
    socket.send(parts.tail, { binary: false, fin: true }, (err) => done(failed ?? err));
  } finally {
    raw.uncork();
  }
}

const KEEP_ALIVE_MS = 12_000;

/** Serves graphql-ws on every connection of `wss`; returns the function that stops it. */
export function serveGraphqlWs<P extends Record<string, unknown> | undefined>(
  options: ServerOptions<P, WsExtra>,
  wss: WebSocketServer,
): () => Promise<void> {
  wss.options.handleProtocols = handleProtocols;
  const server = makeServer<P, WsExtra>({ ...options, jsonMessageReplacer: replacer });
  wss.on('connection', (socket: WebSocket, request: http.IncomingMessage) => {
    socket.once('error', () => socket.close(CloseCode.InternalServerError, 'Internal server error'));
    // Keep-alive: a peer that answers no ping within the interval is gone.
    let alive = true;
    socket.on('pong', () => (alive = true));
    const ping = setInterval(() => {
      if (!alive) return socket.terminate();
      alive = false;
      socket.ping();
    }, KEEP_ALIVE_MS);
    const closed = server.opened(
      {
        protocol: socket.protocol,
        send: (data) =>
          new Promise<void>((resolve, reject) => {
            // Synchronously after the stringify that made the token: its bytes are taken now.
            if (socket.readyState !== socket.OPEN) {
              splitShared(data); // forgets the token
              return resolve();
            }
            sendMessage(socket, request.socket, data, (err) => (err ? reject(err) : resolve()));
          }),
        close: (code, reason) => socket.close(code, reason),
        onMessage: (cb) =>
          socket.on('message', (raw) => {
            cb(String(raw)).catch(() => socket.close(CloseCode.InternalServerError, 'Internal server error'));
          }),
      },
      { socket, request },
    );
    socket.once('close', (code, reason) => {
      clearInterval(ping);
      void closed(code, String(reason));
    });
  });
  return async () => {
    wss.removeAllListeners('connection');
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  };
}
