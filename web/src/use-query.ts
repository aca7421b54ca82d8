import { useEffect, useState } from 'react';
import { gql, type GqlError } from './graphql';

export interface QueryState<T> {
  loading: boolean;
  data: T | null;
  errors: GqlError[];
}

/** Runs a query when its variables change; a newer request aborts the one in flight. */
export function useQuery<T>(query: string, variables: Record<string, unknown>, skip = false): QueryState<T> {
  const key = JSON.stringify(variables);
  const [state, setState] = useState<QueryState<T>>({ loading: !skip, data: null, errors: [] });
  useEffect(() => {
    if (skip) return;
    const ctl = new AbortController();
    setState((s) => ({ ...s, loading: true }));
    gql<T>(query, JSON.parse(key) as Record<string, unknown>, ctl.signal).then(
      (r) => setState({ loading: false, data: r.data, errors: r.errors }),
      (err: unknown) => {
        if (!ctl.signal.aborted) setState({ loading: false, data: null, errors: [{ message: String(err) }] });
      },
    );
    return () => ctl.abort();
  }, [query, key, skip]);
  return state;
}
