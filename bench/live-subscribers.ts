/**
 * The subscriber side of bench/live.ts, in its own process (as remote clients would be: their
 * JSON parsing is not the server's CPU). Opens N WebSocket connections, each subscribed to
 * metrics(run), and counts the points and the frame bytes each one received.
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
  /** Select `series` (columnar) instead of `points`. */
  columnar: boolean;
  /** With columnar: `series`' compact fields (stepDeltaRuns, timeDeltaRunsMs) for steps and times. */
  compact: boolean;
}

const POINTS = `subscription($run: ID!) { metrics(run: $run) { cursor points { name value step recordedAt } } }`;
const SERIES = `subscription($run: ID!) { metrics(run: $run) { cursor series { name steps values startMs offsetsMs } } }`;
const COMPACT = `subscription($run: ID!) { metrics(run: $run) { cursor series { name values stepDeltaRuns timeDeltaRunsMs } } }`;
const queryOf = (m: Start) => (!m.columnar ? POINTS : m.compact ? COMPACT : SERIES);

let bytes = 0;
/** Every socket opened, for the bytes that crossed the wire (less than `bytes` with permessage-deflate). */
const sockets = new Set<WebSocket>();
const wireBytes = () => {
  let n = 0;
  for (const ws of sockets) n += (ws as unknown as { _socket?: { bytesRead: number } })._socket?.bytesRead ?? 0;
  return n;
};

/** Points in a frame without parsing it: one `"step":` per point, or the items of each `"values":[…]`. */
function countPoints(raw: Buffer, columnar: boolean): number {
  let n = 0;
  if (!columnar) {
    const marker = Buffer.from('"step":');
    for (let at = raw.indexOf(marker); at >= 0; at = raw.indexOf(marker, at + marker.length)) n++;
    return n;
  }
  const marker = Buffer.from('"values":[');
  for (let at = raw.indexOf(marker); at >= 0; at = raw.indexOf(marker, at)) {
    at += marker.length;
    const end = raw.indexOf(0x5d, at); // ]
    if (end > at) {
      n++;
      for (let i = at; i < end; i++) if (raw[i] === 0x2c) n++; // ,
    }
    at = end;
  }
  return n;
}

/** graphql-transport-ws by hand; counts the points in each frame. */
function rawSubscriber(url: string, run: string, i: number, columnar: boolean, query: string): { dispose(): Promise<void> } {
  const ws = new WebSocket(url.replace(/^http/, 'ws'), 'graphql-transport-ws');
  sockets.add(ws);
  ws.on('open', () => ws.send(JSON.stringify({ type: 'connection_init' })));
  ws.on('message', (raw: Buffer) => {
    bytes += raw.length;
    if (raw.length < 64 && raw.includes('connection_ack')) {
      ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query, variables: { run } } }));
      return;
    }
    counts[i] += countPoints(raw, columnar);
  });
  ws.on('close', (code) => {
    if (code !== 1000 && code !== 1005) closedAbnormally++;
  });
  return { dispose: async () => ws.close(1000) };
}

/** ws, counting the bytes of every frame it receives (what the subscribers cost the network). */
class CountingWebSocket extends WebSocket {
  constructor(...args: ConstructorParameters<typeof WebSocket>) {
    super(...args);
    sockets.add(this);
    this.on('message', (raw: Buffer) => (bytes += raw.length));
  }
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
    bytes = 0;
    sockets.clear();
    clients = counts.map((_, i) => {
      if (msg.raw) return rawSubscriber(msg.url, msg.run, i, msg.columnar, queryOf(msg));
      const c = createClient({
        url: msg.url.replace(/^http/, 'ws'),
        webSocketImpl: CountingWebSocket,
        retryAttempts: 0,
        lazy: false,
        on: {
          closed: (e) => {
            const code = (e as { code?: number }).code;
            if (code !== 1000) closedAbnormally++;
          },
        },
      });
      type Data = { metrics: { points?: unknown[]; series?: Array<{ values: unknown[] }> } };
      c.subscribe<Data>(
        { query: queryOf(msg), variables: { run: msg.run } },
        {
          next: (r) => {
            const m = r.data?.metrics;
            counts[i] += m?.points?.length ?? m?.series?.reduce((n, s) => n + s.values.length, 0) ?? 0;
          },
          error: () => closedAbnormally++,
          complete: () => undefined,
        },
      );
      return c;
    });
  } else if (msg.cmd === 'count') {
    const cpu = process.cpuUsage();
    process.send!({ counts, closedAbnormally, bytes, wire: wireBytes(), cpuUs: cpu.user + cpu.system });
  } else {
    void Promise.all(clients.map((c) => c.dispose())).then(() => {
      clients = [];
      process.send!({ stopped: true });
    });
  }
});
process.send!({ ready: true });
