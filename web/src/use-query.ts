import { useEffect, useState } from 'react';
import { gql, takePrefetched, type GqlError } from './graphql';

export interface QueryState<T> {
  /** True until the answer to the current query and variables is in (older data may show meanwhile). */
  loading: boolean;
  data: T | null;
  errors: GqlError[];
}

interface Answer<T> {
  /** The query and variables this answer is for. */
  for: string;
  data: T | null;
  errors: GqlError[];
}

/**
 * Runs a query when its variables change; a newer request aborts the one in flight. A new
 * `refresh` value runs it again with the same variables (the run page, once its run has ended).
 */
export function useQuery<T>(query: string, variables: Record<string, unknown>, skip = false, refresh = 0): QueryState<T> {
  const key = JSON.stringify(variables);
  const forKey = `${query}\n${key}\n${refresh}`;
  const [answer, setAnswer] = useState<Answer<T> | null>(null);
  useEffect(() => {
    if (skip) return;
    const ctl = new AbortController();
    const vars = JSON.parse(key) as Record<string, unknown>;
    const done = (data: T | null, errors: GqlError[]) => {
      if (!ctl.signal.aborted) setAnswer({ for: forKey, data, errors });
    };
    (refresh ? gql<T>(query, vars, ctl.signal) : (takePrefetched<T>(query, vars) ?? gql<T>(query, vars, ctl.signal))).then(
      (r) => done(r.data, r.errors),
      (err: unknown) => done(null, [{ message: String(err) }]),
    );
    return () => ctl.abort();
  }, [query, key, skip, forKey, refresh]);
  // Derived, not set in the effect: the first render with new variables already says loading.
  const loading = !skip && answer?.for !== forKey;
  return { loading, data: answer?.data ?? null, errors: answer?.errors ?? [] };
}
