import type { ProvmlConfig } from '../config';
import type { OpenedStore } from '../connectors/provenance/open-provenance-store';
import type { Logger } from '../logger';
import type { LiveBus } from './live-bus';
import { LiveHub } from './live-hub';
import { PgNotifyBus } from './pg-notify-bus';
import { RedisBus, redisChannelFor } from './redis-bus';

/** The live hub over the configured bus: Redis when PROVML_REDIS_URL is set, else LISTEN/NOTIFY. */
export async function openLive(
  config: Pick<ProvmlConfig, 'redisUrl' | 'redisChannel'>,
  opened: Pick<OpenedStore, 'store' | 'url'>,
  log: Logger,
): Promise<LiveHub> {
  const liveLog = log.child({ source: 'live' });
  const bus: LiveBus = config.redisUrl
    ? new RedisBus(config.redisUrl, liveLog, redisChannelFor(opened.url, config.redisChannel))
    : new PgNotifyBus(opened.url, liveLog);
  const hub = new LiveHub(opened.store, bus, liveLog);
  try {
    await hub.start();
  } catch (err) {
    await bus.close();
    throw err;
  }
  return hub;
}
