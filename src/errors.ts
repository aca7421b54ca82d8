import { GraphQLError } from 'graphql';

/**
 * The closed set of error codes a client of provml can see in `extensions.code`.
 * Anything else is masked as INTERNAL_SERVER_ERROR by the server's formatError.
 */
export const ErrorCode = {
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  NOT_FOUND: 'NOT_FOUND',
  LIMIT_EXCEEDED: 'LIMIT_EXCEEDED',
  LINEAGE_CAP_EXCEEDED: 'LINEAGE_CAP_EXCEEDED',
  STORE_UNAVAILABLE: 'STORE_UNAVAILABLE',
  STORE_TIMEOUT: 'STORE_TIMEOUT',
  STORE_CONFLICT: 'STORE_CONFLICT',
  UNKNOWN_WORKFLOW: 'UNKNOWN_WORKFLOW',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  RATE_LIMITED: 'RATE_LIMITED',
  FORBIDDEN_LOCATION: 'FORBIDDEN_LOCATION',
  FORBIDDEN_ORIGIN: 'FORBIDDEN_ORIGIN',
  CURSOR_EXPIRED: 'CURSOR_EXPIRED',
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const PUBLIC_CODES = new Set<string>(Object.values(ErrorCode));

/** Base class: every error provml raises on purpose carries a literal code. */
export class ProvmlError extends GraphQLError {
  constructor(
    readonly code: ErrorCode,
    message: string,
    extra: Record<string, unknown> = {},
  ) {
    super(message, { extensions: { code, ...extra } });
    this.name = 'ProvmlError';
  }
}

export class BadUserInputError extends ProvmlError {
  constructor(message: string, field?: string, extra: Record<string, unknown> = {}) {
    super(ErrorCode.BAD_USER_INPUT, message, field ? { field, ...extra } : extra);
  }
}

/**
 * A live subscription's `after` is older than the live log keeps (PROVML_LIVE_RETENTION): what
 * followed it is gone from the log. The client reads the store (the run's metrics and tasks by
 * query) and subscribes again without `after`, or with the `oldest` cursor the error names.
 */
export class CursorExpiredError extends ProvmlError {
  constructor(stream: string, after: number, oldest: number | null) {
    super(
      ErrorCode.CURSOR_EXPIRED,
      `after: cursor ${after} of ${stream} is older than the live log keeps; read the run by query, then subscribe without after`,
      { field: 'after', stream, earliest: oldest === null ? null : String(oldest - 1) },
    );
  }
}

export class NotFoundError extends ProvmlError {
  constructor(what: string, id: string) {
    super(ErrorCode.NOT_FOUND, `${what} not found: ${id}`, { id });
  }
}

export class LimitExceededError extends ProvmlError {
  constructor(limit: string, max: number, actual?: number) {
    super(
      ErrorCode.LIMIT_EXCEEDED,
      actual === undefined ? `limit ${limit} (${max}) exceeded` : `limit ${limit} exceeded: ${actual} > ${max}`,
      { limit, max, ...(actual === undefined ? {} : { actual }) },
    );
  }
}

export class LineageCapExceededError extends ProvmlError {
  constructor(nodeCap: number, depth: number) {
    super(
      ErrorCode.LINEAGE_CAP_EXCEEDED,
      `lineage reached its node cap of ${nodeCap} at depth ${depth}; lower maxDepth, narrow edgeKinds or raise nodeCap`,
      { nodeCap, depth },
    );
  }
}

export class StoreUnavailableError extends ProvmlError {
  constructor(store: string, reason: string) {
    super(ErrorCode.STORE_UNAVAILABLE, `store ${store} is unavailable: ${reason}`, { store });
  }
}

export class StoreTimeoutError extends ProvmlError {
  constructor(store: string, timeoutMs: number) {
    super(ErrorCode.STORE_TIMEOUT, `store ${store} did not answer within ${timeoutMs} ms`, {
      store,
      timeoutMs,
    });
  }
}

/**
 * A write met concurrent writes it could not be ordered with (deadlock or serialization failure)
 * on every attempt: nothing was written, and sending the same request again is safe.
 */
export class StoreConflictError extends ProvmlError {
  constructor(store: string, sqlState: string, attempts: number) {
    super(
      ErrorCode.STORE_CONFLICT,
      `store ${store} met conflicting concurrent writes ${attempts} times; nothing was written, retry`,
      {
        store,
        retryable: true,
        sqlState,
        attempts,
      },
    );
  }
}

export class UnknownWorkflowError extends ProvmlError {
  constructor(name: string, version?: number) {
    super(ErrorCode.UNKNOWN_WORKFLOW, `workflow ${name}${version === undefined ? '' : ` version ${version}`} is not registered`, {
      workflow: name,
      ...(version === undefined ? {} : { version }),
    });
  }
}

/** No valid token with a request that needs one (HTTP 401). The message never says which part of a token was wrong. */
export class UnauthenticatedError extends ProvmlError {
  constructor(message = 'a valid access token is required: send Authorization: Bearer <token>') {
    super(ErrorCode.UNAUTHENTICATED, message);
  }
}

/** The token lacks a scope or a study (HTTP 403); `scope` or `study` names what is missing. */
export class ForbiddenError extends ProvmlError {
  constructor(message: string, missing: { scope?: string; study?: string; field?: string }) {
    super(ErrorCode.FORBIDDEN, message, missing);
  }
}

/** A token's rate limit is spent (HTTP 429); retryAfter is in seconds, also sent as Retry-After. */
export class RateLimitedError extends ProvmlError {
  constructor(limit: string, retryAfter: number) {
    super(ErrorCode.RATE_LIMITED, `rate limit ${limit} reached; retry after ${retryAfter} s`, { limit, retryAfter });
  }
}

/**
 * A location a client named (a data reference URI, an extraction target) that lies outside every
 * configured store and root: `..`, a symlink out of the root, another bucket, `file:///etc/passwd`.
 * The server refuses to read it; what the client recorded about it is kept (docs/security.md).
 */
export class ForbiddenLocationError extends ProvmlError {
  constructor(location: string, how: string, field = 'uri', extra: Record<string, unknown> = {}) {
    super(
      ErrorCode.FORBIDDEN_LOCATION,
      `${field} ${JSON.stringify(location.slice(0, 200))} is outside the store's root: ${how}`,
      {
        field,
        ...extra,
      },
    );
  }
}

/** True when an error's code is one we chose to show to clients. */
export function isPublicCode(code: unknown): boolean {
  return typeof code === 'string' && PUBLIC_CODES.has(code);
}
