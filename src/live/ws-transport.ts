import type http from 'node:http';
import { CloseCode, handleProtocols, makeServer, type ServerOptions } from 'graphql-ws';
import type { WebSocket, WebSocketServer } from 'ws';

export interface WsExtra {
  socket: WebSocket;
  request: http.IncomingMessage;
}

/**
 * graphql-ws over `ws`, as graphql-ws/use/ws does (its documented `makeServer(...).opened()`
 * transport API), with one difference: a `next` payload that many subscribers share is turned
 * into JSON once. graphql-ws stringifies every message for every socket; with 200 dashboards
 * on one run that JSON.stringify was most of the server's CPU. The message replacer puts a token
 * in the place of a payload whose JSON is cached, and `send` splices the cached JSON in for it:
 * byte for byte what JSON.stringify would have written.
 */
const payloadJson = new WeakMap<object, string>();
const spliced = new Map<string, string>();
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
  let json = payloadJson.get(data);
  if (json === undefined) payloadJson.set(data, (json = JSON.stringify(value)));
  const token = `${TOKEN_PREFIX}${++tokens}`;
  spliced.set(token, json);
  return token;
};

function splice(data: string): string {
  const at = data.indexOf(ESCAPED_PREFIX);
  if (at < 0) return data;
  const end = data.indexOf('"', at + ESCAPED_PREFIX.length);
  const token = TOKEN_PREFIX + data.slice(at + ESCAPED_PREFIX.length, end);
  const json = spliced.get(token);
  spliced.delete(token);
  return json === undefined ? data : data.slice(0, at) + json + data.slice(end + 1);
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
            const text = splice(data); // synchronously after the stringify that made the token
            if (socket.readyState !== socket.OPEN) return resolve();
            socket.send(text, (err) => (err ? reject(err) : resolve()));
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
