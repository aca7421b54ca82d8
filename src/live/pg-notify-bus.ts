import pg from 'pg';
import type { Pool } from 'pg';
import type { StreamHead } from '../ingest/live-changes';
import type { Logger } from '../logger';
import { decodeHeads, encodeHeads, LIVE_CHANNEL, type LiveBus, type LiveBusListener } from './live-bus';

// PostgreSQL refuses NOTIFY payloads of 8000 bytes or more.
const MAX_PAYLOAD = 7900;

/**
 * LiveBus over PostgreSQL LISTEN/NOTIFY: no service beyond the provenance store. One dedicated
 * connection listens (a pooled one would lose its LISTEN when released); publishing goes through
 * a small pool of its own. A lost listening connection is reconnected with backoff and reported
 * as a resync: NOTIFYs sent while it was down are gone, the store still has the changes.
 */
export class PgNotifyBus implements LiveBus {
  readonly kind = 'postgres';
  private listenClient: pg.Client | null = null;
  private readonly publishPool: Pool;
  private listener: LiveBusListener | null = null;
  private closed = false;
  private retryTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly url: string,
    private readonly log: Logger,
  ) {
    this.publishPool = new pg.Pool({ connectionString: url, max: 2, connectionTimeoutMillis: 10_000 });
    this.publishPool.on('error', (err) => log.warn('live publish connection failed', { error: err.message }));
  }

  async start(listener: LiveBusListener): Promise<void> {
    this.listener = listener;
    await this.connect();
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url });
    client.on('notification', (msg) => {
      if (msg.channel === LIVE_CHANNEL && msg.payload) this.listener?.heads(decodeHeads(msg.payload));
    });
    client.on('error', (err) => {
      this.log.warn('live LISTEN connection lost', { error: err.message });
      this.reconnectLater(client, 200);
    });
    client.on('end', () => this.reconnectLater(client, 200));
    await client.connect();
    await client.query(`LISTEN ${LIVE_CHANNEL}`);
    this.listenClient = client;
  }

  private reconnectLater(lost: pg.Client, delayMs: number): void {
    if (this.closed || this.listenClient !== lost) return;
    this.listenClient = null;
    void lost.end().catch(() => undefined);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.connect().then(
        () => this.listener?.resync(),
        (err: unknown) => {
          this.log.warn('live LISTEN reconnect failed', { error: err instanceof Error ? err.message : String(err) });
          // A stand-in client so the next attempt passes the identity check above.
          const stub = new pg.Client({ connectionString: this.url });
          this.listenClient = stub;
          this.reconnectLater(stub, Math.min(delayMs * 2, 5000));
        },
      );
    }, delayMs);
  }

  async publish(heads: readonly StreamHead[]): Promise<void> {
    for (const payload of encodeHeads(heads, MAX_PAYLOAD)) {
      await this.publishPool.query('SELECT pg_notify($1, $2)', [LIVE_CHANNEL, payload]);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const c = this.listenClient;
    this.listenClient = null;
    await c?.end().catch(() => undefined);
    await this.publishPool.end().catch(() => undefined);
  }
}
