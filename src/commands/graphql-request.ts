import { describeFetchError } from '#client';
import { CommandError } from './command-args';
import { authHeaders } from './server-options';

/** fetch() whose network failure is a CommandError naming the URL (`cannot reach …: connection refused`). */
export async function fetchOrExplain(url: string | URL, init: RequestInit = {}): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (e) {
    throw new CommandError(describeFetchError(url, e));
  }
}

/** One GraphQL operation; GraphQL errors and non-JSON answers become a CommandError. */
export async function graphqlRequest(
  url: string,
  token: string | undefined,
  query: string,
  variables: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const res = await fetchOrExplain(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...authHeaders(token) },
    body: JSON.stringify({ query, variables }),
  });
  const text = await res.text();
  let body: { data?: Record<string, unknown> | null; errors?: Array<{ message: string }> };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    throw new CommandError(`${url} answered HTTP ${res.status}, not JSON: ${text.slice(0, 200)}`);
  }
  if (body.errors?.length) throw new CommandError(body.errors.map((e) => e.message).join('; '));
  if (!res.ok) throw new CommandError(`${url} answered HTTP ${res.status}`);
  return body.data ?? {};
}
