/**
 * GraphiQL's page load in headless Chromium, against `provml serve` with the demo, every request
 * off this machine refused: from navigation to an IDE that can run a query (the example tabs shown
 * and the schema introspected), cold (fresh browser profile) and warm (reload, 304s).
 * Side by side in the same run, two baselines: a navigation to /healthz (one round trip to this
 * server) and the introspection POST alone from Node (what the schema costs the server).
 *
 *   npm run build && npx tsx bench/graphiql-load.ts [--samples 15]
 *
 * Uses the machine's PostgreSQL server (PROVML_BENCH_DATABASE_URL) and /usr/bin/chromium.
 */
import './production-mode'; // first: graphql-js reads NODE_ENV when it loads
import { randomBytes } from 'node:crypto';
import { getIntrospectionQuery } from 'graphql';
import pg from 'pg';
import { loadConfig } from '../dist/config';
import { createLogger } from '../dist/logger';
import { startServer } from '../dist/server';
import { launchBrowser } from '../test/helpers/browser';

const argv = process.argv;
const SAMPLES = Number(argv.includes('--samples') ? argv[argv.indexOf('--samples') + 1] : '15');
const ADMIN = process.env.PROVML_BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];

async function main() {
  const name = `provml_gqbench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(ADMIN);
  url.pathname = `/${name}`;
  const config = loadConfig({ PROVML_DATABASE_URL: url.toString(), PROVML_DATA_DIR: '/tmp', PORT: '0', HOST: '127.0.0.1' });
  const server = await startServer(config, createLogger('warn'));
  const launched = await launchBrowser();
  const times: Record<string, number[]> = {
    'IDE ready, cold': [],
    'IDE ready, warm (reload)': [],
    'baseline: GET /healthz': [],
    'baseline: introspection POST': [],
  };
  try {
    const introspection = JSON.stringify({ query: getIntrospectionQuery() });
    for (let i = 0; i < SAMPLES; i++) {
      const context = await launched.browser.newContext();
      await context.route('**/*', (route) =>
        new URL(route.request().url()).hostname === '127.0.0.1' ? route.continue() : route.abort('blockedbyclient'),
      );
      const page = await context.newPage();
      let t = performance.now();
      await page.goto(`${server.url.replace(/\/graphql$/, '')}/healthz`);
      times['baseline: GET /healthz'].push(performance.now() - t);

      for (const which of ['IDE ready, cold', 'IDE ready, warm (reload)']) {
        const schema = page.waitForResponse(
          (r) => r.request().method() === 'POST' && /__schema/.test(r.request().postData() ?? ''),
        );
        t = performance.now();
        await (which.endsWith('cold') ? page.goto(server.url) : page.reload());
        await Promise.all([schema.then((r) => r.finished()), page.locator('.graphiql-tab-button').first().waitFor()]);
        times[which].push(performance.now() - t);
      }
      await context.close();

      t = performance.now();
      const res = await fetch(server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: introspection,
      });
      await res.json();
      times['baseline: introspection POST'].push(performance.now() - t);
    }
  } finally {
    await launched.close();
    await server.stop();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
  console.log(`GraphiQL page load, ${SAMPLES} samples each (headless Chromium, loopback, demo store)`);
  for (const [label, xs] of Object.entries(times)) {
    console.log(
      `  ${label.padEnd(30)} median ${pct(xs, 0.5).toFixed(1).padStart(7)} ms   p90 ${pct(xs, 0.9).toFixed(1).padStart(7)} ms`,
    );
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
