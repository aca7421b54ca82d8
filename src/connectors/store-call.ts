import { ProvmlError, StoreTimeoutError, StoreUnavailableError } from '../errors';

/** Structured log sink a connector may be given (e.g. `(l, m, f) => logger.child({ source: id })[l](m, f)`). */
export type StoreLog = (level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;

/** Options every connector accepts. */
export interface StoreCallOptions {
  /** Store id from the registry; it names the store in typed errors and logs. */
  id: string;
  /** Upper bound of one store call in milliseconds (default 10 000). */
  timeoutMs?: number;
  log?: StoreLog;
}

export const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * Runs one store call under a deadline. The call gets an AbortSignal it should pass on to the
 * client so a late answer also frees its socket; the race makes the deadline hold even where
 * a client ignores the signal.
 */
export async function withDeadline<T>(storeId: string, timeoutMs: number, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new StoreTimeoutError(storeId, timeoutMs));
    }, timeoutMs);
  });
  try {
    return await Promise.race([call(controller.signal), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Maps anything a client threw to a typed error. Errors we raised on purpose pass through;
 * errors from other realms (ESM clients loaded outside jest's sandbox) are matched by shape,
 * never by `instanceof`.
 */
export function toStoreError(storeId: string, err: unknown, timeoutMs: number): ProvmlError {
  if (err instanceof ProvmlError) return err;
  const e = (err ?? {}) as { name?: unknown; message?: unknown; code?: unknown };
  const name = typeof e.name === 'string' ? e.name : '';
  if (name === 'AbortError' || name === 'TimeoutError') return new StoreTimeoutError(storeId, timeoutMs);
  const message = typeof e.message === 'string' && e.message ? e.message : String(err);
  return new StoreUnavailableError(storeId, oneLine(message));
}

/** Keeps store messages short and free of credentials embedded in URLs. */
export function oneLine(message: string): string {
  const redacted = message.replace(/\/\/[^/@\s]+:[^/@\s]+@/g, '//***@');
  const first = redacted.split('\n')[0] ?? '';
  return first.length > 300 ? first.slice(0, 297) + '...' : first;
}

/** Runs `fn` over `items` with at most `limit` in flight, keeping input order in the output. */
export async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** Receives one record per store call (the server's metrics implement it). */
export interface StoreCallObserver {
  /** `errorCode`: null when the call succeeded; else the typed code (STORE_UNAVAILABLE, ...) or the error's name. */
  storeCall(store: string, operation: string, seconds: number, errorCode: string | null): void;
}

const codeOf = (err: unknown): string => {
  const e = err as { extensions?: { code?: unknown }; code?: unknown; name?: unknown } | null;
  const code = e?.extensions?.code ?? e?.code ?? e?.name;
  return typeof code === 'string' && code ? code : 'ERROR';
};

/**
 * The connector with every method that returns a promise timed and reported to `observer`:
 * one wrapper at the registry instead of a metrics call in each backend. A batch answer with an
 * Error in a slot (findByUris, describe, stat) counts as a failed call, with that slot's code.
 */
export function observeStoreCalls<T extends object>(storeId: string, target: T, observer: StoreCallObserver): T {
  const wrapped = new Map<PropertyKey, unknown>();
  return new Proxy(target, {
    get(obj, prop, receiver) {
      const value: unknown = Reflect.get(obj, prop, receiver);
      if (typeof value !== 'function' || prop === 'constructor') return value;
      if (!wrapped.has(prop)) {
        const operation = String(prop);
        const fn = value as (...args: unknown[]) => unknown;
        wrapped.set(prop, function (this: unknown, ...args: unknown[]) {
          const started = performance.now();
          const seconds = () => (performance.now() - started) / 1000;
          const out = fn.apply(obj, args);
          if (!(out instanceof Promise)) return out;
          return out.then(
            (result: unknown) => {
              const failed = Array.isArray(result) ? result.find((r) => r instanceof Error) : undefined;
              observer.storeCall(storeId, operation, seconds(), failed ? codeOf(failed) : null);
              return result;
            },
            (err: unknown) => {
              observer.storeCall(storeId, operation, seconds(), codeOf(err));
              throw err;
            },
          );
        });
      }
      return wrapped.get(prop);
    },
  });
}
