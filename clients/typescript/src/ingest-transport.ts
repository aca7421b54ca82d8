import { toJson, type JsonObject, type JsonValue } from './ingest-event';
import { describeFetchError } from './network-error';

/**
 * HTTP transport: one ingest batch (or one spec) per POST, each answer sorted into an outcome.
 * The sender decides what to do with it; this module only says what the server said:
 * ack (with the payload), retry (network error, 429, 5xx, a transient GraphQL error, with the
 * server's Retry-After when given), tooLarge (413 or LIMIT_EXCEEDED) or fatal (another 4xx, a
 * malformed answer, a GraphQL error that resending cannot fix).
 */

export const INGEST_MUTATION =
  'mutation Ingest($events:[JSON!]!){ingest(events:$events){accepted duplicates rejected parked duplicateIds issues{index eventId field code message}}}';
export const REGISTER_MUTATION = 'mutation Register($spec:WorkflowSpecInput!){registerWorkflow(spec:$spec){id name version}}';

/** GraphQL error codes after which the same request may succeed later. */
const TRANSIENT_CODES = new Set([
  'STORE_UNAVAILABLE',
  'STORE_TIMEOUT',
  'STORE_CONFLICT',
  'INTERNAL_SERVER_ERROR',
  'SERVICE_UNAVAILABLE',
]);

export interface IngestIssue {
  index: number;
  eventId: string | null;
  field: string;
  code: string;
  message: string;
}

/** The ingest mutation's payload. */
export interface BatchOutcome {
  accepted: number;
  duplicates: number;
  rejected: number;
  /**
   * Events the server parked: their run or task is not stored yet (another process sends its
   * begin); stored, and written when it lands. Acknowledged, never resent. Absent from older servers.
   */
  parked?: number;
  duplicateIds: string[];
  issues: IngestIssue[];
}

export type OutcomeKind = 'ack' | 'retry' | 'tooLarge' | 'fatal';

export interface Outcome<T = JsonObject> {
  kind: OutcomeKind;
  /** The mutation's payload, on ack. */
  data?: T;
  reason: string;
  /** Milliseconds the server asked us to wait (Retry-After). */
  retryAfterMs?: number;
  status?: number;
}

/** Accepts `http://host:port`, `host:port` or a full `.../graphql` URL. */
export function graphqlUrl(server: string): string {
  const withScheme = server.includes('://') ? server : `http://${server}`;
  const url = new URL(withScheme);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`url: scheme must be http or https, got ${url.protocol.replace(/:$/, '')}`);
  }
  if (url.pathname === '' || url.pathname === '/') url.pathname = '/graphql';
  url.hash = '';
  return url.toString();
}

/** Milliseconds to wait from a Retry-After header (delta-seconds or an HTTP date); undefined if absent. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value || !value.trim()) return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  const when = Date.parse(text);
  if (Number.isNaN(when)) return undefined;
  return Math.max(0, when - now);
}

/** Sorts one HTTP answer into an Outcome (pure: tests feed it answers directly). */
export function classifyAnswer(status: number, body: string, field: string, retryAfterMs?: number): Outcome {
  const text = body.slice(0, 300);
  if (status === 429 || status >= 500) return { kind: 'retry', reason: `HTTP ${status}: ${text}`, retryAfterMs, status };
  if (status === 413) return { kind: 'tooLarge', reason: `HTTP 413: ${text}`, status };
  let answer: unknown;
  try {
    answer = JSON.parse(body);
  } catch {
    return { kind: 'fatal', reason: `malformed answer (HTTP ${status}, not JSON): ${JSON.stringify(text)}`, status };
  }
  if (typeof answer !== 'object' || answer === null || Array.isArray(answer)) {
    return { kind: 'fatal', reason: `malformed answer (HTTP ${status}): ${JSON.stringify(text)}`, status };
  }
  const { data, errors } = answer as { data?: unknown; errors?: unknown };
  const payload = isObject(data) ? data[field] : undefined;
  const errorList = Array.isArray(errors) ? errors.filter(isObject) : [];
  if (!isObject(payload) || status !== 200) {
    const codes = errorList.map((e) => (isObject(e.extensions) ? e.extensions.code : undefined));
    const messages = errorList.map((e) => String(e.message)).join('; ');
    if (errorList.length && codes.every((c) => typeof c === 'string' && TRANSIENT_CODES.has(c))) {
      return { kind: 'retry', reason: `HTTP ${status}: ${messages}`, retryAfterMs, status };
    }
    if (codes.includes('LIMIT_EXCEEDED')) return { kind: 'tooLarge', reason: `HTTP ${status}: ${messages}`, status };
    return {
      kind: 'fatal',
      reason: `HTTP ${status}: ${messages || `no ${field} payload in answer: ${JSON.stringify(text)}`}`,
      status,
    };
  }
  if (field === 'ingest' && !isBatchOutcome(payload)) {
    return { kind: 'fatal', reason: `malformed ingest payload: ${JSON.stringify(text)}`, status };
  }
  return { kind: 'ack', data: payload as JsonObject, reason: 'ok', status };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0;
}

export function isBatchOutcome(v: unknown): v is BatchOutcome {
  if (!isObject(v) || !isCount(v.accepted) || !isCount(v.duplicates) || !isCount(v.rejected)) return false;
  const issues = v.issues ?? [];
  return Array.isArray(issues) && issues.every(isObject);
}

export interface TransportOptions {
  /** Milliseconds per request before it counts as a network error (default 10 s). */
  timeoutMs?: number;
  headers?: Record<string, string>;
  /** API token, sent as `Authorization: Bearer`; kept out of every message and file. */
  token?: string;
}

/** POSTs GraphQL requests; Node's fetch keeps connections alive between them. */
export class HttpTransport {
  readonly url: string;
  private readonly timeoutMs: number;
  private readonly headers: Record<string, string>;
  /** Aborted by the sender's close(): an in-flight request must not outlive its deadline. */
  private readonly closing = new AbortController();

  constructor(server: string, opts: TransportOptions = {}) {
    this.url = graphqlUrl(server);
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.headers = { 'content-type': 'application/json', accept: 'application/json', ...opts.headers };
    if (opts.token) this.headers.authorization = `Bearer ${opts.token}`;
  }

  sendEvents(events: readonly JsonValue[]): Promise<Outcome> {
    return this.post(toJson({ query: INGEST_MUTATION, variables: { events } }), 'ingest');
  }

  register(spec: JsonObject): Promise<Outcome> {
    return this.post(toJson({ query: REGISTER_MUTATION, variables: { spec } }), 'registerWorkflow');
  }

  abort(): void {
    this.closing.abort();
  }

  private async post(body: string, field: string): Promise<Outcome> {
    let status: number;
    let text: string;
    let retryAfter: string | null;
    try {
      const res = await fetch(this.url, {
        method: 'POST',
        headers: this.headers,
        body,
        signal: AbortSignal.any([AbortSignal.timeout(this.timeoutMs), this.closing.signal]),
      });
      status = res.status;
      retryAfter = res.headers.get('retry-after');
      text = await res.text();
    } catch (err) {
      return { kind: 'retry', reason: `network: ${describeFetchError(this.url, err)}` };
    }
    return classifyAnswer(status, text, field, parseRetryAfter(retryAfter));
  }
}
