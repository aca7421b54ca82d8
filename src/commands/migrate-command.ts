import { loadConfig } from '../config';
import { openProvenanceStore } from '../connectors/provenance/open-provenance-store';
import { createLogger } from '../logger';
import { PROVML_VERSION } from '../provml-version';
import { defineCommand } from './command-args';

/**
 * `provml migrate`: what `provml serve` does to the store before it listens, alone, so an
 * operator can migrate (and see the outcome) before starting the replicas. A store migrated by a
 * newer provml is refused, untouched (StoreVersionError, exit 1).
 */
export const migrateCommand = defineCommand({
  synopsis: 'provml migrate',
  description:
    'Bring the provenance store (PROVML_DATABASE_URL, or the local one in PROVML_DATA_DIR) to this\n' +
    "provml's schema, each migration in its own transaction. Refuses a store of a newer provml.",
  options: {},
  positionals: { min: 0, max: 0 },
  async run(_args, io) {
    const config = loadConfig(io.env);
    const log = createLogger(config.logLevel, { service: 'provml' });
    const opened = await openProvenanceStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: 1, log });
    try {
      io.out.write(
        opened.applied.length
          ? `provml migrate: applied ${opened.applied.join(', ')} (provml ${PROVML_VERSION})\n`
          : `provml migrate: the store is current (provml ${PROVML_VERSION})\n`,
      );
      return 0;
    } finally {
      await opened.close();
    }
  },
});
