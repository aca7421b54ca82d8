import type { LiveChangeRow } from '../connectors/provenance/pg-live-log';
import type { RequestContext } from '../context';
import { StoreUnavailableError } from '../errors';
import { LiveCloseCode } from './close-codes';
import { LiveFeed } from './live-feed';

/**
 * A subscription's message stream over one live stream of the hub. Falling behind by more than
 * the configured backlog drops the connection with SLOW_SUBSCRIBER.
 */
export async function openFeed<T>(
  ctx: RequestContext,
  stream: string,
  after: number | null,
  toMessages: (rows: LiveChangeRow[]) => T[],
  /** What besides the rows decides the messages (filter, cursor): subscribers alike share them. */
  variant: string,
  batchMs = 0,
): Promise<AsyncIterableIterator<T>> {
  const hub = ctx.live;
  if (!hub) throw new StoreUnavailableError('live', 'subscriptions run only on a started server');
  const max = ctx.config.liveMaxPending;
  const feed = new LiveFeed<T>({
    maxPending: max,
    batchMs,
    toMessages: (rows) => hub.shared(rows, variant, () => toMessages(rows)),
    onOverflow: () => {
      ctx.log.warn('slow subscriber dropped', { stream, maxPending: max });
      ctx.connection?.drop(LiveCloseCode.SLOW_SUBSCRIBER, `subscriber too slow: more than ${max} items waiting`);
    },
  });
  feed.attach(await hub.join(stream, after, feed));
  return feed;
}
