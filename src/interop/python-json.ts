/**
 * JSON as Python writes it. `json.dump` / `json.dumps` default to `allow_nan=True` and write a
 * float NaN or infinity as the bare tokens `NaN`, `Infinity`, `-Infinity`, which JSON (and
 * JSON.parse) does not have. The real writers we read do that: the `prov` library's PROV-JSON
 * serializer (`json.dump(doc, cls=ProvJSONEncoder)`, yProv4ML's files), ProvLake's library
 * through `requests`' `json=` before requests 2.28 (which added `allow_nan=False`), and ProvLake's
 * offline log. One NaN loss would make JSON.parse refuse the whole document or bag, losing
 * everything else in it.
 *
 * The store cannot hold those numbers either (PostgreSQL's jsonb has no NaN, and JSON.stringify
 * writes `null`), so each becomes the string of its token, "NaN", "Infinity" or "-Infinity"
 * (the value as written, never a silent null), and the caller is told where, to warn. Python's
 * integers have no size limit either: one beyond 2^53 (a torch seed, `time_ns()`) is kept as the
 * string of its digits rather than rounded by JSON.parse.
 */
export interface PythonJson {
  value: unknown;
  /** Paths (`[0].prov_obj.values.loss`) of the numbers turned into strings; empty for plain JSON. */
  nonFinite: string[];
  /** Paths of integers JSON.parse would round (beyond 2^53), kept as strings of their digits. */
  bigIntegers: string[];
}

// A JSON string (skipped as it is), one of Python's non-finite tokens, or a number.
const TOKENS = /"(?:[^"\\]|\\.)*"|-?Infinity|NaN|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g;
/**
 * Only a text with an integer of 16 digits or more can hold one JSON.parse rounds (2^53 has 16).
 * A float's digits (0.30000000000000004, 1.2345678901234567e-5) do not count: Python writes 17
 * significant digits for most floats, and every batch of metrics would take the slow parse.
 */
const LONG_INTEGER = /(?<![\d.])\d{16,}(?![\d.eE])/;
// Sixteen digits in a row anywhere: what any LONG_INTEGER match holds. Tested first because it
// is about ten times cheaper over an ingest body (its lookbehind makes LONG_INTEGER try every
// position: ~260 µs against ~27 µs for 240 kB of task events), and almost no body has any.
const SIXTEEN_DIGITS = /\d{16}/;
/** Whether the text may hold an integer JSON.parse would round (see LONG_INTEGER). */
export const holdsLongInteger = (text: string): boolean => SIXTEEN_DIGITS.test(text) && LONG_INTEGER.test(text);
// Marks a token turned into a string, to find its path after parsing: a parsed JSON string
// cannot hold a raw NUL unless it was written `\u0000`, which the store refuses anyway.
const NON_FINITE = '\u0000provml-non-finite:';
const BIG_INTEGER = '\u0000provml-big-integer:';
// The marks as written inside the rewritten text (JSON strings hold no raw control character).
const written = (mark: string, token: string) => `"\\u0000${mark.slice(1)}${token}"`;
const SIMPLE_KEY = /^[A-Za-z_$][\w$-]*$/;

function unmark(v: unknown, path: string, out: KeptAsStrings): unknown {
  if (typeof v === 'string') {
    if (v.charCodeAt(0) !== 0) return v;
    for (const [mark, list] of [
      [NON_FINITE, out.nonFinite],
      [BIG_INTEGER, out.bigIntegers],
    ] as const)
      if (v.startsWith(mark)) {
        list.push(path || '(the document)');
        return v.slice(mark.length);
      }
    return v;
  }
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) v[i] = unmark(v[i], `${path}[${i}]`, out);
    return v;
  }
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    for (const k of Object.keys(o))
      o[k] = unmark(o[k], SIMPLE_KEY.test(k) ? `${path}${path ? '.' : ''}${k}` : `${path}[${JSON.stringify(k)}]`, out);
  }
  return v;
}

/** True for an integer literal that JSON.parse would not read back exactly. */
export function roundsOff(token: string): boolean {
  if (!/^-?\d{16,}$/.test(token)) return false;
  const n = Number(token);
  return !Number.isFinite(n) || BigInt(n) !== BigInt(token);
}

/**
 * JSON.parse, also reading Python's NaN / Infinity / -Infinity (see the header), and keeping
 * integers beyond 2^53 (a torch seed, a nanosecond time, a 64-bit hash), which JSON.parse would
 * silently round, as the strings of their digits. Throws JSON.parse's error for what is not JSON.
 */
export function parsePythonJson(text: string): PythonJson {
  let value: unknown;
  let error: unknown;
  try {
    value = JSON.parse(text);
    if (!holdsLongInteger(text)) return { value, nonFinite: [], bigIntegers: [] };
  } catch (err) {
    error = err;
  }
  let count = 0;
  const quoted = text.replace(TOKENS, (m) => {
    const c = m.charCodeAt(0);
    if (c === 34) return m; // a string, unchanged
    if (c === 78 || m.endsWith('Infinity')) {
      count++;
      return written(NON_FINITE, m);
    }
    if (roundsOff(m)) {
      count++;
      return written(BIG_INTEGER, m);
    }
    return m;
  });
  if (!count) {
    if (error !== undefined) throw error;
    return { value, nonFinite: [], bigIntegers: [] };
  }
  try {
    value = JSON.parse(quoted);
  } catch {
    throw error ?? new SyntaxError('not JSON'); // positions of the original text, not of the rewritten one
  }
  const out: KeptAsStrings = { nonFinite: [], bigIntegers: [] };
  value = unmark(value, '', out);
  return { value, ...out };
}

const listed = (paths: string[]) => paths.slice(0, 5).join(', ') + (paths.length > 5 ? `, and ${paths.length - 5} more` : '');

export type KeptAsStrings = Pick<PythonJson, 'nonFinite' | 'bigIntegers'>;

/** Warnings for what was kept as strings, and where (the first few of each). */
export function parsedWarnings(
  p: KeptAsStrings,
  where = '',
): Array<{ type: 'NON_FINITE_NUMBER' | 'BIG_INTEGER'; message: string }> {
  const out: Array<{ type: 'NON_FINITE_NUMBER' | 'BIG_INTEGER'; message: string }> = [];
  const n = p.nonFinite.length;
  const b = p.bigIntegers.length;
  if (n)
    out.push({
      type: 'NON_FINITE_NUMBER',
      message:
        `${n} number${n === 1 ? '' : 's'} written as NaN / Infinity / -Infinity (Python's json), which JSON and the ` +
        `store cannot hold, kept as the strings "NaN" / "Infinity" / "-Infinity"${where}: ${listed(p.nonFinite)}`,
    });
  if (b)
    out.push({
      type: 'BIG_INTEGER',
      message:
        `${b} integer${b === 1 ? '' : 's'} beyond 2^53, which a JSON number here would round, kept as the strings of ` +
        `their digits${where}: ${listed(p.bigIntegers)}`,
    });
  return out;
}
