/**
 * The subscription transport (src/live/ws-transport.ts) on a real `ws` server: a payload that
 * subscribers share goes out as the middle fragment of a three-fragment text message, and what a
 * peer reassembles is byte for byte the JSON.stringify of graphql-ws's message: with a raw `ws`
 * client, with graphql-ws's own client, at the frame level (opcodes and FIN bits read off the
 * TCP stream), and with permessage-deflate negotiated (one compressed message instead).
 */
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { createHash, randomBytes } from 'node:crypto';
import { GraphQLObjectType, GraphQLSchema, GraphQLString, GraphQLList, GraphQLFloat, GraphQLNonNull } from 'graphql';
import { createClient } from 'graphql-ws';
import WebSocket, { WebSocketServer } from 'ws';
import { serveGraphqlWs } from '../../src/live/ws-transport';
import { sharedSubscribe } from '../../src/live/shared-subscribe';

// Text whose UTF-8 is longer than its UTF-16 (2-, 3- and 4-byte characters, a line separator that
// JSON.stringify leaves as it is, a lone surrogate that it escapes), so that a copy cut by
// characters instead of bytes would show.
const TEXT = 'é — 漢字 😀 \u2028 \ud800 "quoted" \\ end';
const VALUES = Array.from({ length: 5000 }, (_, i) => i / 7);

/** The same objects for every subscriber, as LiveHub.shared hands them out. */
const EVENT = { tick: { text: TEXT, values: VALUES } };

const Tick = new GraphQLObjectType({
  name: 'Tick',
  fields: {
    text: { type: GraphQLString },
    values: { type: new GraphQLList(new GraphQLNonNull(GraphQLFloat)) },
  },
});
const schema = new GraphQLSchema({
  query: new GraphQLObjectType({ name: 'Query', fields: { ok: { type: GraphQLString } } }),
  subscription: new GraphQLObjectType({
    name: 'Subscription',
    fields: {
      tick: {
        type: Tick,
        args: { n: { type: GraphQLFloat } },
        subscribe: async function* (_root: unknown, args: { n?: number }) {
          for (let i = 0; i < (args.n ?? 2); i++) yield EVENT;
        },
        resolve: (event: unknown) => (event as typeof EVENT).tick,
      },
    },
  }),
});

const QUERY = 'subscription { tick(n: 2) { text values } }';
const expectedMessage = (id: string) =>
  JSON.stringify({ id, type: 'next', payload: { data: { tick: { text: TEXT, values: VALUES } } } });

interface Served {
  url: string;
  port: number;
  stop(): Promise<void>;
}

async function serve(perMessageDeflate = false): Promise<Served> {
  const server = http.createServer();
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate });
  server.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req)));
  const stopWs = serveGraphqlWs({ schema, subscribe: sharedSubscribe }, wss);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}/graphql`,
    port,
    stop: async () => {
      for (const c of wss.clients) c.terminate();
      await stopWs();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A raw `ws` client speaking graphql-transport-ws: every message as received (text, binary flag). */
async function rawMessages(url: string, perMessageDeflate: boolean, want: number) {
  const ws = new WebSocket(url, 'graphql-transport-ws', { perMessageDeflate });
  const got: Array<{ text: string; binary: boolean }> = [];
  const done = new Promise<void>((resolve, reject) => {
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      const text = data.toString('utf8');
      if (text.includes('connection_ack')) {
        ws.send(JSON.stringify({ id: 'a1', type: 'subscribe', payload: { query: QUERY } }));
        return;
      }
      got.push({ text, binary: isBinary });
      if (got.length === want) resolve();
    });
    ws.on('error', reject);
  });
  await new Promise<void>((resolve) => ws.on('open', () => resolve()));
  ws.send(JSON.stringify({ type: 'connection_init' }));
  await done;
  const extensions = ws.extensions;
  ws.close();
  return { got, extensions };
}

interface Frame {
  fin: boolean;
  rsv1: boolean;
  opcode: number;
  payload: Buffer;
}

/** WebSocket by hand on a TCP socket: the frames exactly as the server wrote them. */
async function rawFrames(port: number, wantTextMessages: number): Promise<Frame[]> {
  const sock = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve) => sock.once('connect', () => resolve()));
  const key = randomBytes(16).toString('base64');
  sock.write(
    `GET /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n`,
  );
  const send = (text: string) => {
    // Client frames are masked (RFC 6455 §5.3): a zero mask keeps the bytes as they are.
    const body = Buffer.from(text);
    const header =
      body.length < 126
        ? Buffer.from([0x81, 0x80 | body.length])
        : Buffer.from([0x81, 0x80 | 126, body.length >> 8, body.length & 255]);
    sock.write(Buffer.concat([header, Buffer.alloc(4), body]));
  };
  const frames: Frame[] = [];
  let buf = Buffer.alloc(0);
  let upgraded = false;
  let messagesDone = 0;
  return new Promise<Frame[]>((resolve, reject) => {
    sock.on('error', reject);
    sock.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (!upgraded) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buf.subarray(0, end).toString();
        const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
        if (!head.startsWith('HTTP/1.1 101') || !head.includes(accept)) return reject(new Error(head));
        upgraded = true;
        buf = buf.subarray(end + 4);
        send(JSON.stringify({ type: 'connection_init' }));
      }
      for (;;) {
        if (buf.length < 2) return;
        let len = buf[1] & 0x7f;
        let at = 2;
        if (len === 126) {
          if (buf.length < 4) return;
          len = buf.readUInt16BE(2);
          at = 4;
        } else if (len === 127) {
          if (buf.length < 10) return;
          len = Number(buf.readBigUInt64BE(2));
          at = 10;
        }
        if (buf.length < at + len) return;
        const frame = {
          fin: (buf[0] & 0x80) !== 0,
          rsv1: (buf[0] & 0x40) !== 0,
          opcode: buf[0] & 0x0f,
          payload: buf.subarray(at, at + len),
        };
        buf = buf.subarray(at + len);
        frames.push(frame);
        if (frame.opcode === 1 && frame.fin && frame.payload.toString().includes('connection_ack')) {
          send(JSON.stringify({ id: 'f1', type: 'subscribe', payload: { query: QUERY } }));
          continue;
        }
        if (frame.fin && (frame.opcode === 0 || frame.opcode === 1) && ++messagesDone === wantTextMessages) {
          sock.destroy();
          resolve(frames);
          return;
        }
      }
    });
  });
}

describe('subscription transport: a shared payload as fragments', () => {
  let plain: Served;
  let deflating: Served;
  beforeAll(async () => {
    plain = await serve(false);
    deflating = await serve(true);
  });
  afterAll(async () => {
    await plain.stop();
    await deflating.stop();
  });

  it('a raw ws client reassembles the JSON.stringify of every next message, byte for byte', async () => {
    const { got, extensions } = await rawMessages(plain.url, false, 3);
    expect(extensions).toBe('');
    expect(got[0]).toEqual({ text: expectedMessage('a1'), binary: false });
    expect(got[1]).toEqual({ text: expectedMessage('a1'), binary: false });
    expect(got[2]).toEqual({ text: JSON.stringify({ id: 'a1', type: 'complete' }), binary: false });
  });

  it('sends the shared payload as the middle of three fragments of one text message', async () => {
    // after connection_ack: two next messages and complete
    const frames = await rawFrames(plain.port, 3);
    const data = frames.filter((f) => f.opcode !== 9 && f.opcode !== 10);
    expect(data.map((f) => [f.opcode, f.fin, f.rsv1])).toEqual([
      [1, true, false], // connection_ack
      [1, false, false], // {"id":"f1","type":"next","payload":
      [0, false, false], // the shared payload
      [0, true, false], // }
      [1, false, false],
      [0, false, false],
      [0, true, false],
      [1, true, false], // complete
    ]);
    const next = Buffer.concat(data.slice(1, 4).map((f) => f.payload)).toString('utf8');
    expect(next).toBe(expectedMessage('f1'));
    // Both next messages carry the very same bytes in their middle fragment.
    expect(data[2].payload.equals(data[5].payload)).toBe(true);
    expect(data[2].payload.toString('utf8')).toBe(JSON.stringify({ data: { tick: { text: TEXT, values: VALUES } } }));
  });

  it('graphql-ws clients (20 at once) get the same results', async () => {
    const clients = Array.from({ length: 20 }, () =>
      createClient({ url: plain.url, webSocketImpl: WebSocket, retryAttempts: 0, lazy: false }),
    );
    try {
      const results = await Promise.all(
        clients.map(
          (client) =>
            new Promise<unknown[]>((resolve, reject) => {
              const got: unknown[] = [];
              client.subscribe({ query: QUERY }, { next: (r) => got.push(r), error: reject, complete: () => resolve(got) });
            }),
        ),
      );
      for (const got of results) expect(got).toEqual([{ data: EVENT }, { data: EVENT }]);
    } finally {
      await Promise.all(clients.map((c) => c.dispose()));
    }
  });

  it('with permessage-deflate negotiated: one compressed message, the same text', async () => {
    const { got, extensions } = await rawMessages(deflating.url, true, 3);
    expect(extensions).toContain('permessage-deflate');
    expect(got.map((m) => m.text)).toEqual([
      expectedMessage('a1'),
      expectedMessage('a1'),
      JSON.stringify({ id: 'a1', type: 'complete' }),
    ]);
    expect(got.every((m) => !m.binary)).toBe(true);
  });

  it('with permessage-deflate offered by the server, graphql-ws clients get the same results', async () => {
    const client = createClient({ url: deflating.url, webSocketImpl: WebSocket, retryAttempts: 0, lazy: false });
    try {
      const got = await new Promise<unknown[]>((resolve, reject) => {
        const out: unknown[] = [];
        client.subscribe({ query: QUERY }, { next: (r) => out.push(r), error: reject, complete: () => resolve(out) });
      });
      expect(got).toEqual([{ data: EVENT }, { data: EVENT }]);
    } finally {
      await client.dispose();
    }
  });
});
