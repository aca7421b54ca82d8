/**
 * What access control costs a request: the same queries over HTTP against `provml serve` with
 * access control off, with a token of every study (one token look-up per request), and with a
 * study-limited token (every read through the study filter), side by side in one run, interleaved.
 *
 *   npm run build && npx tsx bench/access.ts [--samples 300]
 *
 * The store is the demo lifecycle (one study, so the limited token sees every row: this measures
 * the filter's look-ups, not rows it leaves out). Uses the machine's PostgreSQL server
 * (PROVML_BENCH_DATABASE_URL).
 */
import './production-mode'; // first: graphql-js reads NODE_ENV when it loads
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import pg from 'pg';
import { migrate } from '../dist/connectors/provenance/migrate';
import { PgApiTokenStore } from '../dist/connectors/provenance/pg-api-tokens';
import { createLogger } from '../dist/logger';

const argv = process.argv;
const SAMPLES = Number(argv.includes('--samples') ? argv[argv.indexOf('--samples') + 1] : '300');
const ADMIN = process.env.PROVML_BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const log = createLogger('warn');

const QUERIES: Record<string, string> = {
  typename: '{ __typename }',
  executions: '{ executions(first: 20) { nodes { id status startedAt } } }',
  'q3 bestModel': `{ bestModel(dataset: "/input/train.hdf5", measure: "loss") { reference { uri } hyperparameters { name value } evaluations { name value } } }`,
  'lineage depth 6': '{ lineage(start: "/models/model188.hdf5", maxDepth: 6) { depth nodes { depth } } }',
};

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

interface Served {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

async function serve(databaseUrl: string, auth: string): Promise<Served> {
  const child = spawn(process.execPath, [path.join(__dirname, '../bin/provml.js'), 'serve'], {
    env: {
      ...process.env,
      PROVML_DATABASE_URL: databaseUrl,
      PORT: '0',
      HOST: '127.0.0.1',
      PROVML_DEMO: '1',
      PROVML_AUTH: auth,
      PROVML_LOG_LEVEL: 'warn',
      PROVML_RATE_EXPENSIVE_PER_MIN: '0',
      PROVML_RATE_INGEST_PER_MIN: '0',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /GraphQL at (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`provml serve exited with ${code}`)));
  });
  return {
    url,
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

async function main() {
  const name = `provml_access_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(ADMIN);
  url.pathname = `/${name}`;
  const pool = new pg.Pool({ connectionString: url.toString(), max: 1 });
  await migrate(pool, log);
  const tokens = new PgApiTokenStore(pool);
  // Each server in its own process, as in use: in one process with the client they share an event loop.
  const off = await serve(url.toString(), 'off');
  const on = await serve(url.toString(), 'required');
  try {
    const all = await tokens.create({ name: 'bench-all', scopes: ['read'] });
    const limited = await tokens.create({ name: 'bench-study', scopes: ['read'], studies: ['seismic-stratigraphy'] });
    const variants: Array<[string, string, string | null]> = [
      ['auth off', off.url, null],
      ['token, all studies', on.url, all.token],
      ['token, one study', on.url, limited.token],
      // The baseline twice: how far two runs of the same thing differ on this machine.
      ['auth off, again', off.url, null],
    ];
    // The token look-up alone (one indexed SELECT), beside a bare round trip to PostgreSQL.
    const check: number[] = [];
    const bare: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      let t = performance.now();
      await tokens.check(all.token);
      check.push(performance.now() - t);
      t = performance.now();
      await pool.query('SELECT 1');
      bare.push(performance.now() - t);
    }
    console.log(`token check ${median(check).toFixed(3)} ms median; SELECT 1 ${median(bare).toFixed(3)} ms median`);
    const times = new Map<string, number[]>();
    for (const [q, text] of Object.entries(QUERIES)) {
      const body = JSON.stringify({ query: text });
      for (let i = 0; i < SAMPLES + 20; i++) {
        // A fresh order each round: the first request of a round pays for switching servers.
        const order = [...variants].sort(() => Math.random() - 0.5);
        for (const [label, u, token] of order) {
          const t0 = performance.now();
          const res = await fetch(u, {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
            body,
          });
          const json = (await res.json()) as { errors?: unknown[] };
          const ms = performance.now() - t0;
          if (res.status !== 200 || json.errors) throw new Error(`${label} ${q}: ${res.status} ${JSON.stringify(json.errors)}`);
          if (i >= 20) times.set(`${q}|${label}`, [...(times.get(`${q}|${label}`) ?? []), ms]);
        }
      }
    }
    console.log(`median ms over ${SAMPLES} requests each (interleaved), ratio to auth off`);
    console.log(['query'.padEnd(18), ...variants.map(([l]) => l.padStart(22))].join(''));
    for (const q of Object.keys(QUERIES)) {
      const base = median(times.get(`${q}|auth off`)!);
      const cells = variants.map(([l]) => {
        const m = median(times.get(`${q}|${l}`)!);
        return `${m.toFixed(2)} (${(m / base).toFixed(2)}x)`.padStart(22);
      });
      console.log([q.padEnd(18), ...cells].join(''));
    }
  } finally {
    await pool.end();
    await Promise.all([on.stop(), off.stop()]);
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
