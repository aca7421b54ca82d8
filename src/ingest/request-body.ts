import { parsePythonJson, parsedWarnings } from '../interop/python-json';

/** A parsed POST /graphql body, and what in its ingest events was kept as strings (to warn). */
export interface ParsedRequestBody {
  parsed: unknown;
  warnings: Array<{ type: 'NON_FINITE_NUMBER' | 'BIG_INTEGER'; message: string }>;
}

type Operation = { query?: unknown; variables?: Record<string, unknown> } | null;
// An operation that calls the ingest mutation: its variables are events (whatever their name).
const INGESTS = /\bingest\s*\(/;
const ingests = (op: Operation) => typeof op?.query === 'string' && INGESTS.test(op.query);
const operationsOf = (v: unknown): Operation[] => (Array.isArray(v) ? (v as Operation[]) : [v as Operation]);

// Every integer literal JSON.parse rounds (beyond 2^53) reads as a number at least this large.
const EXACT = 2 ** 53;
// Deeper than this, the walk stops and says maybe: the careful parse decides.
const WALK_DEPTH = 256;

/**
 * Whether a value JSON.parse made may hold an integer it rounded: any number of magnitude 2^53
 * or more (1e300 too; the careful parse then finds it was no integer literal). A walk of the
 * parsed events costs a fraction of a regex over the text, which must try every position of a
 * batch of metrics (their 17-digit fractions).
 */
function mayHoldRounded(v: unknown, depth: number): boolean {
  if (typeof v === 'number') return v >= EXACT || v <= -EXACT;
  if (v === null || typeof v !== 'object') return false;
  if (depth > WALK_DEPTH) return true;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (mayHoldRounded(v[i], depth + 1)) return true;
    return false;
  }
  for (const k in v) if (mayHoldRounded((v as Record<string, unknown>)[k], depth + 1)) return true;
  return false;
}

/**
 * The body of a GraphQL request over HTTP. Events are what a job sends as Python wrote them: an
 * integer beyond 2^53 (a torch seed, `time_ns()`) would be rounded by JSON.parse, silently, and a
 * Python `NaN` / `Infinity` token (json.dumps' default) would make the whole body a 400, losing
 * every event of the batch. So in the variables of an `ingest` mutation they are kept as the
 * strings of what was written (as the ProvLake route and the PROV-JSON import do), with a warning
 * in the answer's `extensions.warnings`. Everything else of the body reads as JSON.parse reads it, so a GraphQL
 * `Float` or `Int` argument is coerced as before. Throws JSON.parse's error for a body that is not
 * JSON even so.
 */
export function parseRequestBody(body: string): ParsedRequestBody {
  let plain: unknown;
  let failed: unknown;
  try {
    plain = JSON.parse(body);
    // Only an ingest's variables take strings for long integers (see below): look only there.
    if (!operationsOf(plain).some((op) => ingests(op) && mayHoldRounded(op?.variables, 0)))
      return { parsed: plain, warnings: [] };
  } catch (err) {
    failed = err;
  }
  const python = parsePythonJson(body); // throws for what is not JSON
  if (!python.nonFinite.length && !python.bigIntegers.length) return { parsed: python.value, warnings: [] };
  const ops = operationsOf(python.value);
  const batched = Array.isArray(python.value);
  const inEvents = (p: string) => {
    const m = /^(?:\[(\d+)\]\.)?variables[.[]/.exec(p);
    return m !== null && ingests(ops[batched ? Number(m[1]) : 0]);
  };
  const kept = { nonFinite: python.nonFinite.filter(inEvents), bigIntegers: python.bigIntegers.filter(inEvents) };
  let parsed = python.value;
  if (failed === undefined) {
    // Only the ingest's variables take the strings; every other value stays what JSON.parse made of it.
    parsed = plain;
    operationsOf(plain).forEach((op, i) => {
      if (op && ingests(ops[i]) && ops[i]?.variables) op.variables = ops[i]!.variables;
    });
  }
  return { parsed, warnings: parsedWarnings(kept, ' in the events') };
}
