import type { Pool } from 'pg';
import type { Scope } from '../../auth/scopes';
import { newTokenSecret, parseToken, secretMatches } from '../../auth/token-secret';

export interface ApiTokenRow {
  id: string;
  name: string;
  owner: string | null;
  scopes: Scope[];
  studies: string[] | null;
  createdAt: Date;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

export interface NewApiToken {
  name: string;
  owner?: string | null;
  scopes: Scope[];
  studies?: string[] | null;
  expiresAt?: Date | null;
}

/** Why a presented token was refused; never says which part of a well-formed token was wrong to the client. */
export type TokenRefusal = 'malformed' | 'unknown' | 'revoked' | 'expired';

export type TokenCheck = { ok: true; row: ApiTokenRow } | { ok: false; reason: TokenRefusal; row?: ApiTokenRow };

/** Access tokens in the provenance database (migration 011). */
export interface ApiTokenStore {
  /** Stores a new token; the returned text is the only copy of its secret. */
  create(t: NewApiToken): Promise<{ row: ApiTokenRow; token: string }>;
  list(): Promise<ApiTokenRow[]>;
  /** Revokes by id or name; null when there is no such token. Revoking twice keeps the first time. */
  revoke(idOrName: string): Promise<ApiTokenRow | null>;
  /** Checks a presented token against the database, every time: revocation and expiry hold at once on every replica. */
  check(text: string): Promise<TokenCheck>;
  /**
   * True once any token was ever created (revoked ones count: revoking the last token must not
   * open the server). A false answer may be up to a second old.
   */
  anyExists(): Promise<boolean>;
}

const COLS = `id, name, owner, scopes, studies, created_at, expires_at, last_used_at, revoked_at`;

interface Raw {
  id: string;
  name: string;
  owner: string | null;
  scopes: Scope[];
  studies: string[] | null;
  created_at: Date;
  expires_at: Date | null;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

const toRow = (r: Raw): ApiTokenRow => ({
  id: r.id,
  name: r.name,
  owner: r.owner,
  scopes: r.scopes,
  studies: r.studies,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  lastUsedAt: r.last_used_at,
  revokedAt: r.revoked_at,
});

// last_used_at is written at most once a minute per token: a write per request would make every
// read a write, and a minute is precise enough to tell a token in use from a forgotten one.
const NONE_TTL_MS = 1000;

const TOUCH_SQL = `UPDATE api_token SET last_used_at = now()
  WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`;

export class PgApiTokenStore implements ApiTokenStore {
  // Tokens never stop existing (rows are revoked, not deleted), so a true answer is kept.
  private seen = false;
  private noneAt = -Infinity;
  // When this process last wrote last_used_at of each token: the UPDATE is skipped in between,
  // so a request costs one indexed SELECT and no second round trip.
  private readonly touched = new Map<string, number>();

  constructor(private readonly pool: Pool) {}

  async create(t: NewApiToken): Promise<{ row: ApiTokenRow; token: string }> {
    const s = newTokenSecret();
    const res = await this.pool.query<Raw>(
      `INSERT INTO api_token (id, name, owner, secret_hash, scopes, studies, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${COLS}`,
      [s.id, t.name, t.owner ?? null, s.hash, [...new Set(t.scopes)], t.studies ?? null, t.expiresAt ?? null],
    );
    this.seen = true;
    return { row: toRow(res.rows[0]), token: s.token };
  }

  async list(): Promise<ApiTokenRow[]> {
    const res = await this.pool.query<Raw>(`SELECT ${COLS} FROM api_token ORDER BY created_at, id`);
    return res.rows.map(toRow);
  }

  async revoke(idOrName: string): Promise<ApiTokenRow | null> {
    const res = await this.pool.query<Raw>(
      `UPDATE api_token SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1 OR name = $1 RETURNING ${COLS}`,
      [idOrName],
    );
    return res.rows[0] ? toRow(res.rows[0]) : null;
  }

  async check(text: string): Promise<TokenCheck> {
    const parsed = parseToken(text);
    if (!parsed) return { ok: false, reason: 'malformed' };
    // A named (prepared) statement: it runs on every request that carries a token.
    const res = await this.pool.query<Raw & { secret_hash: Buffer; expired: boolean }>({
      name: 'provml.apiToken.check',
      text: `SELECT ${COLS}, secret_hash, (expires_at IS NOT NULL AND expires_at <= now()) AS expired FROM api_token WHERE id = $1`,
      values: [parsed.id],
    });
    const raw = res.rows[0];
    if (!raw || !secretMatches(parsed.secret, raw.secret_hash)) return { ok: false, reason: 'unknown' };
    const row = toRow(raw);
    if (row.revokedAt) return { ok: false, reason: 'revoked', row };
    if (raw.expired) return { ok: false, reason: 'expired', row };
    const now = Date.now();
    if (now - (this.touched.get(row.id) ?? 0) >= 60_000) {
      this.touched.set(row.id, now);
      // Not awaited by the request: the answer does not depend on it, and a failure costs only the timestamp.
      this.pool.query(TOUCH_SQL, [row.id]).catch(() => undefined);
    }
    return { ok: true, row };
  }

  async anyExists(): Promise<boolean> {
    if (this.seen) return true;
    // "None yet" is kept for a second: on a loopback server with no token (the quick start) this
    // is asked by every request, and a token made by the CLI in another process turns checking
    // on within a second. A token made through this process turns it on at once (create()).
    if (Date.now() - this.noneAt < NONE_TTL_MS) return false;
    const res = await this.pool.query<{ any: boolean }>({
      name: 'provml.apiToken.any',
      text: `SELECT EXISTS (SELECT 1 FROM api_token) AS any`,
    });
    this.seen = res.rows[0].any;
    if (!this.seen) this.noneAt = Date.now();
    return this.seen;
  }
}
