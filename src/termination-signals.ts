import type { Logger } from './logger';

export interface TerminationSignals {
  /** Resolves with the first SIGTERM, SIGINT or SIGHUP (at once when one came before). */
  received: Promise<NodeJS.Signals>;
  dispose(): void;
}

/**
 * Installed before start-up, so a signal during start-up stops the server once it is up instead of
 * killing the process with its local PostgreSQL left running. A second signal while stopping
 * exits at once (the local store's exit hook still asks PostgreSQL for a fast shutdown).
 */
export function catchTerminationSignals(log: Logger): TerminationSignals {
  let first: NodeJS.Signals | null = null;
  let resolve!: (s: NodeJS.Signals) => void;
  const received = new Promise<NodeJS.Signals>((r) => (resolve = r));
  const onSignal = (signal: NodeJS.Signals) => {
    if (first === null) {
      first = signal;
      resolve(signal);
      return;
    }
    log.warn('second termination signal: exiting without waiting for requests in flight', { signal });
    process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGHUP' ? 1 : 15));
  };
  // SIGHUP: the terminal went away. PostgreSQL, in its own session, would not notice.
  const signals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP'];
  for (const s of signals) process.on(s, onSignal);
  return {
    received,
    dispose: () => {
      for (const s of signals) process.off(s, onSignal);
    },
  };
}
