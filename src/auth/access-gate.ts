import type http from 'node:http';
import { parse, type DocumentNode } from 'graphql';
import type { AuthMode } from '../config';
import type { ApiTokenStore } from '../connectors/provenance/pg-api-tokens';
import { ForbiddenError, ProvmlError, RateLimitedError, UnauthenticatedError } from '../errors';
import type { Logger } from '../logger';
import { ROOT_FIELD_SCOPES, routeRule, type Requirement } from './access-policy';
import type { RateLimiter } from './rate-limiter';
import { rootSelection } from './root-fields';
import { hasScope, OPEN_PRINCIPAL, type Principal, type Scope } from './scopes';

/** A refusal, ready to send: HTTP status, typed error, extra headers. */
export interface Denial {
  status: 401 | 403 | 429;
  error: ProvmlError;
  headers: Record<string, string>;
}

export type Admission = { ok: true; principal: Principal } | { ok: false; denial: Denial };

export interface AccessGateOptions {
  mode: AuthMode;
  host: string;
  tokens: ApiTokenStore;
  limiter: RateLimiter;
  log: Logger;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|\[::1\]|localhost)$/i;
export const isLoopbackHost = (host: string) => LOOPBACK.test(host);

const deny = (status: Denial['status'], error: ProvmlError, headers: Record<string, string> = {}): Admission => ({
  ok: false,
  denial: { status, error, headers },
});

/**
 * The one place where requests are admitted (src/server.ts calls it for every route): who asks
 * (Authorization: Bearer), whether access control is on, what the route or the GraphQL root
 * fields need (access-policy.ts), the per-token rate limits, and the audit log of writes and
 * refusals. Tokens are checked against the database on every request, so a revocation or an
 * expiry holds at once on every replica; nothing about tokens is cached but "some token exists".
 */
export class AccessGate {
  private readonly audit: Logger;

  constructor(private readonly opts: AccessGateOptions) {
    this.audit = opts.log.child({ source: 'audit' });
  }

  /** Whether this request must carry a token: the mode, the listening host, and (auto on loopback) whether any token exists. */
  async required(): Promise<boolean> {
    if (this.opts.mode === 'off') return false;
    if (this.opts.mode === 'required' || !isLoopbackHost(this.opts.host)) return true;
    return this.opts.tokens.anyExists();
  }

  /** Who makes the request; a refusal when access control is on and no valid token came with it. */
  async authenticate(req: http.IncomingMessage, what: string): Promise<Admission> {
    if (!(await this.required())) return { ok: true, principal: OPEN_PRINCIPAL };
    const header = req.headers.authorization;
    const m = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!m)
      return this.refuse(401, new UnauthenticatedError(), {
        what,
        token: null,
        reason: header ? 'malformed header' : 'no token',
      });
    const check = await this.opts.tokens.check(m[1]);
    if (!check.ok) {
      const message =
        check.reason === 'revoked' || check.reason === 'expired'
          ? `the access token was ${check.reason}`
          : 'the access token is not valid';
      return this.refuse(401, new UnauthenticatedError(message), { what, token: check.row?.name ?? null, reason: check.reason });
    }
    const t = check.row;
    return { ok: true, principal: { tokenId: t.id, name: t.name, scopes: new Set(t.scopes), studies: t.studies } };
  }

  /**
   * An HTTP route other than /graphql; unknown routes need only authentication (they answer 404).
   * The handlers read the path two ways (WHATWG URL's pathname, and the raw path with repeated
   * slashes collapsed, as ProvLake's routes do: `//provenance/api/...` is a host to one and a path
   * to the other), so every rule either form matches must allow the request.
   */
  admitRoute(principal: Principal, method: string, rawUrl: string): Admission {
    const raw = rawUrl.split('?')[0].split('#')[0];
    const forms = new Set([new URL(rawUrl, 'http://localhost').pathname, raw.replace(/\/{2,}/g, '/') || '/']);
    const rules = [...forms].map((p) => routeRule(method, p)).filter((r) => r !== undefined && r.need !== 'open');
    for (const rule of new Set(rules)) {
      if (!rule || rule.need === 'open') continue;
      const denied = this.check(principal, rule.need, rule.name);
      if (denied) return denied;
      if (rule.write) this.audit.info('write', { token: principal.name, route: rule.name, method });
    }
    return { ok: true, principal };
  }

  /**
   * A GraphQL request: every root field of the operation it runs must be allowed. A document that
   * does not parse, or names no operation, is let through to GraphQL, which refuses to run it.
   */
  admitGraphQL(principal: Principal, query: unknown, operationName: unknown): Admission {
    if (typeof query !== 'string') return { ok: true, principal };
    let doc: DocumentNode;
    try {
      doc = parse(query);
    } catch {
      return { ok: true, principal };
    }
    return this.admitDocument(principal, doc, typeof operationName === 'string' ? operationName : null);
  }

  /** The same check over a parsed document (also for subscriptions over WebSocket). */
  admitDocument(principal: Principal, doc: DocumentNode, operationName: string | null): Admission {
    const sel = rootSelection(doc, operationName);
    if (!sel) return { ok: true, principal };
    const type = sel.operation === 'query' ? 'Query' : sel.operation === 'mutation' ? 'Mutation' : 'Subscription';
    for (const field of sel.fields) {
      const need: Requirement | undefined = ROOT_FIELD_SCOPES[type][field];
      if (!need) {
        // Fail closed: a root field the policy does not name is nobody's.
        return this.refuse(
          403,
          new ForbiddenError(`${type}.${field} has no access rule; it is refused`, { field: `${type}.${field}` }),
          { what: `${type}.${field}`, token: principal.name, reason: 'no rule' },
        );
      }
      const denied = this.check(principal, need, `${type}.${field}`);
      if (denied) return denied;
    }
    if (sel.operation === 'mutation') this.audit.info('mutation', { token: principal.name, fields: sel.fields });
    return { ok: true, principal };
  }

  /** A route outside the policy table that needs one scope (GET /metrics: admin). */
  admitScope(principal: Principal, scope: Scope, what: string): Admission {
    return hasScope(principal, scope) ? { ok: true, principal } : this.forbidScope(principal, scope, what);
  }

  private check(principal: Principal, need: Requirement, what: string): Admission | null {
    if (need.scope && !hasScope(principal, need.scope)) return this.forbidScope(principal, need.scope, what);
    if (need.allStudies && principal.studies) {
      return this.refuse(
        403,
        new ForbiddenError(`${what} needs a token for every study; this one is limited to studies`, { field: what, study: '*' }),
        {
          what,
          token: principal.name,
          reason: 'study-limited',
        },
      );
    }
    // Rate limits are per token: with access control off there is no token to count.
    if (need.rate && principal.tokenId) {
      const wait = this.opts.limiter.take(principal.tokenId, need.rate);
      if (wait > 0) {
        return this.refuse(
          429,
          new RateLimitedError(this.opts.limiter.label(need.rate), wait),
          { what, token: principal.name, reason: 'rate' },
          {
            'retry-after': String(wait),
          },
        );
      }
    }
    return null;
  }

  private forbidScope(principal: Principal, scope: Scope, what: string): Admission {
    return this.refuse(403, new ForbiddenError(`${what} needs scope ${scope}`, { scope, field: what }), {
      what,
      token: principal.name,
      reason: `scope ${scope}`,
    });
  }

  private refuse(
    status: Denial['status'],
    error: ProvmlError,
    fields: { what: string; token: string | null; reason: string },
    headers: Record<string, string> = {},
  ): Admission {
    // Logged once per refused request, with the token's name (never its text).
    this.audit.warn('denied', { ...fields, status, code: error.code });
    return deny(status, error, status === 401 ? { 'www-authenticate': 'Bearer realm="provml"', ...headers } : headers);
  }

  /** Logs a refusal made after admission (a study limit inside a resolver or route). */
  logDenied(principal: Principal, what: string, reason: string): void {
    this.audit.warn('denied', { what, token: principal.name, reason, status: 403, code: 'FORBIDDEN' });
  }
}
