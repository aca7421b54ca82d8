import { loadConfig } from '../config';
import { createLogger } from '../logger';
import { defineCommand } from './command-args';

/** `provml demo`: the demo lifecycle into the configured stores (src/demo/load-demo.ts). */
export const demoCommand = defineCommand({
  synopsis: 'provml demo [--config FILE]',
  description:
    'Load the demo lifecycle into the provenance store (PROVML_DATABASE_URL, or the local one) and\n' +
    'its domain data into every server store of the registry. Idempotent. Prints one JSON line.',
  options: {
    config: { type: 'string', value: 'FILE', help: 'store registry (default: PROVML_CONFIG)' },
  },
  positionals: { min: 0, max: 0 },
  async run({ values }, io) {
    const config = loadConfig(io.env);
    const log = createLogger(config.logLevel, { service: 'provml' });
    const { loadDemoCommand } = await import('../demo/demo-command');
    return loadDemoCommand(config, values.config ?? config.storesConfigPath, io.env, log, io.out);
  },
});
