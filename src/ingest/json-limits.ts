/**
 * What PostgreSQL (and JSON itself) cannot hold, checked on the raw event before anything else,
 * so that one such value rejects its own event instead of failing its batch's transaction:
 * - NUL (U+0000): `text` refuses it and `jsonb` refuses the `\u0000` escape;
 * - lone surrogates: `jsonb` refuses `\ud800` escapes, and a `text` parameter would silently turn
 *   them into U+FFFD;
 * - nesting past MAX_NESTING: JSON.stringify and PostgreSQL's JSON parser recurse per level;
 * - numbers that are not finite (1e400 parses as Infinity): JSON has no such number, and
 *   JSON.stringify would write `null`, silently changing the value.
 * The limits are documented in docs/ingest.md.
 */
export const MAX_NESTING = 64;

export interface JsonProblem {
  /** Path below the event, as `.name`, `["odd name"]` and `[index]` segments. */
  path: string;
  message: string;
}

const SIMPLE_KEY = /^[A-Za-z_$][\w$-]*$/;
const keySegment = (key: string) => (SIMPLE_KEY.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`);
const SURROGATE = /[\ud800-\udfff]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function stringProblem(s: string): string | null {
  if (s.includes('\u0000')) return 'contains a NUL character (U+0000), which the store cannot hold';
  if (SURROGATE.test(s) && LONE_SURROGATE.test(s)) return 'contains a lone UTF-16 surrogate (not valid Unicode)';
  return null;
}

/**
 * Segments are collected on the way out of the recursion, so the common (valid) case builds none.
 * `strings` false skips the NUL and surrogate checks of strings and keys (see findJsonProblem).
 */
function walk(value: unknown, depth: number, segments: string[], strings: boolean): string | null {
  if (typeof value === 'string') return strings ? stringProblem(value) : null;
  if (typeof value === 'number') return Number.isFinite(value) ? null : 'is not a finite number (beyond float8)';
  if (value === null || typeof value !== 'object') return null;
  if (depth > MAX_NESTING) return `nested deeper than ${MAX_NESTING} levels of objects and arrays`;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const p = walk(value[i], depth + 1, segments, strings);
      if (p) {
        segments.push(`[${i}]`);
        return p;
      }
    }
    return null;
  }
  for (const key in value) {
    if (!Object.prototype.hasOwnProperty.call(value, key)) continue;
    const kp = strings ? stringProblem(key) : null;
    if (kp) {
      segments.push(keySegment(key));
      return `name ${kp}`;
    }
    const p = walk((value as Record<string, unknown>)[key], depth + 1, segments, strings);
    if (p) {
      segments.push(keySegment(key));
      return p;
    }
  }
  return null;
}

/**
 * The first value of an event the store cannot hold, or null. The event object is level 0.
 * `strings: false` skips the checks of strings for an event that JSON.parse read from a UTF-8
 * request body holding no `\u` escape at all: JSON forbids a raw control character in a string,
 * so a NUL can only be written `\u0000`, and text decoded from UTF-8 holds no lone surrogate
 * (a malformed sequence decodes to U+FFFD), so one can only be written `\ud800`.
 */
export function findJsonProblem(event: unknown, { strings = true }: { strings?: boolean } = {}): JsonProblem | null {
  const segments: string[] = [];
  const message = walk(event, 0, segments, strings);
  return message ? { path: segments.reverse().join(''), message } : null;
}
