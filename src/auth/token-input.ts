import { BadUserInputError } from '../errors';
import type { NewApiToken } from '../connectors/provenance/pg-api-tokens';
import { isScope, SCOPES, type Scope } from './scopes';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._@:-]{0,99}$/;

export interface TokenRequest {
  name: string;
  owner?: string | null;
  scopes: readonly string[];
  studies?: readonly string[] | null;
  /** Days until it expires; null or absent: never. */
  expiresInDays?: number | null;
}

/** Checks a token request the same way for the CLI and the GraphQL mutation. */
export function validateTokenRequest(r: TokenRequest, now = new Date()): NewApiToken {
  if (!NAME.test(r.name))
    throw new BadUserInputError('name: 1-100 letters, digits or . _ @ : - (starting with a letter or digit)', 'name');
  if (!r.scopes.length) throw new BadUserInputError(`scopes: at least one of ${SCOPES.join(', ')}`, 'scopes');
  const bad = r.scopes.find((s) => !isScope(s));
  if (bad !== undefined) throw new BadUserInputError(`scopes: unknown scope ${bad}; expected ${SCOPES.join(', ')}`, 'scopes');
  if (r.studies && (!r.studies.length || r.studies.some((s) => !s.length))) {
    throw new BadUserInputError('studies: a list of study ids, or absent for all studies', 'studies');
  }
  const days = r.expiresInDays ?? null;
  if (days !== null && !(days > 0 && days <= 3650))
    throw new BadUserInputError('expiresInDays: more than 0, at most 3650', 'expiresInDays');
  return {
    name: r.name,
    owner: r.owner ?? null,
    scopes: [...new Set(r.scopes as Scope[])],
    studies: r.studies ? [...new Set(r.studies)] : null,
    expiresAt: days === null ? null : new Date(now.getTime() + days * 86_400_000),
  };
}

/** A PostgreSQL unique violation on api_token.name, as a typed input error. */
export function duplicateNameError(err: unknown, name: string): BadUserInputError | null {
  return (err as { code?: string }).code === '23505' ? new BadUserInputError(`a token named ${name} exists`, 'name') : null;
}
