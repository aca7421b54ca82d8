import {
  GraphQLError,
  Kind,
  Lexer,
  Source,
  TokenKind,
  type DocumentNode,
  type FragmentDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ASTVisitor,
} from 'graphql';
import type { ParseLimits, QueryLimits } from './config';
import { ErrorCode } from './errors';

interface Shape {
  depth: number;
  aliases: number;
  selections: number;
}

/**
 * Measures one operation with its fragments expanded: depth of nested fields, aliases, and total
 * field selections. Fragment cycles are invalid GraphQL and reported by the standard rules; the
 * visited set only keeps this walk finite.
 */
function measure(
  set: SelectionSetNode,
  fragments: Map<string, FragmentDefinitionNode>,
  depth: number,
  seen: Set<string>,
  shape: Shape,
  cap: number,
) {
  for (const sel of set.selections) {
    if (shape.selections > cap) return; // already over: stop walking a hostile document
    if (sel.kind === Kind.FIELD) {
      if (sel.name.value.startsWith('__')) continue; // introspection meta fields do not count
      shape.selections += 1;
      if (sel.alias) shape.aliases += 1;
      if (sel.selectionSet) {
        shape.depth = Math.max(shape.depth, depth + 1);
        measure(sel.selectionSet, fragments, depth + 1, seen, shape, cap);
      }
    } else if (sel.kind === Kind.INLINE_FRAGMENT) {
      measure(sel.selectionSet, fragments, depth, seen, shape, cap);
    } else {
      const frag = fragments.get(sel.name.value);
      if (!frag || seen.has(frag.name.value)) continue;
      seen.add(frag.name.value);
      measure(frag.selectionSet, fragments, depth, seen, shape, cap);
      seen.delete(frag.name.value);
    }
  }
}

function limitError(limit: string, max: number, actual: number): GraphQLError {
  return new GraphQLError(`query ${limit} ${actual} exceeds the limit of ${max}`, {
    extensions: { code: ErrorCode.LIMIT_EXCEEDED, limit, max, actual },
  });
}

/** Depth, alias, root-field and selection limits (at least as strict as MLflow's after CVE-2025-0453). */
export function queryLimitsRule(limits: QueryLimits) {
  return (context: ValidationContext): ASTVisitor => {
    const doc: DocumentNode = context.getDocument();
    const fragments = new Map(
      doc.definitions
        .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
        .map((f) => [f.name.value, f]),
    );
    return {
      OperationDefinition(op) {
        const roots = op.selectionSet.selections.filter((s) => !(s.kind === Kind.FIELD && s.name.value.startsWith('__')));
        if (roots.length > limits.maxRootFields)
          context.reportError(limitError('root fields', limits.maxRootFields, roots.length));
        const shape: Shape = { depth: 0, aliases: 0, selections: 0 };
        // Introspection queries are deep by nature; they are bounded by the schema, not the user.
        const introspection = op.selectionSet.selections.every((s) => s.kind === Kind.FIELD && s.name.value.startsWith('__'));
        if (introspection) return;
        measure(op.selectionSet, fragments, 1, new Set(), shape, limits.maxSelections);
        if (shape.depth > limits.maxDepth) context.reportError(limitError('depth', limits.maxDepth, shape.depth));
        if (shape.aliases > limits.maxAliases) context.reportError(limitError('aliases', limits.maxAliases, shape.aliases));
        if (shape.selections > limits.maxSelections) {
          context.reportError(limitError('selections', limits.maxSelections, shape.selections));
        }
      },
    };
  };
}

/**
 * Braces, brackets and parentheses open at once. graphql-js parses recursively and overflows the
 * stack near 1 100 nested selections (about 6 600 tokens, under any sensible token limit), so
 * nesting is bounded too; 200 is far past the validation depth limit (at most 100) and the
 * nesting of introspection queries or inline input objects.
 */
export const MAX_NESTING = 200;

/** A document refused before parsing, with the HTTP status to answer it with. */
export interface ParseLimitRefusal {
  status: number;
  error: GraphQLError;
}

/**
 * Size, token and nesting limits on the document text, checked before graphql-js builds an AST: a
 * 10 000-alias or megabyte document costs a byte count and at most `maxTokens` lexer steps,
 * never a parse and a validation walk. Text that does not lex is left to the parser, which
 * reports the syntax error itself. Apollo is also given `parseOptions.maxTokens` (server.ts),
 * so a path that reaches the parser without this check is bounded the same way.
 */
export function checkParseLimits(query: unknown, limits: ParseLimits): ParseLimitRefusal | null {
  if (typeof query !== 'string') return null;
  // UTF-8 takes at least one byte a UTF-16 unit, so length alone can settle a long text.
  const bytes = query.length > limits.maxDocumentBytes ? query.length : Buffer.byteLength(query);
  if (bytes > limits.maxDocumentBytes) {
    return {
      status: 413,
      error: new GraphQLError(`query document of ${bytes} bytes exceeds the limit of ${limits.maxDocumentBytes}`, {
        extensions: { code: ErrorCode.LIMIT_EXCEEDED, limit: 'document bytes', max: limits.maxDocumentBytes, actual: bytes },
      }),
    };
  }
  const lexer = new Lexer(new Source(query));
  let tokens = 0;
  let nesting = 0;
  try {
    for (let kind = lexer.advance().kind; kind !== TokenKind.EOF; kind = lexer.advance().kind) {
      if (kind === TokenKind.BRACE_L || kind === TokenKind.BRACKET_L || kind === TokenKind.PAREN_L) {
        if (++nesting > MAX_NESTING) {
          return {
            status: 400,
            error: new GraphQLError(`query document nests deeper than ${MAX_NESTING} levels; parsing was not attempted`, {
              extensions: { code: ErrorCode.LIMIT_EXCEEDED, limit: 'nesting', max: MAX_NESTING },
            }),
          };
        }
      } else if (kind === TokenKind.BRACE_R || kind === TokenKind.BRACKET_R || kind === TokenKind.PAREN_R) nesting--;
      if (++tokens > limits.maxTokens) {
        return {
          status: 400,
          error: new GraphQLError(`query document has more than ${limits.maxTokens} tokens; parsing was not attempted`, {
            extensions: { code: ErrorCode.LIMIT_EXCEEDED, limit: 'tokens', max: limits.maxTokens },
          }),
        };
      }
    }
  } catch {
    return null; // a syntax error: Apollo's parse reports it with its location
  }
  return null;
}
