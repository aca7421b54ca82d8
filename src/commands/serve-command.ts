import { loadConfig } from '../config';
import { createLogger } from '../logger';
import { catchTerminationSignals } from '../termination-signals';
import { defineCommand } from './command-args';

/** `provml serve`: configuration comes from the environment only (src/config.ts), so no options. */
export const serveCommand = defineCommand({
  synopsis: 'provml serve',
  description:
    'Start the GraphQL server. Configured by the environment: PORT, HOST, PROVML_DATA_DIR,\n' +
    'PROVML_DATABASE_URL, PROVML_CONFIG, … (see .env.example). Stops cleanly on SIGINT/SIGTERM.',
  options: {},
  positionals: { min: 0, max: 0 },
  async run(_args, io) {
    const config = loadConfig(io.env);
    const log = createLogger(config.logLevel, { service: 'provml' });
    // Loaded here, not at the top: `provml serve --help` must not even load the server.
    const { startServer } = await import('../server');
    const signals = catchTerminationSignals(log);
    try {
      const server = await startServer(config, log, { env: io.env });
      io.out.write(`provml: GraphQL at ${server.url}\n`);
      const signal = await signals.received;
      // Drains requests in flight, closes the pool, then stops the local PostgreSQL (fast shutdown).
      log.info('stopping', { signal });
      await server.stop();
      return 0;
    } finally {
      signals.dispose();
    }
  },
});
