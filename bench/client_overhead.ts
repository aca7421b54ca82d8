/**
 * Per-call cost of the TypeScript capture client: what a capture call costs the job (it only
 * enqueues), measured as the median over chunks of 1,000 calls, side by side in one run:
 *   baseline  building the same event object and pushing it to an array (no client)
 *   online    sender delivering to a loopback HTTP peer that acknowledges every batch
 *   online-spill  the same with the default maxQueue: the burst outruns the sender and spills
 *   down      spool mode with the server down (connection refused: retries with backoff)
 *   offline   spool only
 * Run: npx tsx bench/client_overhead.ts [calls=200000]
 */
import fsp from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createClient, type ClientOptions } from '../clients/typescript/src/provml-client';

const CALLS = Number(process.argv[2] ?? 200_000);
const CHUNK = 1000;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

/** Times `call` CHUNK times per chunk, yielding between chunks so the sender gets its turns. */
async function measure(call: (i: number) => void): Promise<{ medianNs: number; p99Ns: number }> {
  const perCall: number[] = [];
  for (let done = 0; done < CALLS; done += CHUNK) {
    const t0 = process.hrtime.bigint();
    for (let i = done; i < done + CHUNK; i++) call(i);
    perCall.push(Number(process.hrtime.bigint() - t0) / CHUNK);
    await new Promise((r) => setImmediate(r));
  }
  const sorted = [...perCall].sort((a, b) => a - b);
  return { medianNs: median(perCall), p99Ns: sorted[Math.floor(sorted.length * 0.99)] };
}

async function main() {
  const peer = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const n =
        (JSON.parse(Buffer.concat(chunks).toString()) as { variables: { events?: unknown[] } }).variables.events?.length ?? 0;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ data: { ingest: { accepted: n, duplicates: 0, rejected: 0, duplicateIds: [], issues: [] } } }));
    });
  });
  await new Promise<void>((r) => peer.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(peer.address() as AddressInfo).port}/graphql`;
  const closed = http.createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const downUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/graphql`;
  await new Promise((r) => closed.close(r)); // nothing listens there now
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'provml-bench-'));

  const rows: Array<[string, { medianNs: number; p99Ns: number }, string]> = [];
  const sink: unknown[] = [];
  rows.push([
    'baseline',
    await measure((i) => {
      sink.push({
        id: `r:${i}`,
        type: 'metric',
        time: Date.now(),
        run: 'r',
        name: 'loss',
        value: 1 / (i + 1),
        step: i,
        context: 'TRAINING',
      });
      if (sink.length > 10_000) sink.length = 0;
    }),
    '',
  ]);
  const cases: Array<[string, ClientOptions]> = [
    ['online', { url, mode: 'online', spoolDir: path.join(dir, 'online'), maxQueue: 1_000_000 }],
    // the default maxQueue (20,000): this burst outruns the sender, so most calls spill to disk
    ['online-spill', { url, mode: 'online', spoolDir: path.join(dir, 'online-spill') }],
    ['down', { url: downUrl, mode: 'spool', spoolDir: path.join(dir, 'down'), maxQueue: 1_000_000 }],
    ['offline', { mode: 'offline', spoolDir: path.join(dir, 'offline') }],
  ];
  for (const [name, opts] of cases) {
    const client = createClient({ ...opts, handleSigterm: false, log: () => undefined });
    const run = client.startRun('bench');
    const r = await measure((i) => run.logMetric('loss', 1 / (i + 1), { step: i, context: 'TRAINING' }));
    const t0 = Date.now();
    const report = await client.close(name === 'down' ? 0 : 60_000);
    const s = report.stats;
    rows.push([
      name,
      r,
      `accepted ${s.accepted}, spooled ${s.spooled}, spilled ${s.spilled}, unsent ${report.unsent}, close ${Date.now() - t0} ms`,
    ]);
  }
  await new Promise((r) => peer.close(r));
  await fsp.rm(dir, { recursive: true, force: true });

  console.log(
    `capture call cost, ${CALLS} logMetric calls per case, median (p99) over chunks of ${CHUNK}; node ${process.versions.node}, ${os.cpus()[0]?.model}`,
  );
  for (const [name, r, note] of rows) {
    console.log(
      `${name.padEnd(13)} ${(r.medianNs / 1000).toFixed(3).padStart(7)} us (${(r.p99Ns / 1000).toFixed(3)} us)  ${note}`,
    );
  }
}

void main();
