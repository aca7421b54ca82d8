/**
 * Serves a kept bench database with the build of another checkout, configured as bench/query.ts
 * configures its own server: the `--baseline URL` of bench/query.ts, the code before a change.
 *
 *   npx tsx bench/serve-kept.ts --build /tmp/before --database provml_qbench_keep_1000 --port 4711
 *
 * `--build` is a folder holding a built `dist/` (a checkout of the commit before, built; its
 * `node_modules` must resolve from there). Runs until stopped.
 */
import './serve-env'; // first: graphql-js reads NODE_ENV when it loads
import path from 'node:path';

const argv = process.argv;
const opt = (name: string) => {
  const i = argv.indexOf(`--${name}`);
  if (i < 0 || !argv[i + 1]) throw new Error(`--${name} is required`);
  return argv[i + 1];
};
const ADMIN = process.env.PROVML_BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

interface Built {
  config: { loadConfig(env: Record<string, string>): unknown };
  logger: { createLogger(level: string): unknown };
  server: { startServer(config: unknown, log: unknown): Promise<{ url: string }> };
}

async function main() {
  const dist = path.resolve(opt('build'), 'dist');
  const built: Built = {
    config: await import(path.join(dist, 'config.js')),
    logger: await import(path.join(dist, 'logger.js')),
    server: await import(path.join(dist, 'server.js')),
  };
  const url = new URL(ADMIN);
  url.pathname = `/${opt('database')}`;
  const config = built.config.loadConfig({
    PROVML_DATABASE_URL: url.toString(),
    PORT: opt('port'),
    PROVML_DEMO: '0',
    PROVML_LOG_LEVEL: 'warn',
  });
  const server = await built.server.startServer(config, built.logger.createLogger('warn'));
  console.log(`serving ${url.pathname.slice(1)} with ${dist} at ${server.url}`);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
