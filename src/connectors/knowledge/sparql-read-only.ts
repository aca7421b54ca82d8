import { Parser, type SparqlQuery } from 'sparqljs';
import { BadUserInputError } from '../../errors';
import type { SparqlQueryForm } from './knowledge-store';

/**
 * Decides whether a SPARQL request is a read-only query that only reads the store it is sent
 * to. The text is parsed with a SPARQL 1.1 grammar (sparqljs): an update (INSERT, DELETE, LOAD,
 * CLEAR, DROP, CREATE, ADD, MOVE, COPY) is refused, and so is a query with a SERVICE pattern
 * anywhere in it (a subquery, FILTER EXISTS, OPTIONAL ...), because SERVICE makes the store
 * itself send a request to any host, loopback ports included. Comments, strings and IRIs cannot
 * hide or fake a keyword: the parser, not a word scan, finds them. Text the grammar does not
 * accept is refused too (Virtuoso's DEFINE pragmas among it: they can make it fetch remote
 * graphs). Some servers (Virtuoso) run updates sent as `query=`, so the backend cannot be
 * trusted to refuse; this check runs before any store is asked.
 */
const FORMS = new Set(['SELECT', 'ASK', 'CONSTRUCT', 'DESCRIBE']);
export const MAX_QUERY_LENGTH = 100_000;

/** Why a query was refused, for clients that match on it (`extensions.reason`). */
export type SparqlRefusal = 'update' | 'service' | 'not-a-query' | 'syntax';

function refuse(message: string, reason: SparqlRefusal): never {
  throw new BadUserInputError(`sparql is refused: ${message}`, 'sparql', { reason });
}

// Prefixed names (`rdfs:label`) and the PREFIX declarations of the text, outside strings,
// comments and IRIs. Servers predefine prefixes (Virtuoso: rdf, rdfs, xsd, bif, ...), so a
// prefix used without a declaration is declared to the parser as a placeholder: only the
// query's structure is checked here, and the text sent to the store is the client's own.
const LEXEMES =
  /#[^\n\r]*|'''(?:[^'\\]|\\[\s\S]|'(?!''))*'''|"""(?:[^"\\]|\\[\s\S]|"(?!""))*"""|'(?:[^'\\\n\r]|\\.)*'|"(?:[^"\\\n\r]|\\.)*"|<[^<>"{}|^`\\\u0000-\u0020]*>|[?$][\p{L}\p{N}_]+|((?:[\p{L}_][\p{L}\p{N}_.-]*)?):(?![/:])/gu;

function usedPrefixes(text: string): Record<string, string> {
  const prefixes: Record<string, string> = {};
  for (const m of text.matchAll(LEXEMES)) {
    if (m[1] !== undefined) prefixes[m[1]] = `urn:provml:undeclared-prefix:${encodeURIComponent(m[1])}#`;
  }
  return prefixes;
}

function parse(text: string): SparqlQuery {
  try {
    return new Parser({ prefixes: usedPrefixes(text), sparqlStar: true }).parse(text);
  } catch (err) {
    // sparqljs messages carry the offending line and a caret on following lines: keep the first two.
    const why = ((err as Error).message ?? String(err)).split('\n').slice(0, 2).join(' ').slice(0, 300);
    return refuse(`not a SPARQL 1.1 query this server can check (${why})`, 'syntax');
  }
}

/** True when any node of the parsed query is a SERVICE pattern (RDF terms carry `termType`, not `type`). */
function hasService(root: unknown): boolean {
  const stack: unknown[] = [root];
  while (stack.length) {
    const node = stack.pop();
    if (Array.isArray(node)) stack.push(...(node as unknown[]));
    else if (node && typeof node === 'object') {
      if ((node as { type?: unknown }).type === 'service') return true;
      stack.push(...Object.values(node));
    }
  }
  return false;
}

/**
 * Verdicts by query text: the resolver and the connector both check (so the refusal names the
 * argument, and a connector used alone is safe), and dashboards resend the same text; a SPARQL
 * parse costs far more than a lookup (bench/security-checks.ts). Oldest entries go first.
 */
const VERDICTS = new Map<string, SparqlQueryForm | BadUserInputError>();
const MAX_VERDICTS = 512;

/** Returns the query form, or throws BadUserInputError (field `sparql`, with `reason`) saying why it is refused. */
export function assertReadOnlyQuery(sparql: unknown): SparqlQueryForm {
  if (typeof sparql !== 'string' || sparql.trim() === '') {
    throw new BadUserInputError('sparql must be a non-empty string', 'sparql');
  }
  if (sparql.length > MAX_QUERY_LENGTH) {
    throw new BadUserInputError(`sparql is longer than ${MAX_QUERY_LENGTH} characters`, 'sparql');
  }
  let verdict = VERDICTS.get(sparql);
  if (verdict === undefined) {
    try {
      verdict = check(sparql);
    } catch (err) {
      if (!(err instanceof BadUserInputError)) throw err;
      verdict = err;
    }
    if (VERDICTS.size >= MAX_VERDICTS) VERDICTS.delete(VERDICTS.keys().next().value!);
    VERDICTS.set(sparql, verdict);
  }
  if (typeof verdict === 'string') return verdict;
  // A fresh error each time: callers rethrow it with their own field and path.
  throw new BadUserInputError(verdict.message, 'sparql', { reason: (verdict.extensions as { reason?: unknown }).reason });
}

function check(sparql: string): SparqlQueryForm {
  const parsed = parse(sparql);
  if (parsed.type === 'update') {
    const ops = parsed.updates.map((u) => ('updateType' in u ? u.updateType : u.type).toUpperCase());
    refuse(`only read-only queries are allowed, found an update (${[...new Set(ops)].join(', ') || 'empty'})`, 'update');
  }
  const form = parsed.queryType;
  if (!FORMS.has(form)) refuse(`must be a SELECT, ASK, CONSTRUCT or DESCRIBE query, found ${form}`, 'not-a-query');
  if (hasService(parsed)) refuse('SERVICE is not allowed: a query may only read the store it is sent to', 'service');
  return form.toLowerCase() as SparqlQueryForm;
}
