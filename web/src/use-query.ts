import { useEffect, useState } from 'react';
import { gql, takePrefetched, type GqlError } from './graphql';

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
    const variables = JSON.parse(key) as Record<string, unknown>;
    (takePrefetched<T>(query, variables) ?? gql<T>(query, variables, ctl.signal)).then(
      (r) => {
        if (!ctl.signal.aborted) setState({ loading: false, data: r.data, errors: r.errors });
      },
      (err: unknown) => {
        if (!ctl.signal.aborted) setState({ loading: false, data: null, errors: [{ message: String(err) }] });
      },
    );
    return () => ctl.abort();
  }, [query, key, skip]);
  return state;
}
