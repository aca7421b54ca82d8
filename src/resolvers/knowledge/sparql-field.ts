import type { RdfTerm, SparqlResult } from '../../connectors/knowledge/knowledge-store';
import { DEFAULT_ROW_CAP } from '../../connectors/knowledge/knowledge-store';
import { assertReadOnlyQuery } from '../../connectors/knowledge/sparql-read-only';
import { toStoreError } from '../../connectors/store-call';
import type { RequestContext } from '../../context';
import { BadUserInputError } from '../../errors';

/**
 * Read-only SPARQL for domain experts (issue 3, item 8): `sparql(store, query, rowCap)` forwards
 * a SELECT, ASK, CONSTRUCT or DESCRIBE to one knowledge store of the registry. Updates are
 * refused here before any store is asked (some servers run updates sent as queries); the store
 * call runs under the store's configured timeout; rows past the cap are dropped and flagged.
 */
export const DEFAULT_SPARQL_ROW_CAP = 1000;

export const SPARQL_FIELD_SDL = /* GraphQL */ `
    "Runs a read-only SPARQL query (SELECT, ASK, CONSTRUCT or DESCRIBE) on the knowledge store \`store\` of the registry, under the store's timeout. Updates, SERVICE (the store would call another host) and text a SPARQL 1.1 parser does not accept are refused with BAD_USER_INPUT (extensions.reason: update, service, syntax); an unreachable or slow store gives null with STORE_UNAVAILABLE or STORE_TIMEOUT."
    sparql(
      "Id of a knowledge store (kind sparql) of the registry."
      store: String!
      "The SPARQL text; prologue BASE/PREFIX only."
      query: String!
      "Most rows (SELECT) or triples (CONSTRUCT, DESCRIBE) returned: default ${DEFAULT_SPARQL_ROW_CAP}, never more than the store's own rowCap."
      rowCap: Int
    ): SparqlResult
`;

export const SPARQL_TYPES_SDL = /* GraphQL */ `
  enum SparqlQueryForm {
    SELECT
    ASK
    CONSTRUCT
    DESCRIBE
  }

  "The answer of a read-only SPARQL query; which fields are filled depends on \`form\`."
  type SparqlResult {
    "Id of the knowledge store that answered."
    store: String!
    form: SparqlQueryForm!
    "SELECT: the variables bound in the rows."
    variables: [String!]!
    "SELECT: the solutions, at most rowCap."
    rows: [SparqlRow!]!
    "ASK: the answer."
    boolean: Boolean
    "CONSTRUCT and DESCRIBE: the triples, at most rowCap."
    triples: [RdfTriple!]!
    "The row cap applied."
    rowCap: Int!
    "True when the store had more rows than rowCap."
    truncated: Boolean!
  }

  "One SELECT solution: the bound variables (unbound ones are absent)."
  type SparqlRow {
    bindings: [SparqlBinding!]!
    "The term bound to \`variable\` (without ?), or null."
    value(variable: String!): RdfTerm
  }

  type SparqlBinding {
    variable: String!
    term: RdfTerm!
  }

  type RdfTriple {
    subject: RdfTerm!
    predicate: RdfTerm!
    object: RdfTerm!
  }
`;

type Row = Record<string, RdfTerm>;
type Answer = SparqlResult & { store: string; rowCap: number };

const MAX_ROW_CAP = 1_000_000;

async function query(
  _: unknown,
  args: { store: string; query: string; rowCap?: number | null },
  ctx: RequestContext,
): Promise<Answer> {
  const entry = ctx.registry?.get(args.store);
  if (!entry || entry.kind !== 'sparql') {
    throw new BadUserInputError(`store ${args.store} is not a knowledge (sparql) store of the registry`, 'store');
  }
  if (args.rowCap != null && (args.rowCap < 1 || args.rowCap > MAX_ROW_CAP)) {
    throw new BadUserInputError(`rowCap must be between 1 and ${MAX_ROW_CAP}`, 'rowCap');
  }
  // Checked here too (the connector checks again) so that the refusal names the argument.
  try {
    assertReadOnlyQuery(args.query);
  } catch (err) {
    if (err instanceof BadUserInputError) {
      const { reason } = err.extensions as { reason?: unknown };
      throw new BadUserInputError(err.message.replace(/^sparql/, 'query'), 'query', reason === undefined ? {} : { reason });
    }
    throw err;
  }
  const storeCap = ctx.registry!.entryOf(args.store)?.options.rowCap;
  const rowCap = Math.min(args.rowCap ?? DEFAULT_SPARQL_ROW_CAP, typeof storeCap === 'number' ? storeCap : DEFAULT_ROW_CAP);
  try {
    return { ...(await entry.knowledge.query(args.query, { rowCap })), store: args.store, rowCap };
  } catch (err) {
    if (err instanceof BadUserInputError) throw new BadUserInputError(err.message, 'query');
    throw toStoreError(args.store, err, ctx.registry!.timeoutOf(args.store));
  }
}

export const sparqlResolvers = {
  query,
  SparqlResult: {
    form: (r: Answer) => r.form.toUpperCase(),
    variables: (r: Answer) => (r.form === 'select' ? r.variables : []),
    rows: (r: Answer) => (r.form === 'select' ? r.rows : []),
    boolean: (r: Answer) => (r.form === 'ask' ? r.value : null),
    triples: (r: Answer) => (r.form === 'construct' || r.form === 'describe' ? r.triples : []),
    truncated: (r: Answer) => (r.form === 'ask' ? false : r.truncated),
  },
  SparqlRow: {
    bindings: (row: Row) => Object.entries(row).map(([variable, term]) => ({ variable, term })),
    value: (row: Row, args: { variable: string }) =>
      Object.hasOwn(row, args.variable.replace(/^[?$]/, '')) ? row[args.variable.replace(/^[?$]/, '')] : null,
  },
};
