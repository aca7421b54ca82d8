/**
 * Live subscriptions (issue 13), two figures, each with its baseline in the same run:
 *  1. latency, event -> subscriber: a producer ingests one metric point every --gap ms (as a job's
 *     client does when idle); p50 / p99 from just before its ingest request to its arrival at a
 *     metrics(run) subscriber, and, in the same run, at a client polling the query API every
 *     --poll ms (the MLflow-UI way).
 *  2. ingest throughput with --subscribers concurrent subscribers (each its own WebSocket, in a
 *     child process, as remote clients) on the run being written, against no subscribers,
 *     rounds interleaved; every subscriber must receive every point.
 *
 *   npm run build && npx tsx bench/live.ts [--points 300] [--gap 20] [--poll 100]
 *                                          [--subscribers 200] [--events 40000] [--batch 2000] [--clients 2] [--rounds 3]
 *                                          [--raw-subscribers] [--columnar] [--niced] [--deflate] [--ablate-live-log]
 *                                          [--dist DIR]
 *
 *   --columnar        subscribers select MetricBatch.series instead of points, with its compact
 *                     stepDeltaRuns and timeDeltaRunsMs for steps and times where the build under
 *                     test has them (builds before 2026-12-08 round 2: steps, offsetsMs)
 *   --no-compact      with --columnar: steps and offsetsMs even where the build has the compact fields
 *   --niced           the subscriber process runs at nice 19: a model of clients on other hosts
 *                     (on this 2-core machine they otherwise take the server's and PostgreSQL's CPU)
 *   --deflate         the server offers permessage-deflate (the subscribers' ws accepts it)
 *   --ablate-live-log no subscribers at all; rounds alternate between the server as it is and the
 *                     server with no live log written (liveChangesOf patched to return nothing),
 *                     to price the live log's own cost to ingest
 *   --profile DIR     a CPU profile of this process (the server) per round, from the first ingest
 *                     to the last point delivered: DIR/round-N-{none,subscribed}.cpuprofile
 *   --heap-profile DIR an allocation-sampling heap profile of this process per round, same span:
 *                     DIR/round-N-{none,subscribed}.heapprofile (open in Chrome DevTools, Memory)
 *   --dist DIR        the server build to measure (default dist/; e.g. a copy of main's build, for
 *                     an A/B of the fan-out: run the two builds one after the other)
 *
 * Uses the machine's PostgreSQL (PROVML_BENCH_DATABASE_URL), a fresh database dropped at the end;
 * the server runs in this process, in production mode, with LISTEN/NOTIFY (PROVML_REDIS_URL: Redis).
 */
import './production-mode';
import { fork } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { PerformanceObserver } from 'node:perf_hooks';
import { createRequire } from 'node:module';
import os from 'node:os';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { createClient } from 'graphql-ws';
import pg from 'pg';
import WebSocket from 'ws';
import { backendTicks } from './cpu-usage';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const POINTS = arg('points', 300);
const GAP = arg('gap', 20);
const POLL = arg('poll', 100);
const SUBSCRIBERS = arg('subscribers', 200);
const EVENTS = arg('events', 40_000);
const BATCH = arg('batch', 2000);
const CLIENTS = arg('clients', 2);
const ROUNDS = arg('rounds', 3);
// Subscribers count points in the raw frames instead of parsing them: remote clients' parsing is
// not this machine's CPU (with 2 cores, 200 parsing clients compete with the server and PostgreSQL).
const RAW = process.argv.includes('--raw-subscribers');
const COLUMNAR = process.argv.includes('--columnar');
const NO_COMPACT = process.argv.includes('--no-compact');
const NICED = process.argv.includes('--niced');
const DEFLATE = process.argv.includes('--deflate');
const ABLATE = process.argv.includes('--ablate-live-log');
const SKIP_LATENCY = process.argv.includes('--skip-latency');
const ADMIN = process.env.PROVML_BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const distAt = process.argv.indexOf('--dist');
const DIST = path.resolve(distAt > 0 ? process.argv[distAt + 1] : path.join(__dirname, '..', 'dist'));

// The build under test, loaded by path; the same module objects it requires are patched before
// the server starts (see --deflate, --ablate-live-log).
const profileAt = process.argv.indexOf('--profile');
const PROFILE_DIR = profileAt > 0 ? path.resolve(process.argv[profileAt + 1]) : null;
const heapAt = process.argv.indexOf('--heap-profile');
const HEAP_DIR = heapAt > 0 ? path.resolve(process.argv[heapAt + 1]) : null;
const requireDist = createRequire(path.join(DIST, 'server.js'));
const { loadConfig } = requireDist('./config.js') as typeof import('../dist/config');
const { createLogger } = requireDist('./logger.js') as typeof import('../dist/logger');
const { startServer } = requireDist('./server.js') as typeof import('../dist/server');
// The compact series fields, where the build has them (a build of main from before does not).
const COMPACT =
  COLUMNAR && !NO_COMPACT && readFileSync(path.join(DIST, 'schema', 'live', 'live.types.js'), 'utf8').includes('stepDeltaRuns');
let liveLogOff = false;
if (ABLATE) {
  const mod = requireDist('./ingest/live-changes') as { liveChangesOf: (...a: unknown[]) => unknown[] };
  const real = mod.liveChangesOf;
  mod.liveChangesOf = (...a: unknown[]) => (liveLogOff ? [] : real(...a));
}
if (DEFLATE) {
  const ws = requireDist('ws') as { WebSocketServer: new (o: Record<string, unknown>, cb?: () => void) => unknown };
  const Base = ws.WebSocketServer;
  ws.WebSocketServer = class extends (Base as new (o: Record<string, unknown>, cb?: () => void) => object) {
    constructor(o: Record<string, unknown>, cb?: () => void) {
      super({ ...o, perMessageDeflate: { threshold: 1024 } }, cb);
    }
  } as typeof Base;
}
const cpuUs = () => {
  const c = process.cpuUsage();
  return c.user + c.system;
};
/** This process's user and system CPU (µs): the fan-out's socket writes are system time. */
const cpuSplit = () => process.cpuUsage();
/** Time this process spent in garbage collection (ms), from the gc performance entries. */
let gcMs = 0;
/** The same, by kind (minor: scavenges; major: mark-compact; ...), for --heap-profile's notes. */
const gcByKind = new Map<number, number>();
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    gcMs += e.duration;
    const kind = (e as { detail?: { kind?: number } }).detail?.kind ?? 0;
    gcByKind.set(kind, (gcByKind.get(kind) ?? 0) + e.duration);
  }
}).observe({ entryTypes: ['gc'] });
const GC_KINDS: Record<number, string> = { 1: 'minor', 2: 'major', 4: 'incremental', 8: 'weak callbacks' };

const SPEC = { name: 'livebench', kind: 'LEARNING', transformations: [{ name: 'training', kind: 'LEARNING_STAGE' }] };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))];
const median = (xs: number[]) => pct(xs, 50);
const fmt = (x: number) => Math.round(x).toLocaleString('en');

async function post<T>(url: string, query: string, variables: Record<string, unknown>): Promise<T> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: T; errors?: unknown[] };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data!;
}
const INGEST = 'mutation($e: [JSON!]!) { ingest(events: $e) { accepted rejected } }';
const ingest = (url: string, e: unknown[]) => post<{ ingest: { accepted: number; rejected: number } }>(url, INGEST, { e });
const begin = (url: string, run: string) =>
  ingest(url, [{ id: `${run}-begin`, type: 'workflowBegin', run, workflow: 'livebench' }]);

async function latency(url: string) {
  const run = `lat-${randomBytes(3).toString('hex')}`;
  await begin(url, run);
  const sentAt = new Map<number, number>();
  const viaSub: number[] = [];
  const viaPoll: number[] = [];
  const client = createClient({ url: url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, lazy: false });
  const seenSub = new Set<number>();
  const stopSub = client.subscribe<{ metrics: { points: Array<{ step: string }> } }>(
    { query: 'subscription($run: ID!) { metrics(run: $run, names: ["loss"]) { cursor points { step } } }', variables: { run } },
    {
      next: (r) => {
        const now = performance.now();
        for (const p of r.data?.metrics.points ?? []) {
          const s = Number(p.step);
          if (seenSub.has(s)) continue;
          viaSub.push(now - sentAt.get(s)!);
          seenSub.add(s);
        }
      },
      error: (e) => console.error('subscription error', e),
      complete: () => undefined,
    },
  );
  // Wait until the subscription is live: a probe point must arrive.
  // A subscription starts at the present: a probe sent before it was set up is not seen, so
  // probes go until one arrives.
  for (let probe = 0; !seenSub.has(-1); probe++) {
    sentAt.set(-1, performance.now());
    await ingest(url, [{ id: `${run}-probe-${probe}`, type: 'metric', run, name: 'loss', value: 0, step: -1 }]);
    for (let w = 0; w < 100 && !seenSub.has(-1); w++) await sleep(5);
  }
  viaSub.length = 0;
  const seenPoll = new Set<number>([-1]);
  let polls = 0;
  let polling = true;
  const poller = (async () => {
    while (polling) {
      const t = performance.now();
      const d = await post<{ execution: { metrics: Array<{ step: string }> } | null }>(
        url,
        'query($id: String!) { execution(id: $id) { metrics(name: "loss", limit: 5000) { step } } }',
        { id: run },
      );
      polls++;
      const now = performance.now();
      for (const p of d.execution?.metrics ?? []) {
        const s = Number(p.step);
        if (seenPoll.has(s) || !sentAt.has(s)) continue;
        viaPoll.push(now - sentAt.get(s)!);
        seenPoll.add(s);
      }
      await sleep(Math.max(0, POLL - (performance.now() - t)));
    }
  })();
  for (let i = 0; i < POINTS; i++) {
    sentAt.set(i, performance.now());
    await ingest(url, [{ id: `${run}-${i}`, type: 'metric', run, name: 'loss', value: i, step: i }]);
    await sleep(GAP);
  }
  const deadline = Date.now() + 10_000;
  while ((seenSub.size < POINTS + 1 || seenPoll.size < POINTS + 1) && Date.now() < deadline) await sleep(20);
  polling = false;
  await poller;
  stopSub();
  await client.dispose();
  return { viaSub, viaPoll, polls, missingSub: POINTS + 1 - seenSub.size };
}

interface SubState {
  counts: number[];
  closedAbnormally: number;
  bytes: number;
  /** Bytes read from the sockets (frames as sent: compressed with --deflate). */
  wire: number;
  cpuUs: number;
}

/** CPU ticks of the bench database's PostgreSQL backends, for PostgreSQL's CPU per event. */
type PgTicks = () => Promise<Map<number, number>>;
const pgCpuUsSince = async (ticks: PgTicks, before: Map<number, number>) => {
  let t = 0;
  for (const [pid, now] of await ticks()) t += now - (before.get(pid) ?? 0);
  return t * 10_000; // ticks of 1/100 s, in µs
};

async function throughput(url: string, liveCount: () => number, pgTicks: PgTicks) {
  const child = fork(path.join(__dirname, 'live-subscribers.ts'), [], { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
  if (NICED) os.setPriority(child.pid!, 19);
  const next = () =>
    new Promise<Record<string, unknown>>((resolve) => child.once('message', (m) => resolve(m as Record<string, unknown>)));
  await next(); // ready
  const count = async () => {
    child.send({ cmd: 'count' });
    return (await next()) as unknown as SubState;
  };
  const rates = { none: [] as number[], subscribed: [] as number[] };
  const cpu = { none: [] as number[], subscribed: [] as number[], subscribers: [] as number[] };
  /** Per round kind: this process's system CPU and PostgreSQL's, µs an event (through delivery). */
  const sys = { none: [] as number[], subscribed: [] as number[] };
  const pgCpu = { none: [] as number[], subscribed: [] as number[] };
  /** Per round kind: this process's garbage collection, µs an event (through delivery). */
  const gc = { none: [] as number[], subscribed: [] as number[] };
  const bytesPerPoint: number[] = [];
  const wirePerPoint: number[] = [];
  const incomplete: string[] = [];
  let profiler: Session | null = null;
  if (PROFILE_DIR) {
    mkdirSync(PROFILE_DIR, { recursive: true });
    profiler = new Session();
    profiler.connect();
    await profiler.post('Profiler.enable');
  }
  let heapProfiler: Session | null = null;
  if (HEAP_DIR) {
    mkdirSync(HEAP_DIR, { recursive: true });
    heapProfiler = new Session();
    heapProfiler.connect();
    await heapProfiler.post('HeapProfiler.enable');
  }
  for (let round = 0; round < ROUNDS * 2; round++) {
    // --ablate-live-log: the "subscribed" rounds are the rounds without a live log, no subscriber.
    const subscribed = round % 2 === 1 && !ABLATE;
    liveLogOff = ABLATE && round % 2 === 1;
    const run = `tp-${round}-${randomBytes(3).toString('hex')}`;
    await begin(url, run);
    if (subscribed) {
      child.send({ cmd: 'start', url, run, n: SUBSCRIBERS, raw: RAW, columnar: COLUMNAR, compact: COMPACT });
      while (liveCount() < SUBSCRIBERS) await sleep(20);
    }
    const perClient = Math.ceil(EVENTS / CLIENTS);
    const before = subscribed ? await count() : null;
    if (profiler) await profiler.post('Profiler.start');
    if (heapProfiler)
      await heapProfiler.post('HeapProfiler.startSampling', {
        samplingInterval: 16384,
        includeObjectsCollectedByMajorGC: true,
        includeObjectsCollectedByMinorGC: true,
      });
    const gc0 = gcMs;
    const gcKinds0 = new Map(gcByKind);
    const pg0 = await pgTicks();
    const split0 = cpuSplit();
    const cpu0 = cpuUs();
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: CLIENTS }, async (_, c) => {
        for (let from = 0; from < perClient; from += BATCH) {
          const n = Math.min(BATCH, perClient - from);
          const e = Array.from({ length: n }, (_, i) => {
            const step = c * perClient + from + i;
            return { id: `${run}-${step}`, type: 'metric', run, name: 'loss', value: step, step };
          });
          const r = await ingest(url, e);
          if (r.ingest.accepted !== n) throw new Error(`accepted ${r.ingest.accepted} of ${n}`);
        }
      }),
    );
    const total = perClient * CLIENTS;
    const rate = total / ((performance.now() - t0) / 1000);
    const serverCpu = (cpuUs() - cpu0) / total; // µs per event: this process (server + the 2 ingest clients)
    (subscribed || liveLogOff ? rates.subscribed : rates.none).push(rate);
    const which = subscribed || liveLogOff ? 'subscribed' : 'none';
    if (!subscribed) (liveLogOff ? cpu.subscribed : cpu.none).push(serverCpu);
    let subscribedLine: ((cpuNote: string) => string) | null = null;
    if (subscribed) {
      // Every subscriber must get every point (or the figure would flatter us).
      let state: SubState;
      const deadline = Date.now() + 120_000;
      const delivered0 = performance.now();
      do {
        await sleep(100);
        state = await count();
      } while (state.counts.some((n) => n < total) && Date.now() < deadline && state.closedAbnormally === 0);
      const behind = state.counts.filter((n) => n < total).length;
      if (behind || state.closedAbnormally)
        incomplete.push(`round ${round}: ${behind} subscribers short, ${state.closedAbnormally} closed`);
      // Through delivery: the fan-out goes on after the last ingest returned.
      const serverCpuAll = (cpuUs() - cpu0) / total;
      cpu.subscribed.push(serverCpuAll);
      const subCpu = (state.cpuUs - before!.cpuUs) / total / SUBSCRIBERS;
      const bpp = state.bytes / (total * SUBSCRIBERS);
      const wire = state.wire / (total * SUBSCRIBERS);
      wirePerPoint.push(wire);
      cpu.subscribers.push(subCpu);
      bytesPerPoint.push(bpp);
      const deliveredMs = performance.now() - delivered0;
      subscribedLine = (cpuNote) =>
        `  round ${round} (${SUBSCRIBERS} subscribers): ${fmt(rate)} events/s, server process ${serverCpu.toFixed(1)} µs CPU/event while ingesting (${serverCpuAll.toFixed(1)} through delivery: ${cpuNote}), subscribers ${subCpu.toFixed(2)} µs CPU/event/subscriber, ${bpp.toFixed(1)} B/point/subscriber (${wire.toFixed(1)} on the wire); all points at all subscribers ${fmt(deliveredMs)} ms after the last ingest returned`;
    }
    const split = cpuSplit();
    if (profiler) {
      const { profile } = await profiler.post('Profiler.stop');
      writeFileSync(path.join(PROFILE_DIR!, `round-${round}-${which}.cpuprofile`), JSON.stringify(profile));
    }
    if (heapProfiler) {
      const { profile } = await heapProfiler.post('HeapProfiler.stopSampling');
      writeFileSync(path.join(HEAP_DIR!, `round-${round}-${which}.heapprofile`), JSON.stringify(profile));
    }
    const gcUs = ((gcMs - gc0) * 1000) / total;
    gc[which].push(gcUs);
    if (heapProfiler)
      console.log(
        `    GC by kind, µs/event: ${[...gcByKind]
          .map(([k, ms]) => `${GC_KINDS[k] ?? k} ${(((ms - (gcKinds0.get(k) ?? 0)) * 1000) / total).toFixed(2)}`)
          .join(', ')}`,
      );
    const sysUs = (split.system - split0.system) / total;
    const userUs = (split.user - split0.user) / total;
    const pgUs = (await pgCpuUsSince(pgTicks, pg0)) / total;
    sys[which].push(sysUs);
    pgCpu[which].push(pgUs);
    const cpuNote = `user ${userUs.toFixed(1)} + system ${sysUs.toFixed(1)} µs, GC ${gcUs.toFixed(1)} µs, heap ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(0)} MB; PostgreSQL ${pgUs.toFixed(1)} µs/event`;
    if (subscribedLine) {
      console.log(subscribedLine(cpuNote));
      child.send({ cmd: 'stop' });
      await next();
      while (liveCount() > 0) await sleep(20);
    } else
      console.log(
        `  round ${round} (no subscribers${liveLogOff ? ', NO live log' : ''}): ${fmt(rate)} events/s, server process ${serverCpu.toFixed(1)} µs CPU/event (${cpuNote})`,
      );
  }
  liveLogOff = false;
  child.kill();
  return { rates, cpu, sys, pgCpu, gc, bytesPerPoint, wirePerPoint, incomplete };
}

async function main() {
  const name = `provml_live_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const u = new URL(ADMIN);
  u.pathname = `/${name}`;
  const config = loadConfig({
    PROVML_DATABASE_URL: u.toString(),
    PORT: '0',
    PROVML_DEMO: '0',
    PROVML_LOG_LEVEL: 'warn',
    PROVML_MAX_BATCH_EVENTS: String(Math.max(BATCH, 5000)),
    ...(process.env.PROVML_REDIS_URL ? { PROVML_REDIS_URL: process.env.PROVML_REDIS_URL } : {}),
  });
  const server = await startServer(config, createLogger('warn'));
  try {
    await post(server.url, 'mutation($s: WorkflowSpecInput!) { registerWorkflow(spec: $s) { version } }', { s: SPEC });
    console.log(
      `live benchmark (bus: ${process.env.PROVML_REDIS_URL ? 'redis' : 'postgres'}, NODE_ENV=${process.env.NODE_ENV}, build ${DIST})`,
    );
    const mode = [
      COLUMNAR ? `columnar (series${COMPACT ? ', compact steps and times' : ''})` : 'points',
      RAW ? 'raw-frame' : 'parsing',
      NICED ? 'niced 19' : 'not niced',
      DEFLATE ? 'permessage-deflate' : 'no deflate',
    ];
    console.log(
      `   subscribers: ${mode.join(', ')}; load average ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
    );
    if (!SKIP_LATENCY) await latencyFigure(server.url);
    console.log(
      `2. ingest throughput, ${EVENTS} metric events per round, batches of ${BATCH}, ${CLIENTS} clients, ${ROUNDS} rounds each, interleaved`,
    );
    const tp = await throughput(
      server.url,
      () => server.live.activeSubscriptions(),
      () => backendTicks(admin, name),
    );
    const a = median(tp.rates.none);
    const b = median(tp.rates.subscribed);
    const what = ABLATE ? 'no live log' : `${SUBSCRIBERS} subscribers`;
    console.log(
      `   median: no subscribers ${fmt(a)} events/s; ${what} ${fmt(b)} events/s (ratio ${(b / a).toFixed(2)})${ABLATE ? '' : tp.incomplete.length ? `; INCOMPLETE: ${tp.incomplete.join('; ')}` : '; every subscriber got every point'}`,
    );
    console.log(
      `   server process CPU per event (median): ${median(tp.cpu.none).toFixed(1)} µs vs ${median(tp.cpu.subscribed).toFixed(1)} µs (system ${median(tp.sys.none).toFixed(1)} vs ${median(tp.sys.subscribed).toFixed(1)}; GC ${median(tp.gc.none).toFixed(1)} vs ${median(tp.gc.subscribed).toFixed(1)}; PostgreSQL ${median(tp.pgCpu.none).toFixed(1)} vs ${median(tp.pgCpu.subscribed).toFixed(1)})${tp.bytesPerPoint.length ? `; subscribers ${median(tp.cpu.subscribers).toFixed(2)} µs/event/subscriber, ${median(tp.bytesPerPoint).toFixed(1)} B/point/subscriber (${median(tp.wirePerPoint).toFixed(1)} on the wire)` : ''}; load average now ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
    );
  } finally {
    await server.stop();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}

async function latencyFigure(url: string) {
  {
    console.log(`1. latency, ${POINTS} points one every ${GAP} ms; poller every ${POLL} ms`);
    const lat = await latency(url);
    console.log(
      `   subscription: p50 ${lat.viaSub.length ? median(lat.viaSub).toFixed(1) : '-'} ms, p99 ${lat.viaSub.length ? pct(lat.viaSub, 99).toFixed(1) : '-'} ms (${lat.viaSub.length} points, ${lat.missingSub} missing)`,
    );
    console.log(
      `   polling:      p50 ${median(lat.viaPoll).toFixed(1)} ms, p99 ${pct(lat.viaPoll, 99).toFixed(1)} ms (${lat.viaPoll.length} points, ${lat.polls} queries)`,
    );
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
