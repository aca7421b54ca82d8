import type { ProvmlConfig } from '../config';
import type { AppDeps } from '../context';
import { openProvenanceStore } from '../connectors/provenance/open-provenance-store';
import { loadStoreRegistry } from '../connectors/store-registry';
import { SpecCatalog } from '../ingest/spec-catalog';
import type { Logger } from '../logger';
import { loadDemo } from './load-demo';
import { loadDemoStores } from './load-demo-stores';

/**
 * `provml demo [--config provml.config.json]`: the whole demo into the configured servers: the
 * lifecycle's provenance into the provenance store (PROVML_DATABASE_URL, or the local one), and
 * the domain data into every server store of the registry. Idempotent. Prints one JSON line.
 */
export async function loadDemoCommand(
  config: ProvmlConfig,
  configPath: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
  log: Logger,
  out: NodeJS.WritableStream,
): Promise<number> {
  const registry = await loadStoreRegistry({ configPath, env, log: log.child({ source: 'stores' }) });
  try {
    const stores = await loadDemoStores(registry, { env, log });
    const opened = await openProvenanceStore({
      databaseUrl: config.databaseUrl,
      dataDir: config.dataDir,
      poolSize: config.poolSize,
      log,
    });
    try {
      const deps: Pick<AppDeps, 'store' | 'catalog' | 'config' | 'log'> = {
        store: opened.store,
        catalog: new SpecCatalog(opened.store),
        config,
        log,
      };
      const provenance = await loadDemo(deps);
      out.write(JSON.stringify({ provenance, stores }) + '\n');
      return 0;
    } finally {
      await opened.close();
    }
  } finally {
    await registry.close();
  }
}
