import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Token text: `pml_<id>_<secret>`. The id (64 random bits, hex) is the row's key, so a look-up
 * never compares secrets in SQL; the secret (256 random bits, base64url) is compared against its
 * SHA-256 in constant time. The `pml_` prefix lets secret scanners recognise a leaked token.
 */
const TOKEN = /^pml_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

export interface NewTokenSecret {
  id: string;
  /** The whole token, shown to its owner once. */
  token: string;
  hash: Buffer;
}

export function hashSecret(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

export function newTokenSecret(): NewTokenSecret {
  const id = randomBytes(8).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  return { id, token: `pml_${id}_${secret}`, hash: hashSecret(secret) };
}

/** The id and secret of a token's text, or null when it is not shaped like one of ours. */
export function parseToken(text: string): { id: string; secret: string } | null {
  const m = TOKEN.exec(text);
  return m ? { id: m[1], secret: m[2] } : null;
}

export function secretMatches(secret: string, storedHash: Buffer): boolean {
  const h = hashSecret(secret);
  return h.length === storedHash.length && timingSafeEqual(h, storedHash);
}
