const NODE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH']);
// SQLSTATE: admin_shutdown, crash_shutdown, cannot_connect_now (starting up, shutting down, recovering).
const SQL_CODES = new Set(['57P01', '57P02', '57P03']);
// node-postgres raises these as plain Errors without a code.
const PG_MESSAGES = /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error)/;

/**
 * True when an error (or one of its causes) says PostgreSQL could not be reached or went away, as
 * opposed to a statement that failed: the request may be retried once the store is back.
 * Returns the reason to show (a code, never a message that could carry a URL).
 */
export function pgConnectionFailure(err: unknown): string | null {
  // Followed through `cause` and through GraphQL's `originalError` (stitching wraps a subschema's errors).
  const next = (e: object) => (e as { originalError?: unknown }).originalError ?? (e as { cause?: unknown }).cause;
  for (let e: unknown = err, depth = 0; e && typeof e === 'object' && depth < 8; e = next(e), depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (NODE_CODES.has(code) || SQL_CODES.has(code) || code.startsWith('08'))) return code;
    if (e instanceof AggregateError) {
      // Node's happy-eyeballs connect: one error per address tried.
      const inner = e.errors.map(pgConnectionFailure).find((r) => r !== null);
      if (inner) return inner;
    }
    const message = (e as { message?: unknown }).message;
    if (typeof message === 'string' && PG_MESSAGES.test(message)) return 'connection lost';
  }
  return null;
}
