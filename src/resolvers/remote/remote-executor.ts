import type { AsyncExecutor, ExecutionRequest } from '@graphql-tools/utils';
import { print, type ExecutionResult } from 'graphql';
import { oneLine } from '../../connectors/store-call';
import { StoreTimeoutError, StoreUnavailableError } from '../../errors';

export interface RemoteEndpoint {
  id: string;
  endpoint: string;
  /** Authorization and the like, from secretsFromEnv; never logged. */
  headers: Record<string, string>;
  timeoutMs: number;
}

/**
 * Sends delegated operations to a remote GraphQL endpoint over HTTP POST. A remote that is down,
 * slow or answers garbage becomes a typed error result (STORE_UNAVAILABLE / STORE_TIMEOUT with
 * the store id), which the gateway places at each merged field's path; it never throws.
 */
export function remoteExecutor(remote: RemoteEndpoint): AsyncExecutor {
  return async <T>(request: ExecutionRequest): Promise<ExecutionResult<T>> => {
    let res: Response;
    try {
      res = await fetch(remote.endpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/graphql-response+json, application/json',
          ...remote.headers,
        },
        body: JSON.stringify({
          query: print(request.document),
          variables: request.variables,
          operationName: request.operationName,
        }),
        signal: AbortSignal.timeout(remote.timeoutMs),
      });
    } catch (err) {
      const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
      if (e.name === 'TimeoutError' || e.name === 'AbortError')
        return { errors: [new StoreTimeoutError(remote.id, remote.timeoutMs)] };
      return {
        errors: [new StoreUnavailableError(remote.id, oneLine(e.cause?.code ?? e.cause?.message ?? e.message ?? String(err)))],
      };
    }
    let body: unknown;
    try {
      body = await res.json();
    } catch (err) {
      const e = err as { name?: string };
      if (e.name === 'TimeoutError' || e.name === 'AbortError')
        return { errors: [new StoreTimeoutError(remote.id, remote.timeoutMs)] };
      return { errors: [new StoreUnavailableError(remote.id, `HTTP ${res.status}, body is not JSON`)] };
    }
    if (!body || typeof body !== 'object' || (!('data' in body) && !('errors' in body))) {
      return { errors: [new StoreUnavailableError(remote.id, `HTTP ${res.status}, not a GraphQL response`)] };
    }
    return body as ExecutionResult<T>;
  };
}
