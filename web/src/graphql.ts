// The app's one way to the server: POST /graphql, the public API a user can query too. A
// response may carry data and errors together (a store that is down costs only its fields), so
// both are returned and pages render what came back.

export interface GqlError {
  message: string;
  path?: ReadonlyArray<string | number>;
  extensions?: { code?: string; store?: string; [k: string]: unknown };
}

export interface GqlResult<T> {
  data: T | null;
  errors: GqlError[];
}

export const GRAPHQL_URL = '/graphql';

export async function gql<T>(
  query: string,
  variables: Record<string, unknown> = {},
  signal?: AbortSignal,
): Promise<GqlResult<T>> {
  const res = await fetch(GRAPHQL_URL, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ query, variables }),
    signal,
  });
  let body: { data?: T | null; errors?: GqlError[] };
  try {
    body = (await res.json()) as typeof body;
  } catch {
    return { data: null, errors: [{ message: `the server answered HTTP ${res.status} without JSON` }] };
  }
  return { data: body.data ?? null, errors: body.errors ?? [] };
}

/** The errors at `path` or under it (a field's own error, or those of its children). */
export function errorsAt(errors: readonly GqlError[], path: ReadonlyArray<string | number>): GqlError[] {
  return errors.filter((e) => e.path && path.every((p, i) => e.path![i] === p));
}

/** Errors with no path, or at the root field: the query as a whole failed. */
export function topErrors(errors: readonly GqlError[], rootField: string): GqlError[] {
  return errors.filter((e) => !e.path || (e.path.length === 1 && e.path[0] === rootField));
}

// Requests started before their page's code has loaded (see prefetch.ts), taken once by the
// page's first useQuery of the same query and variables.
const started = new Map<string, Promise<GqlResult<unknown>>>();
const keyOf = (query: string, variables: Record<string, unknown>) => `${query}\n${JSON.stringify(variables)}`;

export function prefetch<T>(query: string, variables: Record<string, unknown>): Promise<GqlResult<T>> {
  const p = gql<T>(query, variables).catch((err: unknown) => ({ data: null, errors: [{ message: String(err) }] }));
  started.set(keyOf(query, variables), p);
  return p;
}

export function takePrefetched<T>(query: string, variables: Record<string, unknown>): Promise<GqlResult<T>> | undefined {
  const key = keyOf(query, variables);
  const p = started.get(key);
  started.delete(key);
  return p as Promise<GqlResult<T>> | undefined;
}
