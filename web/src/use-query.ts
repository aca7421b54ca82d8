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

/** Runs a query when its variables change; a newer request aborts the one in flight. */
export function useQuery<T>(query: string, variables: Record<string, unknown>, skip = false): QueryState<T> {
  const key = JSON.stringify(variables);
  const [answer, setAnswer] = useState<Answer<T> | null>(null);
  useEffect(() => {
    if (skip) return;
    const ctl = new AbortController();
    const vars = JSON.parse(key) as Record<string, unknown>;
    const done = (data: T | null, errors: GqlError[]) => {
      if (!ctl.signal.aborted) setAnswer({ for: `${query}\n${key}`, data, errors });
    };
    (takePrefetched<T>(query, vars) ?? gql<T>(query, vars, ctl.signal)).then(
      (r) => done(r.data, r.errors),
      (err: unknown) => done(null, [{ message: String(err) }]),
    );
    return () => ctl.abort();
  }, [query, key, skip]);
  // Derived, not set in the effect: the first render with new variables already says loading.
  const loading = !skip && answer?.for !== `${query}\n${key}`;
  return { loading, data: answer?.data ?? null, errors: answer?.errors ?? [] };
}
