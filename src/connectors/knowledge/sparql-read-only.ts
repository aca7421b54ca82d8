import { BadUserInputError } from '../../errors';
import type { SparqlQueryForm } from './knowledge-store';

/**
 * Decides whether a SPARQL request is a read-only query, without a full parser: strings, IRIs
 * and comments are skipped, then the prologue (BASE / PREFIX only) must be followed by SELECT,
 * ASK, CONSTRUCT or DESCRIBE, and no update keyword may appear as a bare word anywhere. Some
 * servers (Virtuoso) run updates sent as `query=`, so the backend cannot be trusted to refuse.
 */
const FORMS = new Set(['SELECT', 'ASK', 'CONSTRUCT', 'DESCRIBE']);
// DEFINE is Virtuoso's pragma prologue (it can make the server fetch remote graphs).
const REFUSED = new Set(['INSERT', 'DELETE', 'LOAD', 'CLEAR', 'DROP', 'CREATE', 'ADD', 'MOVE', 'COPY', 'WITH', 'DEFINE']);
export const MAX_QUERY_LENGTH = 100_000;

type Token = { kind: 'word' | 'iri' | 'pname' | 'other'; text: string; at: number };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  const patterns: Array<[Token['kind'] | 'skip', RegExp]> = [
    ['skip', /\s+/y],
    ['skip', /#[^\n\r]*/y],
    ['skip', /'''(?:[^'\\]|\\[\s\S]|'(?!''))*'''|"""(?:[^"\\]|\\[\s\S]|"(?!""))*"""/y],
    ['skip', /'(?:[^'\\\n\r]|\\.)*'|"(?:[^"\\\n\r]|\\.)*"/y],
    ['iri', /<[^<>"{}|^`\\\u0000-\u0020]*>/y],
    ['skip', /[?$][\p{L}\p{N}_]+/uy], // variables
    ['skip', /@[A-Za-z]+(?:-[A-Za-z0-9]+)*/y], // language tags
    ['pname', /(?:[\p{L}_][\p{L}\p{N}_.-]*)?:[^\s{}()<>,;"'#^|!=/*+]*/uy],
    ['word', /[A-Za-z_][A-Za-z0-9_]*/y],
    ['other', /[\s\S]/y],
  ];
  let at = 0;
  while (at < text.length) {
    for (const [kind, re] of patterns) {
      re.lastIndex = at;
      const m = re.exec(text);
      if (!m || m[0].length === 0) continue;
      if (kind !== 'skip') tokens.push({ kind, text: m[0], at });
      at += m[0].length;
      break;
    }
  }
  return tokens;
}

/** Returns the query form, or throws BadUserInputError (field `sparql`) saying why it is refused. */
export function assertReadOnlyQuery(sparql: unknown): SparqlQueryForm {
  if (typeof sparql !== 'string' || sparql.trim() === '') {
    throw new BadUserInputError('sparql must be a non-empty string', 'sparql');
  }
  if (sparql.length > MAX_QUERY_LENGTH) {
    throw new BadUserInputError(`sparql is longer than ${MAX_QUERY_LENGTH} characters`, 'sparql');
  }
  const tokens = tokenize(sparql);
  const refused = tokens.find((t) => t.kind === 'word' && REFUSED.has(t.text.toUpperCase()));
  if (refused) {
    throw new BadUserInputError(
      `sparql is refused: only read-only queries are allowed, found ${refused.text.toUpperCase()} at offset ${refused.at}`,
      'sparql',
    );
  }
  let i = 0;
  for (;;) {
    const t = tokens[i];
    const upper = t?.kind === 'word' ? t.text.toUpperCase() : '';
    if (upper === 'BASE' && tokens[i + 1]?.kind === 'iri') i += 2;
    else if (upper === 'PREFIX' && tokens[i + 1]?.kind === 'pname' && tokens[i + 2]?.kind === 'iri') i += 3;
    else break;
  }
  const head = tokens[i];
  const form = head?.kind === 'word' ? head.text.toUpperCase() : '';
  if (!FORMS.has(form)) {
    throw new BadUserInputError(
      `sparql must be a SELECT, ASK, CONSTRUCT or DESCRIBE query after its prologue; found ${
        head ? `"${head.text.slice(0, 20)}" at offset ${head.at}` : 'nothing'
      }`,
      'sparql',
    );
  }
  return form.toLowerCase() as SparqlQueryForm;
}
