/**
 * The subscriber side of bench/live.ts, in its own process (as remote clients would be: their
 * JSON parsing is not the server's CPU). Opens N WebSocket connections with graphql-ws's client,
 * each subscribed to metrics(run), and counts the points each one received.
 */
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

interface Start {
  cmd: 'start';
  url: string;
  run: string;
  n: number;
  /** Count points in the raw frames instead of parsing them (clients whose CPU is elsewhere). */
  raw: boolean;
}

const QUERY = `subscription($run: ID!) { metrics(run: $run) { cursor points { name value step recordedAt } } }`;

/** graphql-transport-ws by hand; counts `"step":` in each frame (one per point). */
function rawSubscriber(url: string, run: string, i: number): { dispose(): Promise<void> } {
  const ws = new WebSocket(url.replace(/^http/, 'ws'), 'graphql-transport-ws');
  const marker = Buffer.from('"step":');
  ws.on('open', () => ws.send(JSON.stringify({ type: 'connection_init' })));
  ws.on('message', (raw: Buffer) => {
    if (raw.length < 64 && raw.includes('connection_ack')) {
      ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: QUERY, variables: { run } } }));
      return;
    }
    for (let at = raw.indexOf(marker); at >= 0; at = raw.indexOf(marker, at + marker.length)) counts[i]++;
  });
  ws.on('close', (code) => {
    if (code !== 1000 && code !== 1005) closedAbnormally++;
  });
  return { dispose: async () => ws.close(1000) };
}
interface Stop {
  cmd: 'stop';
}

let clients: Array<Pick<Client, 'dispose'>> = [];
let counts: number[] = [];
let closedAbnormally = 0;

process.on('message', (msg: Start | Stop | { cmd: 'count' }) => {
  if (msg.cmd === 'start') {
    counts = Array.from({ length: msg.n }, () => 0);
    clients = counts.map((_, i) => {
      if (msg.raw) return rawSubscriber(msg.url, msg.run, i);
      const c = createClient({
        url: msg.url.replace(/^http/, 'ws'),
        webSocketImpl: WebSocket,
        retryAttempts: 0,
        lazy: false,
        on: {
          closed: (e) => {
            const code = (e as { code?: number }).code;
            if (code !== 1000) closedAbnormally++;
          },
        },
      });
      c.subscribe<{ metrics: { points: Array<{ step: string }> } }>(
        {
          query: `subscription($run: ID!) { metrics(run: $run) { cursor points { name value step recordedAt } } }`,
          variables: { run: msg.run },
        },
        {
          next: (r) => (counts[i] += r.data?.metrics.points.length ?? 0),
          error: () => closedAbnormally++,
          complete: () => undefined,
        },
      );
      return c;
    });
  } else if (msg.cmd === 'count') {
    process.send!({ counts, closedAbnormally });
  } else {
    void Promise.all(clients.map((c) => c.dispose())).then(() => {
      clients = [];
      process.send!({ stopped: true });
    });
  }
});
process.send!({ ready: true });
