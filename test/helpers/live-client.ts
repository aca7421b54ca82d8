import WebSocket from 'ws';

/**
 * A graphql-transport-ws client written out by hand (the protocol is four messages), so a test
 * can see every frame, pause reading like a slow subscriber, and read the close code.
 */
export interface LiveSubscription<T> {
  ws: WebSocket;
  /** `next` payloads' data, in arrival order. */
  data: T[];
  errors: unknown[];
  completed: boolean;
  /** Resolves with the close code and reason. */
  closed: Promise<{ code: number; reason: string }>;
  /** Waits until `pred` holds over what arrived (checked on every message), or fails after timeoutMs. */
  until(pred: (data: T[]) => boolean, timeoutMs?: number): Promise<void>;
  close(): void;
}

export const wsUrl = (httpUrl: string) => httpUrl.replace(/^http/, 'ws');

export async function subscribe<T>(
  httpUrl: string,
  query: string,
  variables: Record<string, unknown> = {},
  connectionParams: Record<string, unknown> = {},
): Promise<LiveSubscription<T>> {
  const ws = new WebSocket(wsUrl(httpUrl), 'graphql-transport-ws');
  const data: T[] = [];
  const errors: unknown[] = [];
  const watchers = new Set<() => void>();
  const sub: LiveSubscription<T> = {
    ws,
    data,
    errors,
    completed: false,
    closed: new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() }))),
    until: (pred, timeoutMs = 20_000) =>
      new Promise<void>((resolve, reject) => {
        if (pred(data)) return resolve();
        const timer = setTimeout(() => {
          watchers.delete(check);
          reject(
            new Error(`condition not met within ${timeoutMs} ms; ${data.length} messages, errors ${JSON.stringify(errors)}`),
          );
        }, timeoutMs);
        const check = () => {
          if (!pred(data)) return;
          clearTimeout(timer);
          watchers.delete(check);
          resolve();
        };
        watchers.add(check);
      }),
    close: () => ws.close(1000),
  };
  const acked = new Promise<void>((resolve, reject) => {
    ws.once('error', reject);
    ws.once('close', (code, reason) => reject(new Error(`closed before ack: ${code} ${reason.toString()}`)));
    ws.on('message', (raw) => {
      const msg = JSON.parse(raw.toString()) as { type: string; payload?: { data?: T; errors?: unknown[] } | unknown[] };
      if (msg.type === 'connection_ack') resolve();
      else if (msg.type === 'ping') ws.send(JSON.stringify({ type: 'pong' }));
      else if (msg.type === 'next') {
        const p = msg.payload as { data?: T; errors?: unknown[] };
        if (p.data) data.push(p.data);
        if (p.errors) errors.push(...p.errors);
      } else if (msg.type === 'error') errors.push(...(msg.payload as unknown[]));
      else if (msg.type === 'complete') sub.completed = true;
      for (const w of [...watchers]) w();
    });
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  ws.send(JSON.stringify({ type: 'connection_init', payload: connectionParams }));
  await acked;
  ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query, variables } }));
  return sub;
}
