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
}
interface Stop {
  cmd: 'stop';
}

let clients: Client[] = [];
let counts: number[] = [];
let closedAbnormally = 0;

process.on('message', (msg: Start | Stop | { cmd: 'count' }) => {
  if (msg.cmd === 'start') {
    counts = Array.from({ length: msg.n }, () => 0);
    clients = counts.map((_, i) => {
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
