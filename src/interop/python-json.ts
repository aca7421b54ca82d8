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
 * (the value as written, never a silent null), and the caller is told where, to warn.
 */
export interface PythonJson {
  value: unknown;
  /** Paths (`[0].prov_obj.values.loss`) of the numbers turned into strings; empty for plain JSON. */
  nonFinite: string[];
}

// A JSON string (skipped as it is) or one of Python's non-finite tokens outside strings.
const TOKENS = /"(?:[^"\\]|\\.)*"|-?Infinity|NaN/g;
// Marks a token turned into a string, to find its path after parsing: a parsed JSON string
// cannot hold a raw NUL unless it was written `\u0000`, which the store refuses anyway.
const MARK = '\u0000provml-non-finite:';
const SIMPLE_KEY = /^[A-Za-z_$][\w$-]*$/;

function unmark(v: unknown, path: string, out: string[]): unknown {
  if (typeof v === 'string') {
    if (!v.startsWith(MARK)) return v;
    out.push(path || '(the document)');
    return v.slice(MARK.length);
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

/** JSON.parse, also reading Python's NaN / Infinity / -Infinity (see the header). Throws JSON.parse's error. */
export function parsePythonJson(text: string): PythonJson {
  try {
    return { value: JSON.parse(text) as unknown, nonFinite: [] };
  } catch (err) {
    let count = 0;
    const quoted = text.replace(TOKENS, (m) => {
      if (m.charCodeAt(0) === 34) return m; // a string, unchanged
      count++;
      return `"\\u0000${MARK.slice(1)}${m}"`; // the NUL escaped: JSON strings hold no raw control character
    });
    if (!count) throw err;
    let value: unknown;
    try {
      value = JSON.parse(quoted);
    } catch {
      throw err; // positions of the original text, not of the rewritten one
    }
    const nonFinite: string[] = [];
    value = unmark(value, '', nonFinite);
    return { value, nonFinite };
  }
}

/** One line for a warning: how many numbers were kept as strings, and where (the first few). */
export function nonFiniteWarning(paths: string[], where = ''): string {
  const shown = paths.slice(0, 5).join(', ') + (paths.length > 5 ? `, and ${paths.length - 5} more` : '');
  return (
    `${paths.length} number${paths.length === 1 ? '' : 's'} written as NaN / Infinity / -Infinity (Python's json), ` +
    `which JSON and the store cannot hold, kept as the strings "NaN" / "Infinity" / "-Infinity"${where}: ${shown}`
  );
}
