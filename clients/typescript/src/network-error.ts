/**
 * What fetch() reports when no answer came, as one line that names the URL: `fetch failed` or
 * `TypeError: ECONNREFUSED` alone does not tell a user which server or which typo to look at.
 */

const REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  ETIMEDOUT: 'timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  UND_ERR_CONNECT_TIMEOUT: 'connect timed out',
  UND_ERR_SOCKET: 'connection closed',
  CERT_HAS_EXPIRED: 'TLS certificate expired',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed TLS certificate',
};

/** `cannot reach URL: reason` for an error thrown by fetch() (the URL without credentials or query). */
export function describeFetchError(url: string | URL, err: unknown): string {
  return `cannot reach ${displayUrl(url)}: ${fetchErrorReason(err)}`;
}

/** The reason alone: `connection refused`, `timed out`, … */
export function fetchErrorReason(err: unknown): string {
  const e = err as { name?: string; message?: string; code?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError') return 'timed out';
  if (e?.name === 'AbortError') return 'aborted';
  const code = e?.cause?.code ?? e?.code;
  if (code) return REASONS[code] ?? code;
  return e?.cause?.message ?? e?.message ?? String(err);
}

/** A URL fit for a message: user, password and query string (which may carry secrets) left out. */
export function displayUrl(url: string | URL): string {
  try {
    const u = new URL(String(url));
    u.username = '';
    u.password = '';
    u.search = '';
    u.hash = '';
    return u.toString();
  } catch {
    return String(url);
  }
}
