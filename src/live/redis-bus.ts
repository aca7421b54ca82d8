import { Redis } from 'ioredis';
import type { StreamHead } from '../ingest/live-changes';
import type { Logger } from '../logger';
import { decodeHeads, encodeHeads, LIVE_CHANNEL, type LiveBus, type LiveBusListener } from './live-bus';

/**
 * The Redis channel of one provenance store. Heads name streams (`run:<id>`) that mean something
 * only in their own database: two stores sharing one Redis on one channel would wake each other's
 * hubs with heads of runs they do not hold. So the channel carries the database's name by default
 * (replicas of one store agree on it whatever host name they reach it by); PROVML_REDIS_CHANNEL
 * sets it outright, for two stores of the same database name on one Redis.
 */
export function redisChannelFor(databaseUrl: string, override?: string): string {
  if (override) return override;
  let name = '';
  try {
    name = decodeURIComponent(new URL(databaseUrl).pathname.replace(/^\//, ''));
  } catch {
    // not a URL: the shared default channel
  }
  return name ? `${LIVE_CHANNEL}:${name}` : LIVE_CHANNEL;
}

/**
 * LiveBus over Redis pub/sub (PROVML_REDIS_URL). A subscribed Redis connection can do nothing
 * else, so there are two: one subscribes, one publishes. ioredis reconnects by itself and
 * resubscribes; each reconnect after the first is a resync, since pub/sub keeps no history.
 */
export class RedisBus implements LiveBus {
  readonly kind = 'redis';
  private readonly sub: Redis;
  private readonly pub: Redis;
  private readyOnce = false;

  constructor(
    url: string,
    log: Logger,
    private readonly channel: string = LIVE_CHANNEL,
  ) {
    const opts = { lazyConnect: true, maxRetriesPerRequest: 2, connectTimeout: 10_000 };
    this.sub = new Redis(url, opts);
    this.pub = new Redis(url, opts);
    for (const r of [this.sub, this.pub])
      r.on('error', (err: Error) => log.warn('live Redis connection failed', { error: err.message }));
  }

  async start(listener: LiveBusListener): Promise<void> {
    this.sub.on('message', (channel: string, message: string) => {
      if (channel === this.channel) listener.heads(decodeHeads(message));
    });
    this.sub.on('ready', () => {
      if (this.readyOnce) listener.resync();
      this.readyOnce = true;
    });
    await Promise.all([this.sub.connect(), this.pub.connect()]);
    await this.sub.subscribe(this.channel);
  }

  async publish(heads: readonly StreamHead[]): Promise<void> {
    for (const message of encodeHeads(heads, 64 * 1024)) await this.pub.publish(this.channel, message);
  }

  async close(): Promise<void> {
    this.sub.disconnect();
    this.pub.disconnect();
  }
}
