/** The scopes a token can carry; `admin` implies every other one. */
export const SCOPES = ['read', 'ingest', 'register', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

export function isScope(v: string): v is Scope {
  return (SCOPES as readonly string[]).includes(v);
}

/** Who is making a request: a token, or nobody in particular when access control is off. */
export interface Principal {
  /** Token id; null when access control is off (everything is allowed). */
  tokenId: string | null;
  /** Token name, for the audit log; `anonymous` when access control is off. */
  name: string;
  scopes: ReadonlySet<Scope>;
  /** Studies the principal may see and write; null: all. */
  studies: readonly string[] | null;
}

/** The principal of a server with access control off: all scopes, every study. */
export const OPEN_PRINCIPAL: Principal = { tokenId: null, name: 'anonymous', scopes: new Set(SCOPES), studies: null };

export function hasScope(p: Principal, scope: Scope): boolean {
  return p.scopes.has(scope) || p.scopes.has('admin');
}
