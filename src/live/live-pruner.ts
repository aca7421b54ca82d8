import type { ProvenanceStore } from '../connectors/provenance/provenance-store';
import type { Logger } from '../logger';

export interface LivePrunerOptions {
  /** Changes older than this are deleted (ms). */
  retentionMs: number;
  /** How often this replica tries (ms). */
  intervalMs: number;
  /** Rows deleted per transaction: short transactions, short locks on the log. */
  chunk?: number;
}

export interface LivePruner {
  /** Prunes now, to the end of what is due (or until another replica holds the lock); rows deleted. */
  prune(): Promise<number>;
  lastPollError(): string | null;
  stop(): Promise<void>;
}

/**
 * Live-log retention (docs/live.md). Runs on every replica; the store's advisory lock lets one
 * prune at a time (the others skip that tick), and deleting is idempotent anyway. What it deletes
 * is a prefix of each stream, so a cursor older than what the log keeps is told so
 * (CURSOR_EXPIRED) rather than resumed with a gap (live-hub.ts).
 */
export function startLivePruner(
  deps: { store: Pick<ProvenanceStore, 'pruneLiveChanges'>; log: Logger },
  options: LivePrunerOptions,
): LivePruner {
  const chunk = options.chunk ?? 5000;
  let pollError: string | null = null;
  let running: Promise<number> | null = null;
  let stopped = false;

  const pruneAll = async (): Promise<number> => {
    let total = 0;
    for (;;) {
      const n = await deps.store.pruneLiveChanges(options.retentionMs, chunk);
      if (n === null) break; // another replica prunes now
      total += n;
      if (n < chunk || stopped) break;
    }
    return total;
  };
  const prune = (): Promise<number> => {
    running ??= pruneAll()
      .then((n) => {
        pollError = null;
        if (n) deps.log.info('live log pruned', { rows: n, retentionMs: options.retentionMs });
        return n;
      })
      .catch((err: unknown) => {
        pollError = err instanceof Error ? err.message : String(err);
        deps.log.warn('live log pruning failed', { error: pollError });
        return 0;
      })
      .finally(() => (running = null));
    return running;
  };
  const timer = setInterval(() => void prune(), options.intervalMs);
  timer.unref();
  void prune();
  return {
    prune,
    lastPollError: () => pollError,
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
